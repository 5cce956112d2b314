package ui

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// loop is the closed loop of one listed address: what it did after it was
// listed, from the firewall logs.
type loop struct {
	Passed     uint64    // lines the firewall allowed (allow, alert)
	Denied     uint64    // lines the firewall denied, dropped or reset
	LastDenied time.Time // last denied line
	LastRule   string    // rule of that line
	EDLs       []string  // PAN-OS 10+ source-EDL names seen
	Rules      []loopRule
}

type loopRule struct {
	Action, Rule string
	Lines        uint64
	Last         time.Time
}

// passedActions are the actions of lines the firewall let through.
const passedActions = "('allow', 'alert')"

type blacklistData struct {
	Entries []schema.BlacklistEntry
	Loops   map[netip.Addr]loop
	Q       string
	State   string
	States  []string
	Total   int
	Page    int
	Next    string
	Prev    string
}

const blacklistPerPage = 100

func (u *UI) blacklist(c *fiber.Ctx) error {
	return u.showBlacklist(c, u.newPage(c, "Blacklist"))
}

func (u *UI) showBlacklist(c *fiber.Ctx, pg *page) error {
	pg.Nav = "blacklist"
	d := blacklistData{Q: strings.TrimSpace(c.Query("q")), State: c.Query("state", "current"),
		States: []string{"current", schema.StateActive, schema.StateMonitored, schema.StateHeld, schema.StateReleased, schema.StateDiscarded}}
	if len(d.Q) > 256 {
		d.Q = d.Q[:256]
	}
	states := []string{schema.StateActive, schema.StateMonitored, schema.StateHeld}
	if d.State != "current" {
		if indexOf(d.States, d.State) < 0 {
			d.State = "current"
		} else {
			states = []string{d.State}
		}
	}
	all, err := u.d.Detect.ListBlacklist(c.UserContext(), states...)
	if err != nil {
		return err
	}
	q := strings.ToLower(d.Q)
	for _, e := range all {
		if q == "" || strings.Contains(e.IP.String(), q) || strings.Contains(strings.ToLower(e.Reason+" "+e.Evidence.Summary()+" "+e.Source), q) {
			d.Entries = append(d.Entries, e)
		}
	}
	d.Total = len(d.Entries)
	d.Page = max(1, atoiOr(c.Query("page"), 1))
	from := min((d.Page-1)*blacklistPerPage, len(d.Entries))
	to := min(from+blacklistPerPage, len(d.Entries))
	link := func(p int) string {
		return "/blacklist?q=" + urlq(d.Q) + "&state=" + urlq(d.State) + "&page=" + strconv.Itoa(p)
	}
	if to < len(d.Entries) {
		d.Next = link(d.Page + 1)
	}
	if d.Page > 1 {
		d.Prev = link(d.Page - 1)
	}
	d.Entries = d.Entries[from:to]
	if d.Loops, err = u.loops(c.UserContext(), d.Entries); err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "blacklist", pg)
}

// loops summarises, for each entry, the lines of its address since it was
// listed: one query for the page, through the src_ip skip index.
func (u *UI) loops(ctx context.Context, es []schema.BlacklistEntry) (map[netip.Addr]loop, error) {
	out := map[netip.Addr]loop{}
	if len(es) == 0 {
		return out, nil
	}
	ips, since := make([]string, len(es)), make([]string, len(es))
	oldest := time.Now()
	for i, e := range es {
		ips[i], since[i] = e.IP.String(), strconv.FormatInt(e.Created.Unix(), 10)
		if e.Created.Before(oldest) {
			oldest = e.Created
		}
	}
	err := schema.QueryEach(ctx, u.d.Store, `SELECT src_ip, countIf(action IN `+passedActions+`), countIf(action NOT IN `+passedActions+`),
  maxIf(ts, action NOT IN `+passedActions+`), argMaxIf(rule, ts, action NOT IN `+passedActions+`),
  arrayStringConcat(groupUniqArrayIf(5)(toString(src_edl), src_edl != ''), ',')
FROM firewall_logs
WHERE src_ip IN (SELECT toIPv6(arrayJoin({ips:Array(String)}))) AND ts >= {oldest:DateTime}
  AND ts >= toDateTime(toUInt32(arrayElement({since:Array(String)}, indexOf(arrayMap(x -> toIPv6(x), {ips:Array(String)}), src_ip))))
GROUP BY src_ip`, schema.Params{"ips": ips, "since": since, "oldest": oldest}, func(r schema.Rows) error {
		var a netip.Addr
		var l loop
		var edls string
		if err := r.Scan(&a, &l.Passed, &l.Denied, &l.LastDenied, &l.LastRule, &edls); err != nil {
			return err
		}
		if edls != "" {
			l.EDLs = strings.Split(edls, ",")
		}
		out[a] = l
		return nil
	})
	return out, err
}

