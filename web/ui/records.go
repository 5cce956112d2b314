package ui

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"html/template"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/activedefense/activedefense/schema"
)

// record is one row of the search result.
type record struct {
	TS                 time.Time
	Device, Type, Sub  string
	Src, Dst           netip.Addr
	SrcPort, DstPort   uint16
	SrcCountry, DstCty string
	User, App, Action  string
	Rule, Threat, Sev  string
	Session            uint64
	SrcEDL             string
}

// Key is the query string that finds this row again (record detail).
func (r record) Key() template.URL {
	v := []string{"ts=" + strconv.FormatInt(r.TS.Unix(), 10), "device=" + urlq(r.Device), "type=" + urlq(r.Type),
		"src=" + urlq(r.Src.String()), "dst=" + urlq(r.Dst.String()),
		"sport=" + strconv.Itoa(int(r.SrcPort)), "dport=" + strconv.Itoa(int(r.DstPort)),
		"sid=" + strconv.FormatUint(r.Session, 10)}
	return template.URL(strings.Join(v, "&")) // every value is query-escaped
}

const recordColumns = `ts, device, type, subtype, src_ip, dst_ip, src_port, dst_port, src_country, dst_country,
src_user, app, action, rule, threat_name, toString(severity), session_id, src_edl`

func scanRecord(rows schema.Rows) (record, error) {
	var r record
	err := rows.Scan(&r.TS, &r.Device, &r.Type, &r.Sub, &r.Src, &r.Dst, &r.SrcPort, &r.DstPort, &r.SrcCountry,
		&r.DstCty, &r.User, &r.App, &r.Action, &r.Rule, &r.Threat, &r.Sev, &r.Session, &r.SrcEDL)
	return r, err
}

type recordsData struct {
	F        recordFilter
	Presets  []struct{ Key, Label string }
	Sev      []string
	Devices  []string
	Rows     []record
	Searched bool
	More     bool
	Took     time.Duration
	Next     string
	Prev     string
	CSV      string
}

func (u *UI) records(c *fiber.Ctx) error {
	pg := u.newPage(c, "Syslog records")
	pg.Nav = "records"
	f, errs := parseRecordFilter(func(k string) string { return strings.TrimSpace(c.Query(k)) }, u.now())
	pg.Errors = errs
	d := recordsData{F: f, Presets: rangePresets, Sev: severities, CSV: "/records.csv?" + f.query(1)}
	if names, err := u.deviceNames(c.UserContext()); err == nil {
		d.Devices = names
	}
	if len(errs) > 0 {
		pg.Data = d
		c.Status(fiber.StatusUnprocessableEntity)
		return u.render(c, "records", pg)
	}
	start := time.Now()
	rows, err := u.search(c.UserContext(), f)
	if err != nil {
		return err
	}
	d.Rows = rows
	d.Took, d.Searched = time.Since(start), true
	if len(d.Rows) > f.PerPage {
		d.Rows, d.More = d.Rows[:f.PerPage], true
		d.Next = "/records?" + f.query(f.Page+1)
	}
	if f.Page > 1 {
		d.Prev = "/records?" + f.query(f.Page-1)
	}
	pg.Data = d
	return u.render(c, "records", pg)
}

// searchWindows are the spans a search tries, newest first, before the
// whole range: a page of the newest lines is usually in the last minutes,
// and a narrower try reads only its own time (the table's key starts with
// the time), where sorting the whole range newest first reads every line.
var searchWindows = []time.Duration{5 * time.Minute, time.Hour, 6 * time.Hour}

