package ui

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/sync/errgroup"

	"github.com/activedefense/activedefense/schema"
)

// The dashboard reads the rollups of migration 0003 (dash_events: lines per
// five minutes; dash_top: top-50 sketches per hour), never the logs.

// dashRange is the dashboard's time window and chart step.
type dashRange struct {
	Key      string
	From, To time.Time
	Step     time.Duration
}

var dashPresets = []struct{ Key, Label string }{
	{"1h", "1 hour"}, {"6h", "6 hours"}, {"24h", "24 hours"}, {"7d", "7 days"}, {"30d", "30 days"},
}

func parseDashRange(key string, now time.Time) dashRange {
	steps := map[string]time.Duration{"1h": 5 * time.Minute, "6h": 5 * time.Minute, "24h": 15 * time.Minute,
		"7d": time.Hour, "30d": 6 * time.Hour}
	step, ok := steps[key]
	if !ok {
		key, step = "24h", steps["24h"]
	}
	d, _ := presetDuration(key)
	to := now.Truncate(step).Add(step)
	return dashRange{Key: key, From: to.Add(-d), To: to, Step: step}
}

type topItem struct {
	Label string
	Count uint64
	Link  string // records search for it
}

type deviceRate struct {
	schema.DeviceStatus
	PerMinute uint64 // lines per minute over the last 15 minutes
}

// dashTables is the polled part of the dashboard.
type dashTables struct {
	R          dashRange
	Presets    []struct{ Key, Label string }
	Lines      uint64
	Attacks    uint64
	Threats    uint64
	Active     uint64 // blacklist entries blocked now
	New24h     uint64
	Held       uint64
	Sources    []topItem
	Ports      []topItem
	Hosts      []topItem
	Countries  []topItem
	Severities []topItem
	Devices    []deviceRate
}

func (u *UI) dashboard(c *fiber.Ctx) error {
	pg := u.newPage(c, "Dashboard")
	pg.Nav = "dashboard"
	d, err := u.dashTables(c.UserContext(), parseDashRange(c.Query("range"), u.now()))
	if err != nil {
		return err
	}
	pg.Data = d
	if c.Query("part") != "" {
		return u.renderFragment(c, "dashboard", "dash-part", pg)
	}
	return u.render(c, "dashboard", pg)
}

// attackCond selects the lines that count as attacks in dash_events.
const attackCond = "(type = 'THREAT' OR action != 'allow')"

func (u *UI) dashTables(ctx context.Context, r dashRange) (dashTables, error) {
	d := dashTables{R: r, Presets: dashPresets}
	p := schema.Params{"from": r.From, "to": r.To}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return schema.QueryRow(ctx, u.d.Store, `SELECT sum(lines), sumIf(lines, `+attackCond+`), sumIf(lines, type = 'THREAT')
FROM dash_events WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime}`, p, &d.Lines, &d.Attacks, &d.Threats)
	})
	g.Go(func() error {
		return schema.QueryRow(ctx, u.d.Store, `SELECT countIf(state = 'active'),
  countIf(state = 'active' AND created >= now() - INTERVAL 1 DAY), countIf(state = 'held') FROM blacklist FINAL`, nil,
			&d.Active, &d.New24h, &d.Held)
	})
	g.Go(func() (err error) {
		d.Sources, d.Hosts, d.Ports, err = u.dashTops(ctx, r)
		return err
	})
	g.Go(func() (err error) {
		d.Countries, err = u.dashCounts(ctx, "src_country", attackCond, r, "scountry")
		return err
	})
	g.Go(func() (err error) {
		d.Severities, err = u.dashCounts(ctx, "toString(severity)", "type = 'THREAT'", r, "severity")
		return err
	})
	g.Go(func() (err error) {
		d.Devices, err = u.dashDevices(ctx)
		return err
	})
	return d, g.Wait()
}

