package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// webSearchSQL is the records search the page runs for a source over 24 h,
// as the engine gets it: the baseline of the search.
const webSearchSQL = `SELECT ts, device, type, subtype, src_ip, dst_ip, src_port, dst_port, src_country, dst_country,
src_user, app, action, rule, threat_name, toString(severity), session_id, src_edl
FROM firewall_logs WHERE ts >= {from:DateTime} AND ts < {to:DateTime} AND src_ip = toIPv6({src:String})
ORDER BY ts DESC, src_ip, dst_ip, src_port, dst_port, session_id LIMIT 51 OFFSET 0`

// webLatestSQL is the search page without a filter (the newest 50 lines),
// as the page runs it: over the last 5 minutes first, which hold a page.
const webLatestSQL = `SELECT ts, device, type, subtype, src_ip, dst_ip, src_port, dst_port, src_country, dst_country,
src_user, app, action, rule, threat_name, toString(severity), session_id, src_edl
FROM firewall_logs WHERE ts >= {to:DateTime} - INTERVAL 5 MINUTE AND ts < {to:DateTime}
ORDER BY ts DESC, src_ip, dst_ip, src_port, dst_port, session_id LIMIT 51 OFFSET 0`

// webRollupSQL are the dashboard's heaviest rollup reads, straight through the
// engine: the baseline of the dashboard.
var webRollupSQL = []string{
	`SELECT toStartOfInterval(bucket, INTERVAL 15 MINUTE) AS t, sumIf(lines, action = 'allow'), sumIf(lines, action != 'allow')
FROM dash_events WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime} GROUP BY t`,
	`SELECT arraySlice(approx_top_countMerge(50)(src), 1, 10), arraySlice(approx_top_countMerge(50)(dst), 1, 10),
arraySlice(approx_top_countMerge(50)(dst_port), 1, 10) FROM dash_top WHERE bucket >= toStartOfHour({from:DateTime}) AND bucket < {to:DateTime}`,
	`SELECT src_country, sum(lines) AS n FROM dash_events WHERE bucket >= {from:DateTime} AND bucket < {to:DateTime}
AND (type = 'THREAT' OR action != 'allow') GROUP BY src_country ORDER BY n DESC LIMIT 10`,
}

// webRawSQL is what the same charts and tops cost on the log table itself
// (what the rollups replace).
var webRawSQL = []string{
	`SELECT toStartOfInterval(ts, INTERVAL 15 MINUTE) AS t, countIf(action = 'allow'), countIf(action != 'allow')
FROM firewall_logs WHERE ts >= {from:DateTime} AND ts < {to:DateTime} GROUP BY t`,
	`SELECT topK(10)(src_ip), topK(10)(dst_ip), topK(10)(dst_port) FROM firewall_logs
WHERE ts >= {from:DateTime} AND ts < {to:DateTime} AND (type = 'THREAT' OR action != 'allow')`,
	`SELECT src_country, count() AS n FROM firewall_logs WHERE ts >= {from:DateTime} AND ts < {to:DateTime}
AND (type = 'THREAT' OR action != 'allow') GROUP BY src_country ORDER BY n DESC LIMIT 10`,
}

// webDrain runs a query and reads every row.
func webDrain(ctx context.Context, st schema.Store, q string, p schema.Params) error {
	rows, err := st.Query(ctx, q, p)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("no rows from %.60s", q)
	}
	return nil
}

func webDrainAll(ctx context.Context, st schema.Store, qs []string, p schema.Params) func() error {
	return func() error {
		for _, q := range qs {
			if err := webDrain(ctx, st, q, p); err != nil {
				return err
			}
		}
		return nil
	}
}

type webCase struct {
	what   string
	target time.Duration
	page   func() error
	base   func() error
	note   string
	dash   bool // part of the dashboard
}

func measureWeb(ctx context.Context, st schema.Store, app *fiber.App, cookie *http.Cookie, reps int) error {
	now := time.Now()
	p := schema.Params{"from": now.Add(-24 * time.Hour), "to": now.Add(time.Minute), "src": webSource}
	cases := []webCase{
		{"search by source address, 24 h (`/records?src=…`)", 300 * time.Millisecond,
			webPage(app, cookie, "/records?range=24h&src="+webSource, webSource),
			func() error { return webDrain(ctx, st, webSearchSQL, p) }, "the page's query", false},
		{"newest lines, no filter, 24 h (`/records`)", 0, webPage(app, cookie, "/records", "older"),
			func() error { return webDrain(ctx, st, webLatestSQL, p) }, "the page's query", false},
		{"dashboard page, 24 h (`/`: tiles, tops, devices)", 0, webPage(app, cookie, "/?range=24h", "Top attacking sources"),
			webDrainAll(ctx, st, webRollupSQL, p), "three rollup reads", true},
		{"dashboard charts, 24 h (`/dashboard/data`)", 0, webPage(app, cookie, "/dashboard/data?range=24h", `"events"`),
			webDrainAll(ctx, st, webRollupSQL[:1], p), "the events rollup read", true},
	}
	fmt.Println("| what | web page (server time) | first run | baseline: engine | baseline query | target |")
	fmt.Println("|---|---|---|---|---|---|")
	var dash time.Duration
	for _, c := range cases {
		pm, pf, bm, err := webPair(reps, c.page, c.base)
		if err != nil {
			return err
		}
		target := "—"
		if c.target > 0 {
			target = "≤ " + c.target.String() + webVerdict(pm <= c.target)
		}
		if c.dash {
			dash += pm
		}
		fmt.Printf("| %s | %s | %s | %s | %s | %s |\n", c.what, webMS(pm), webMS(pf), webMS(bm), c.note, target)
	}
	fmt.Printf("| dashboard, page + charts | %s | | | | ≤ 1s%s |\n", webMS(dash), webVerdict(dash <= time.Second))
	raw, _, err := webMedian(min(reps, 3), webDrainAll(ctx, st, webRawSQL, p))
	if err != nil {
		return err
	}
	fmt.Printf("\nthe same charts and tops from the log table instead of the rollups: %s (median of %d)\n", webMS(raw), min(reps, 3))
	return nil
}

// webPair runs the page and its baseline alternately, so both meet the
// same background merges, and returns the page's median and first time and
// the baseline's median.
func webPair(reps int, page, base func() error) (pm, pf, bm time.Duration, err error) {
	var ps, bs []time.Duration
	for i := 0; i < reps; i++ {
		for _, x := range []struct {
			fn  func() error
			out *[]time.Duration
		}{{page, &ps}, {base, &bs}} {
			t0 := time.Now()
			if err := x.fn(); err != nil {
				return 0, 0, 0, err
			}
			*x.out = append(*x.out, time.Since(t0))
		}
	}
	pf = ps[0]
	slices.Sort(ps)
	slices.Sort(bs)
	return ps[len(ps)/2], pf, bs[len(bs)/2], nil
}

func webVerdict(ok bool) string {
	if ok {
		return " (met)"
	}
	return " (**not met**)"
}

func webMS(d time.Duration) string {
	return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
}

func webContains(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }
