package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// huntExamples are shown beside the console; they filter on typed columns
// (src_ip6, ts) where an index helps.
var huntExamples = []struct{ Title, SQL string }{
	{"Newest 20 threats", "SELECT ts, device, src_ip, dst_ip, dst_port, threat_name, severity\nFROM logs\nWHERE type = 'THREAT'\nORDER BY ts DESC\nLIMIT 20"},
	{"Everything one source did today (uses the src_ip index)", "SELECT ts, action, rule, dst_ip, dst_port, app\nFROM logs\nWHERE src_ip6 = toIPv6('203.0.113.7') AND ts >= today()\nORDER BY ts DESC\nLIMIT 100"},
	{"Top denied sources in the last hour", "SELECT src_ip, count() AS lines, uniqExact(dst_port) AS ports\nFROM logs\nWHERE ts >= now() - INTERVAL 1 HOUR AND action != 'allow'\nGROUP BY src_ip\nORDER BY lines DESC\nLIMIT 20"},
	{"Lines per device and type, last 24 h", "SELECT device, type, count() AS lines\nFROM logs\nWHERE ts >= now() - INTERVAL 1 DAY\nGROUP BY device, type\nORDER BY device, type"},
	{"Listed sources the firewall still allowed", "SELECT l.src_ip, count() AS allowed, max(l.ts) AS last\nFROM logs AS l\nWHERE l.ts >= now() - INTERVAL 1 DAY AND l.action = 'allow'\n  AND l.src_ip6 IN (SELECT ip FROM blacklist FINAL WHERE state = 'active')\nGROUP BY l.src_ip\nORDER BY allowed DESC\nLIMIT 20"},
}

// huntMaxRows is how many result rows the page shows (CSV has them all).
const huntMaxRows = 1000

type huntResult struct {
	Columns []schema.ColumnInfo
	Rows    [][]string
	Total   int
	Elapsed float64
	Read    uint64
	Took    time.Duration
}

type huntData struct {
	SQL       string
	Examples  []struct{ Title, SQL string }
	Schema    []schema.ColumnInfo
	Result    *huntResult
	EngineErr string
}

func (u *UI) hunt(c *fiber.Ctx) error {
	return u.showHunt(c, u.newPage(c, "Hunting console"), huntData{SQL: huntExamples[0].SQL})
}

func (u *UI) showHunt(c *fiber.Ctx, pg *page, d huntData) error {
	pg.Nav = "hunt"
	d.Examples = huntExamples
	err := schema.QueryEach(c.UserContext(), u.d.Store, `SELECT name, type FROM system.columns
WHERE database = currentDatabase() AND table = 'logs' ORDER BY position`, nil, func(r schema.Rows) error {
		var ci schema.ColumnInfo
		err := r.Scan(&ci.Name, &ci.Type)
		d.Schema = append(d.Schema, ci)
		return err
	})
	if err != nil {
		return err
	}
	pg.Data = d
	return u.render(c, "hunt", pg)
}

func (u *UI) huntRun(c *fiber.Ctx) error {
	pg := u.newPage(c, "Hunting console")
	q := strings.TrimSpace(c.FormValue("sql"))
	d := huntData{SQL: q}
	switch {
	case q == "":
		pg.Errors["sql"] = "write a query, or start from an example"
	case len(q) > 100000:
		pg.Errors["sql"] = "is too long (at most 100,000 characters)"
		d.SQL = q[:1000]
	case u.d.Hunt == nil:
		pg.Error = "The hunting console is not available on this server."
	}
	if len(pg.Errors) > 0 || pg.Error != "" {
		c.Status(fiber.StatusUnprocessableEntity)
		return u.showHunt(c, pg, d)
	}
	format := "JSONCompact"
	csv := c.FormValue("format") == "csv"
	if csv {
		format = "CSVWithNames"
	}
	start := time.Now()
	out, err := u.d.Hunt.QueryRaw(c.UserContext(), schema.RawQuery{SQL: q, Format: format})
	if err != nil {
		// Engine errors and refusals are the hunter's to read, as given.
		d.EngineErr = err.Error()
		c.Status(fiber.StatusUnprocessableEntity)
		return u.showHunt(c, pg, d)
	}
	if csv {
		c.Set("Content-Type", "text/csv; charset=utf-8")
		c.Set("Content-Disposition", `attachment; filename="hunt-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
		c.Set("Cache-Control", "no-store")
		return c.Send(out)
	}
	res, err := parseCompact(out)
	if err != nil {
		d.EngineErr = "The result is not JSONCompact (a FORMAT clause in the query wins over the console's): " + err.Error()
		c.Status(fiber.StatusUnprocessableEntity)
		return u.showHunt(c, pg, d)
	}
	res.Took = time.Since(start)
	d.Result = res
	return u.showHunt(c, pg, d)
}

// parseCompact reads ClickHouse's JSONCompact output.
func parseCompact(b []byte) (*huntResult, error) {
	var raw struct {
		Meta       []struct{ Name, Type string } `json:"meta"`
		Data       [][]json.RawMessage           `json:"data"`
		Rows       int                           `json:"rows"`
		Statistics struct {
			Elapsed  float64 `json:"elapsed"`
			RowsRead uint64  `json:"rows_read"`
		} `json:"statistics"`
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return &huntResult{}, nil
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	if raw.Meta == nil {
		return nil, errors.New("no meta")
	}
	res := &huntResult{Total: raw.Rows, Elapsed: raw.Statistics.Elapsed, Read: raw.Statistics.RowsRead}
	for _, m := range raw.Meta {
		res.Columns = append(res.Columns, schema.ColumnInfo{Name: m.Name, Type: m.Type})
	}
	for i, row := range raw.Data {
		if i >= huntMaxRows {
			break
		}
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = cellText(v)
		}
		res.Rows = append(res.Rows, cells)
	}
	return res, nil
}

func cellText(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	if string(v) == "null" {
		return "NULL"
	}
	return string(v)
}

type auditData struct {
	Events  []schema.AuditEvent
	Range   string
	Presets []struct{ Key, Label string }
	Q       string
}

func (u *UI) audit(c *fiber.Ctx) error {
	pg := u.newPage(c, "Audit trail")
	pg.Nav = "audit"
	d := auditData{Range: c.Query("range", "7d"), Presets: rangePresets[:6], Q: strings.TrimSpace(c.Query("q"))}
	dur, ok := presetDuration(d.Range)
	if !ok {
		pg.Errors["range"] = "must be one of 15m, 1h, 6h, 24h, 7d, 30d"
		d.Range, dur = "7d", 7*24*time.Hour
	}
	evs, err := u.d.Detect.ListAudit(c.UserContext(), u.now().Add(-dur), 2000)
	if err != nil {
		return err
	}
	q := strings.ToLower(d.Q)
	for _, e := range evs {
		if q == "" || strings.Contains(strings.ToLower(fmt.Sprint(e.Actor, " ", e.Action, " ", e.Object, " ", e.Detail)), q) {
			d.Events = append(d.Events, e)
		}
	}
	pg.Data = d
	return u.render(c, "audit", pg)
}