// dashTops merges the hourly top-50 sketches of the range.
func (u *UI) dashTops(ctx context.Context, r dashRange) (src, dst, ports []topItem, err error) {
	const ip = "replaceRegexpOne(IPv6NumToString(x.1), '^::ffff:', '')"
	top := func(col, label string) string {
		return "arrayStringConcat(arrayMap(x -> concat(" + label + ", ' ', toString(x.2)), arraySlice(approx_top_countMerge(50)(" +
			col + "), 1, 10)), ',')"
	}
	var a, b, c string
	err = schema.QueryRow(ctx, u.d.Store, "SELECT "+top("src", ip)+", "+top("dst", ip)+", "+top("dst_port", "toString(x.1)")+`
FROM dash_top WHERE bucket >= toStartOfHour({from:DateTime}) AND bucket < {to:DateTime}`,
		schema.Params{"from": r.From, "to": r.To}, &a, &b, &c)
	return parseTops(a, r, "src"), parseTops(b, r, "dst"), parseTops(c, r, "dport"), err
}

// parseTops reads "label count,label count".
func parseTops(s string, r dashRange, param string) []topItem {
	var out []topItem
	for _, part := range strings.Split(s, ",") {
		label, n, ok := strings.Cut(part, " ")
		if !ok {
			continue
		}
		out = append(out, topItem{Label: label, Count: uint64(atoiOr(n, 0)), Link: searchLink(r, param, label)})
	}
	return out
}

func searchLink(r dashRange, param, value string) string {
	rk := r.Key
	if rk == "1h" || rk == "6h" || rk == "24h" || rk == "7d" || rk == "30d" {
		return "/records?range=" + rk + "&" + param + "=" + urlq(value)
	}
	return "/records?" + param + "=" + urlq(value)
}

// dashCounts sums dash_events lines by one column under a condition.
func (u *UI) dashCounts(ctx context.Context, col, cond string, r dashRange, param string) ([]topItem, error) {
	var out []topItem
	err := schema.QueryEach(ctx, u.d.Store, `SELECT `+col+` AS k, sum(lines) AS n FROM dash_events
WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} AND `+cond+`
GROUP BY k ORDER BY n DESC LIMIT 10`, schema.Params{"from": r.From, "to": r.To}, func(rows schema.Rows) error {
		var it topItem
		if err := rows.Scan(&it.Label, &it.Count); err != nil {
			return err
		}
		if it.Label != "" {
			it.Link = searchLink(r, param, it.Label)
		} else {
			it.Label = "(none)"
		}
		out = append(out, it)
		return nil
	})
	return out, err
}

func (u *UI) dashDevices(ctx context.Context) ([]deviceRate, error) {
	devs, err := u.d.Devices.ListDevices(ctx)
	if err != nil {
		return nil, err
	}
	rates := map[string]uint64{}
	err = schema.QueryEach(ctx, u.d.Store, `SELECT toString(device), intDiv(sum(lines), 15) FROM dash_events
WHERE bucket >= now() - INTERVAL 15 MINUTE GROUP BY device`, nil, func(r schema.Rows) error {
		var name string
		var n uint64
		err := r.Scan(&name, &n)
		rates[name] = n
		return err
	})
	out := make([]deviceRate, len(devs))
	for i, dv := range devs {
		out[i] = deviceRate{DeviceStatus: dv, PerMinute: rates[dv.Name]}
	}
	return out, err
}

// chart is one chart's data in uPlot's column form.
type chart struct {
	Times  []int64       `json:"t"`
	Series []chartSeries `json:"series"`
}

type chartSeries struct {
	Label  string    `json:"label"`
	Values []float64 `json:"values"`
}

// dashboardData returns the charts as JSON (polled by the page).
func (u *UI) dashboardData(c *fiber.Ctx) error {
	r := parseDashRange(c.Query("range"), u.now())
	charts, err := u.dashCharts(c.UserContext(), r)
	if err != nil {
		return err
	}
	c.Set("Cache-Control", "no-store")
	return c.JSON(charts)
}