type entryData struct {
	E          schema.BlacklistEntry
	Loop       loop
	Detections []schema.Detection
	Search     string // records search of this source since listing
}

func (u *UI) blacklistEntry(c *fiber.Ctx) error {
	pg := u.newPage(c, "Blacklist entry")
	pg.Nav = "blacklist"
	e, err := u.d.Detect.GetBlacklist(c.UserContext(), c.Query("ip"))
	if err != nil {
		return err
	}
	d := entryData{E: e, Search: "/records?range=custom&src=" + urlq(e.IP.String()) + "&from=" +
		urlq(e.Created.UTC().Format(customLayout))}
	err = schema.QueryEach(c.UserContext(), u.d.Store, `SELECT action, rule, count(), max(ts) FROM firewall_logs
WHERE src_ip = toIPv6({ip:String}) AND ts >= {since:DateTime}
GROUP BY action, rule ORDER BY count() DESC LIMIT 50`, schema.Params{"ip": e.IP.String(), "since": e.Created},
		func(r schema.Rows) error {
			var x loopRule
			err := r.Scan(&x.Action, &x.Rule, &x.Lines, &x.Last)
			d.Loop.Rules = append(d.Loop.Rules, x)
			return err
		})
	if err != nil {
		return err
	}
	ls, err := u.loops(c.UserContext(), []schema.BlacklistEntry{e})
	if err != nil {
		return err
	}
	if l, ok := ls[e.IP]; ok {
		l.Rules = d.Loop.Rules
		d.Loop = l
	}
	if d.Detections, err = u.d.Detect.ListDetections(c.UserContext(), schema.DetectionFilter{IP: e.IP, Limit: 50}); err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "entry", pg)
}

func (u *UI) blacklistAdd(c *fiber.Ctx) error {
	pg := u.newPage(c, "Blacklist")
	req := schema.BlacklistAdd{IP: form(c, pg, "ip"), Reason: form(c, pg, "reason"), Permanent: form(c, pg, "permanent") == "on"}
	back := form(c, pg, "from")
	show := u.showBlacklist
	if back == "record" {
		show = func(c *fiber.Ctx, pg *page) error {
			pg.Title = "Record"
			return u.showRecord(c, pg, func(k string) string { return strings.TrimSpace(c.FormValue(k)) })
		}
	}
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", show)
	}
	e, err := u.d.Detect.AddBlacklist(c.UserContext(), principal(c).Actor(), req)
	if err != nil {
		return formFailed(c, pg, err, "ip", show)
	}
	return u.done(c, "/blacklist/view?ip="+urlq(e.IP.String()),
		e.IP.String()+" is blacklisted; the firewalls drop it at their next EDL refresh.")
}

func (u *UI) blacklistRemove(c *fiber.Ctx) error {
	pg := u.newPage(c, "Blacklist")
	ip, why := form(c, pg, "ip"), form(c, pg, "why")
	if len(pg.Errors) > 0 {
		return formFailed(c, pg, nil, "", u.showBlacklist)
	}
	if err := u.d.Detect.RemoveBlacklist(c.UserContext(), principal(c).Actor(), ip, why); err != nil {
		return formFailed(c, pg, err, "", u.showBlacklist)
	}
	return u.done(c, "/blacklist", ip+" was released from the blacklist.")
}
