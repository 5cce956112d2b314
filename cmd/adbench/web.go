package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/web/auth"
	"github.com/activedefense/activedefense/web/ops"
	"github.com/activedefense/activedefense/web/ui"
)

// The web benchmark (adbench web): stores -rows log lines over the last
// 24 h in a fresh embedded store with INSERT ... SELECT FROM numbers()
// (almost every line from a different source: the worst case for the
// table's key; one source, the one searched, has a line every
// -rows/200 lines), which also fills the dashboard rollups through their
// materialized views. Then it measures, in one process, the server time
// of the web pages (the Fiber app in memory, session and all) against the
// same queries straight through the engine.

// webSource is the source address the search looks for.
const webSource = "203.0.113.77"

func webBench(args []string) error {
	fs := flag.NewFlagSet("web", flag.ContinueOnError)
	rows := fs.Uint64("rows", 100_000_000, "log lines to store over the last 24 h")
	reps := fs.Int("reps", 7, "runs per measurement (the median is reported)")
	chunk := fs.Uint64("chunk", 20_000_000, "lines per INSERT ... SELECT")
	settle := fs.Duration("settle", 15*time.Minute, "longest wait for merges before measuring again (0: measure once)")
	keep := fs.String("data", "", "data dir to keep and reuse (the load is skipped when it holds the lines); default a temporary one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dir := *keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "adbench-web-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	ctx := context.Background()
	st, err := chembed.Open(ctx, chembed.Options{Path: dir})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := schema.Migrate(ctx, st, schema.DefaultRenderOptions()); err != nil {
		return err
	}
	fmt.Printf("adbench web: %d lines over 24 h, median of %d runs, %s\n\n", *rows, *reps, time.Now().UTC().Format("2006-01-02"))
	have, err := schema.Count(ctx, st, "SELECT count() FROM firewall_logs", nil)
	if err != nil {
		return err
	}
	if have == 0 {
		took, err := webLoad(ctx, st, *rows, *chunk)
		if err != nil {
			return err
		}
		fmt.Printf("loaded in %s (%.0f lines/s, rollups included)\n", took.Round(time.Second), float64(*rows)/took.Seconds())
	}
	app, cookie, err := webApp(ctx, st)
	if err != nil {
		return err
	}
	// Both states: right after the bulk load (many parts, merges running on
	// the same two cores) and once the merges have settled.
	for i, state := range []string{"right after the load, merges running", "after the merges settled"} {
		if i == 1 {
			if *settle <= 0 {
				break
			}
			webSettle(ctx, st, *settle)
		}
		var parts, rollup uint64
		_ = schema.QueryRow(ctx, st, "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'firewall_logs' AND active", nil, &parts)
		_ = schema.QueryRow(ctx, st, "SELECT count() FROM dash_events", nil, &rollup)
		fmt.Printf("\n%s: %d active parts of firewall_logs; dash_events %d rows\n\n", state, parts, rollup)
		if err := measureWeb(ctx, st, app, cookie, *reps); err != nil {
			return err
		}
	}
	return nil
}

// webSettle waits until no merge has run for 30 s, or at most max.
func webSettle(ctx context.Context, st schema.Store, max time.Duration) {
	deadline, quiet := time.Now().Add(max), time.Now()
	for time.Now().Before(deadline) && time.Since(quiet) < 30*time.Second {
		n, err := schema.Count(ctx, st, "SELECT count() FROM system.merges WHERE database = currentDatabase()", nil)
		if err != nil || n > 0 {
			quiet = time.Now()
		}
		time.Sleep(2 * time.Second)
	}
}

// webLoad inserts the lines in chunks and returns how long it took.
func webLoad(ctx context.Context, st schema.Store, total, chunk uint64) (time.Duration, error) {
	start := time.Now()
	// From 24 h before the load to 20 minutes after its start: after a load
	// of up to 20 minutes, every line is in the last 24 h and the last
	// minutes hold lines too.
	first := start.Add(-24*time.Hour + 20*time.Minute).Unix()
	span := uint64(24 * time.Hour / time.Second)
	every := max(total/200, 1)
	for from := uint64(0); from < total; from += chunk {
		n := min(chunk, total-from)
		t0 := time.Now()
		err := st.Exec(ctx, `INSERT INTO firewall_logs (ts, generated, device, type, subtype, src_ip, dst_ip, src_port, dst_port,
  src_country, dst_country, app, proto, action, rule, threat_name, threat_id, severity, session_id, bytes_sent, bytes_recv, packets)
SELECT toDateTime({first:UInt32} + intDiv(number * {span:UInt64}, {total:UInt64})) AS t, t,
  ['fw1', 'fw2', 'fw3', 'fw4'][number % 4 + 1],
  if(number % 4 = 3, 'THREAT', 'TRAFFIC') AS ty, if(ty = 'THREAT', 'vulnerability', 'end'),
  if(number % {every:UInt64} = 7, toIPv6({src:String}), toIPv6(IPv4NumToString(toUInt32(cityHash64(number) % 4294967296)))),
  toIPv6(IPv4NumToString(toUInt32(3325256704 + number % 1000))),
  1024 + number % 60000, [22, 80, 443, 3389, 445, 8080, 25, 53][number % 8 + 1],
  ['US', 'CN', 'RU', 'DE', 'NL', 'BR', 'IN', 'FR'][cityHash64(number, 1) % 8 + 1], 'NL',
  ['ssh', 'web-browsing', 'ssl', 'ms-rdp'][number % 4 + 1], 'tcp',
  if(number % 3 = 0, 'allow', 'deny'), concat('rule-', toString(number % 20)),
  if(ty = 'THREAT', concat('Threat ', toString(number % 50)), ''), if(ty = 'THREAT', 30000 + number % 50, 0),
  if(ty = 'THREAT', ['low', 'medium', 'high', 'critical'][intDiv(number, 4) % 4 + 1], ''),
  number, number % 5000, number % 20000, number % 40
FROM numbers({from:UInt64}, {n:UInt64})`, schema.Params{"first": first, "span": span, "total": total, "every": every,
			"src": webSource, "from": from, "n": n})
		if err != nil {
			return 0, fmt.Errorf("loading lines %d-%d: %w", from, from+n, err)
		}
		fmt.Fprintf(os.Stderr, "adbench web: %d/%d lines (%s)\n", from+n, total, time.Since(t0).Round(time.Second))
	}
	return time.Since(start), nil
}

// webDevices answers the pages' device lists.
type webDevices struct{ ops.Devices }

func (webDevices) ListDevices(context.Context) ([]schema.DeviceStatus, error) {
	var out []schema.DeviceStatus
	for _, n := range []string{"fw1", "fw2", "fw3", "fw4"} {
		out = append(out, schema.DeviceStatus{Name: n, State: "following"})
	}
	return out, nil
}

type webDetect struct{ ops.Detect }
type webJobs struct{}

func (webJobs) Status() []schema.JobStatus { return nil }

type webEDLClients struct{}

func (webEDLClients) Clients(context.Context) ([]schema.EDLClient, error) { return nil, nil }

// webApp builds the web application on st with a logged-in admin.
func webApp(ctx context.Context, st schema.Store) (*fiber.App, *http.Cookie, error) {
	users, sessions := auth.NewUsers(st), auth.NewSessions(st)
	_, err := users.Add(ctx, schema.Actor{Name: "bench"}, auth.UserAdd{Name: "admin", Role: schema.RoleAdmin, Password: "bench-password"})
	if err != nil && !errors.Is(err, schema.ErrExists) { // a kept data dir has it
		return nil, nil, err
	}
	id, _, err := sessions.Create(ctx, "admin")
	if err != nil {
		return nil, nil, err
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	u, err := ui.New(ui.Config{Version: "bench"}, ui.Deps{Store: st, Detect: webDetect{}, Devices: webDevices{}, Jobs: webJobs{},
		EDL: webEDLClients{}, Users: users, Sessions: sessions, Tokens: auth.NewTokens(st)}, logrus.NewEntry(log))
	if err != nil {
		return nil, nil, err
	}
	app := fiber.New(fiber.Config{ErrorHandler: u.ErrorHandler, DisableStartupMessage: true})
	u.Register(app)
	return app, &http.Cookie{Name: auth.CookieName(false), Value: id}, nil
}

// webMedian runs fn reps times and returns the median and the first time.
func webMedian(reps int, fn func() error) (med, first time.Duration, err error) {
	var ds []time.Duration
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, 0, err
		}
		ds = append(ds, time.Since(t0))
	}
	first = ds[0]
	slices.Sort(ds)
	return ds[len(ds)/2], first, nil
}

// webPage gets a page and checks it answered 200 with want in it.
func webPage(app *fiber.App, cookie *http.Cookie, path string, want string) func() error {
	return func() error {
		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.AddCookie(cookie)
		res, err := app.Test(r, -1)
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !webContains(b, want) {
			return fmt.Errorf("GET %s: %d %.300s", path, res.StatusCode, b)
		}
		return nil
	}
}