func (u *UI) dashCharts(ctx context.Context, r dashRange) (map[string]chart, error) {
	n := int(r.To.Sub(r.From) / r.Step)
	times := make([]int64, n)
	for i := range times {
		times[i] = r.From.Add(time.Duration(i) * r.Step).Unix()
	}
	events := newChart(times, "Traffic allowed", "Traffic denied", "Threats")
	rate := chart{Times: times}
	bl := newChart(times, "Blacklisted (active)")
	p := schema.Params{"from": r.From, "to": r.To, "step": uint32(r.Step / time.Second)}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return schema.QueryEach(ctx, u.d.Store, `SELECT toUnixTimestamp(toStartOfInterval(bucket, toIntervalSecond({step:UInt32}))) AS t,
  sumIf(lines, type != 'THREAT' AND action = 'allow'), sumIf(lines, type != 'THREAT' AND action != 'allow'), sumIf(lines, type = 'THREAT')
FROM dash_events WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} GROUP BY t`, p, func(rows schema.Rows) error {
			var t int64
			var a, b, c uint64
			if err := rows.Scan(&t, &a, &b, &c); err != nil {
				return err
			}
			events.set(r, t, 0, float64(a))
			events.set(r, t, 1, float64(b))
			events.set(r, t, 2, float64(c))
			return nil
		})
	})
	g.Go(func() error {
		return u.rateChart(ctx, r, p, &rate)
	})
	g.Go(func() error {
		// Each point counts what was listed at the end of its bucket, so
		// the last point is now.
		return schema.QueryEach(ctx, u.d.Store, `SELECT toUnixTimestamp(t), countIf(state IN ('active', 'released')
    AND created < t + toIntervalSecond({step:UInt32})
    AND (toUnixTimestamp(released) = 0 OR released >= t + toIntervalSecond({step:UInt32})))
FROM blacklist FINAL
ARRAY JOIN arrayMap(i -> toDateTime({from:DateTime}) + toIntervalSecond(i * {step:UInt32}), range({n:UInt32})) AS t
GROUP BY t`, schema.Params{"from": r.From, "step": uint32(r.Step / time.Second), "n": uint32(n)}, func(rows schema.Rows) error {
			var t int64
			var v uint64
			if err := rows.Scan(&t, &v); err != nil {
				return err
			}
			bl.set(r, t, 0, float64(v))
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return map[string]chart{"events": events, "rate": rate, "blacklist": bl}, nil
}

// rateChart is lines per minute by device.
func (u *UI) rateChart(ctx context.Context, r dashRange, p schema.Params, out *chart) error {
	idx := map[string]int{}
	perMin := float64(r.Step / time.Minute)
	return schema.QueryEach(ctx, u.d.Store, `SELECT toString(device), toUnixTimestamp(toStartOfInterval(bucket, toIntervalSecond({step:UInt32}))) AS t, sum(lines)
FROM dash_events WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} GROUP BY device, t ORDER BY device`, p,
		func(rows schema.Rows) error {
			var dev string
			var t int64
			var v uint64
			if err := rows.Scan(&dev, &t, &v); err != nil {
				return err
			}
			i, ok := idx[dev]
			if !ok {
				i = len(out.Series)
				idx[dev] = i
				out.Series = append(out.Series, chartSeries{Label: dev, Values: make([]float64, len(out.Times))})
			}
			out.set(r, t, i, float64(v)/perMin)
			return nil
		})
}

func newChart(times []int64, labels ...string) chart {
	c := chart{Times: times}
	for _, l := range labels {
		c.Series = append(c.Series, chartSeries{Label: l, Values: make([]float64, len(times))})
	}
	return c
}

func (c *chart) set(r dashRange, t int64, series int, v float64) {
	i := int((t - r.From.Unix()) / int64(r.Step/time.Second))
	if i >= 0 && i < len(c.Times) {
		c.Series[series].Values[i] = v
	}
}