// search returns the filter's page (plus one line, to tell whether more
// follow), newest first. A search by address reads the whole range at once:
// the key and the skip indexes find its few lines wherever they are.
func (u *UI) search(ctx context.Context, f recordFilter) ([]record, error) {
	windows := searchWindows
	if f.srcLo.IsValid() || f.dstLo.IsValid() {
		windows = nil
	}
	for i := 0; ; i++ {
		g, last := f, true
		if i < len(windows) && f.to.Sub(f.from) > windows[i] {
			g.from, last = f.to.Add(-searchWindows[i]), false
		} else if i < len(windows) {
			continue
		}
		where, p := g.where()
		p["limit"], p["offset"] = f.PerPage+1, (f.Page-1)*f.PerPage
		var out []record
		err := schema.QueryEach(ctx, u.d.Store, "SELECT "+recordColumns+" FROM firewall_logs WHERE "+where+
			" ORDER BY ts DESC, src_ip, dst_ip, src_port, dst_port, session_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}", p,
			func(rows schema.Rows) error {
				r, err := scanRecord(rows)
				out = append(out, r)
				return err
			})
		// Lines in the window are newer than any outside it: a full page
		// from it is the page of the whole range.
		if err != nil || last || len(out) > f.PerPage {
			return out, err
		}
	}
}

func (u *UI) deviceNames(ctx context.Context) ([]string, error) {
	devs, err := u.d.Devices.ListDevices(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(devs))
	for i, d := range devs {
		out[i] = d.Name
	}
	return out, nil
}

// maxCSVRows caps one export.
const maxCSVRows = 1000000

// recordsCSV streams the search result (newest first, up to maxCSVRows).
func (u *UI) recordsCSV(c *fiber.Ctx) error {
	f, errs := parseRecordFilter(func(k string) string { return strings.Clone(strings.TrimSpace(c.Query(k))) }, u.now())
	if len(errs) > 0 {
		for k, v := range errs {
			return fiber.NewError(fiber.StatusUnprocessableEntity, "Filter "+k+" "+v+".")
		}
	}
	where, p := f.where()
	p["limit"] = maxCSVRows
	q := "SELECT " + recordColumns + " FROM firewall_logs WHERE " + where +
		" ORDER BY ts DESC, src_ip, dst_ip, src_port, dst_port, session_id LIMIT {limit:UInt32}"
	// Run the query before answering, so that an engine error is a proper
	// error page rather than a cut-off file.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	rows, err := u.d.Store.Query(ctx, q, p)
	if err != nil {
		cancel()
		return err
	}
	c.Set("Content-Type", "text/csv; charset=utf-8")
	c.Set("Content-Disposition", `attachment; filename="records-`+time.Unix(f.At, 0).UTC().Format("20060102-150405")+`.csv"`)
	c.Set("Cache-Control", "no-store")
	log := u.log
	c.Context().SetBodyStreamWriter(fasthttp.StreamWriter(func(w *bufio.Writer) {
		defer cancel()
		defer rows.Close()
		if err := writeRecordsCSV(w, rows); err != nil {
			log.WithError(err).Warn("csv export ended early")
		}
	}))
	return nil
}

func writeRecordsCSV(w *bufio.Writer, rows schema.Rows) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"time_utc", "device", "type", "subtype", "src_ip", "dst_ip", "src_port", "dst_port",
		"src_country", "dst_country", "src_user", "app", "action", "rule", "threat_name", "severity", "session_id", "src_edl"})
	n := 0
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return err
		}
		err = cw.Write([]string{r.TS.UTC().Format(time.DateTime), r.Device, r.Type, r.Sub, r.Src.String(), r.Dst.String(),
			strconv.Itoa(int(r.SrcPort)), strconv.Itoa(int(r.DstPort)), r.SrcCountry, r.DstCty, r.User, r.App,
			r.Action, r.Rule, r.Threat, r.Sev, strconv.FormatUint(r.Session, 10), r.SrcEDL})
		if err != nil {
			return err
		}
		if n++; n%1000 == 0 {
			cw.Flush()
			if err := w.Flush(); err != nil {
				return err // the client went away
			}
		}
	}
	cw.Flush()
	if err := rows.Err(); err != nil {
		return err
	}
	return w.Flush()
}

// field is one column of a record's detail.
type field struct{ Name, Value string }

type recordData struct {
	Fields    []field
	Src       string
	Protected string // why the source may not be blocked ("" if it may)
	Listed    *schema.BlacklistEntry
	Reason    string // prefilled reason
	Key       string
	Back      string
}

// record shows one log line with "Blacklist it".
func (u *UI) record(c *fiber.Ctx) error {
	return u.showRecord(c, u.newPage(c, "Record"), func(k string) string { return strings.TrimSpace(c.Query(k)) })
}

func (u *UI) showRecord(c *fiber.Ctx, pg *page, get func(string) string) error {
	pg.Nav = "records"
	ts, err := strconv.ParseInt(get("ts"), 10, 64)
	if err != nil || ts <= 0 {
		return fiber.NewError(fiber.StatusBadRequest, "This record link is incomplete; open records from the search results.")
	}
	errs := map[string]string{}
	srcLo, _ := parseRange6("src", get("src"), errs)
	dstLo, _ := parseRange6("dst", get("dst"), errs)
	sp, dp := parsePort("sport", get("sport"), errs), parsePort("dport", get("dport"), errs)
	sid, err := strconv.ParseUint(get("sid"), 10, 64)
	if len(errs) > 0 || !srcLo.IsValid() || !dstLo.IsValid() || sp < 0 || dp < 0 || err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "This record link is incomplete; open records from the search results.")
	}
	p := schema.Params{"ts": time.Unix(ts, 0), "device": get("device"), "type": get("type"), "src": srcLo.String(),
		"dst": dstLo.String(), "sport": sp, "dport": dp, "sid": sid}
	rows, err := u.d.Store.Query(c.UserContext(), `SELECT * EXCEPT (src_ip6, dst_ip6) FROM logs
WHERE ts = {ts:DateTime} AND device = {device:String} AND type = {type:String} AND src_ip6 = toIPv6({src:String})
  AND dst_ip6 = toIPv6({dst:String}) AND src_port = {sport:UInt16} AND dst_port = {dport:UInt16} AND session_id = {sid:UInt64}
LIMIT 1`, p)
	if err != nil {
		return err
	}
	d := recordData{Key: recordKeyOf(get), Back: safeLink(get("back"))}
	if d.Back == "/" {
		d.Back = "/records"
	}
	cols := rows.Columns()
	if rows.Next() {
		vals := make([]string, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return err
		}
		for i, col := range cols {
			d.Fields = append(d.Fields, field{col.Name, vals[i]})
			if col.Name == "src_ip" {
				d.Src = vals[i]
			}
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	if d.Fields == nil {
		return fiber.NewError(fiber.StatusNotFound, "This record is no longer stored (retention) or the link is wrong.")
	}
	if err := u.recordVerdict(c, &d); err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "record", pg)
}

// recordVerdict says whether the source may be blocked and whether it is.
func (u *UI) recordVerdict(c *fiber.Ctx, d *recordData) error {
	why, err := u.d.Detect.Protected(c.UserContext(), d.Src)
	if err != nil && !isUserError(err) {
		return err
	}
	d.Protected = why
	if err != nil {
		d.Protected = err.Error()
	}
	if e, err := u.d.Detect.GetBlacklist(c.UserContext(), d.Src); err == nil {
		d.Listed = &e
	} else if !isUserError(err) {
		return err
	}
	threat, ts := "", ""
	for _, f := range d.Fields {
		switch f.Name {
		case "threat_name":
			threat = f.Value
		case "ts":
			ts = f.Value
		}
	}
	d.Reason = "seen in record of " + ts + " UTC"
	if threat != "" {
		d.Reason = threat + ", " + d.Reason
	}
	return nil
}

// recordKeyOf rebuilds a record's key from request values.
func recordKeyOf(get func(string) string) string {
	var parts []string
	for _, k := range []string{"ts", "device", "type", "src", "dst", "sport", "dport", "sid"} {
		parts = append(parts, k+"="+urlq(get(k)))
	}
	return strings.Join(parts, "&")
}
