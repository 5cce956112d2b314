package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// samples parses the text exposition format into "name{labels}" → value
// (labels as exposed: sorted by name).
func samples(t *testing.T, r io.Reader) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", l, err)
		}
		out[l[:i]] = v
	}
	return out
}

// gather scrapes m as Prometheus would.
func gather(t *testing.T, m *metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return samples(t, rec.Body)
}

func wantSamples(t *testing.T, got map[string]float64, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %t), want %v", k, g, ok, v)
		}
	}
}

func TestCollectorReadsStateAtScrape(t *testing.T) {
	m := newMetrics()
	now := time.Now()
	status := []ingest.Status{{Device: "fw1", State: "following", Lines: 120, Parsed: 100, Skipped: 15, Rejected: 5,
		Reasons: map[string]uint64{"unrecognized_format": 4, "line_too_long": 1}, RowsInserted: 105, Batches: 3,
		InsertTime: 1500 * time.Millisecond, LastInsert: 250 * time.Millisecond, Newest: now.Add(-time.Minute), Offset: 900, Size: 1000}}
	jobs := []schema.JobStatus{{Name: "detect", LastRun: time.Unix(1700000000, 0), Duration: 2 * time.Second, LastErr: "boom"}}
	m.watch(sources{ingest: func() []ingest.Status { return status }, jobs: func() []schema.JobStatus { return jobs },
		syslog: func() ingest.ListenerStats { return ingest.ListenerStats{Received: 9, UnknownSender: 2} }})
	m.setDevices([]schema.DeviceStatus{{Name: "fw1"}, {Name: "fw2", Silent: true}})
	got := gather(t, m)
	wantSamples(t, got, map[string]float64{
		`activedefense_ingest_lines_total{device="fw1"}`:                                120,
		`activedefense_ingest_parsed_lines_total{device="fw1",result="parsed"}`:         100,
		`activedefense_ingest_parsed_lines_total{device="fw1",result="skipped"}`:        15,
		`activedefense_ingest_parsed_lines_total{device="fw1",result="rejected"}`:       5,
		`activedefense_ingest_rejects_total{device="fw1",reason="unrecognized_format"}`: 4,
		`activedefense_ingest_rejects_total{device="fw1",reason="line_too_long"}`:       1,
		`activedefense_ingest_rows_total{device="fw1"}`:                                 105,
		`activedefense_ingest_batches_total{device="fw1"}`:                              3,
		`activedefense_ingest_insert_seconds_total{device="fw1"}`:                       1.5,
		`activedefense_ingest_last_batch_seconds{device="fw1"}`:                         0.25,
		`activedefense_ingest_backlog_bytes{device="fw1"}`:                              100,
		`activedefense_ingest_stream_state{device="fw1",state="following"}`:             1,
		`activedefense_syslog_lines_total{result="received"}`:                           9,
		`activedefense_syslog_lines_total{result="dropped_unknown_sender"}`:             2,
		`activedefense_job_last_run_timestamp_seconds{job="detect"}`:                    1700000000,
		`activedefense_job_last_duration_seconds{job="detect"}`:                         2,
		`activedefense_job_last_failed{job="detect"}`:                                   1,
		`activedefense_device_silent{device="fw1"}`:                                     0,
		`activedefense_device_silent{device="fw2"}`:                                     1,
	})
	if lag := got[`activedefense_ingest_lag_seconds{device="fw1"}`]; lag < 59 || lag > 120 {
		t.Errorf("lag %v s, want about 60", lag)
	}
	if got[`activedefense_process_memory_bytes{kind="file"}`] <= 0 || got["go_goroutines"] <= 0 || got["process_resident_memory_bytes"] <= 0 {
		t.Errorf("process and Go metrics missing: file %v, goroutines %v", got[`activedefense_process_memory_bytes{kind="file"}`], got["go_goroutines"])
	}
	// Counters follow the state: the next scrape sees the new values.
	status[0].Lines = 130
	if got := gather(t, m)[`activedefense_ingest_lines_total{device="fw1"}`]; got != 130 {
		t.Errorf("after more lines: %v, want 130", got)
	}
}

func TestDetectionRunsCounted(t *testing.T) {
	m := newMetrics()
	m.observeRun("schedule", schema.RunResult{Detections: []schema.Detection{
		{Case: "port_scan", Action: schema.ActionBlocked}, {Case: "port_scan", Action: schema.ActionBlocked},
		{Case: "vuln", Action: schema.ActionSuppressed}}}, nil, 1500*time.Millisecond)
	m.observeRun("manual", schema.RunResult{}, errors.New("store down"), time.Second)
	got := gather(t, m)
	wantSamples(t, got, map[string]float64{
		`activedefense_detect_runs_total{result="ok",trigger="schedule"}`:          1,
		`activedefense_detect_runs_total{result="error",trigger="manual"}`:         1,
		`activedefense_detect_detections_total{action="blocked",case="port_scan"}`: 2,
		`activedefense_detect_detections_total{action="suppressed",case="vuln"}`:   1,
		`activedefense_detect_run_duration_seconds_count`:                          2,
		`activedefense_detect_run_duration_seconds_sum`:                            2.5,
	})
}

func TestHTTPRequestsCountedByRoute(t *testing.T) {
	m := newMetrics()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(m.middleware)
	app.Use(func(c *fiber.Ctx) error { return c.Next() }) // as the request log
	app.Get("/edl/device/:name.txt", func(c *fiber.Ctx) error { return c.SendString("") })
	app.Get("/fail", func(c *fiber.Ctx) error { return fiber.NewError(fiber.StatusForbidden, "no") })
	app.Get("/metrics", m.handler())
	for _, path := range []string{"/edl/device/fw1.txt", "/edl/device/fw2.txt", "/fail", "/nope"} {
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/metrics", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	wantSamples(t, samples(t, resp.Body), map[string]float64{
		`activedefense_http_requests_total{code="200",method="GET",route="/edl/device/:name.txt"}`: 2,
		`activedefense_http_requests_total{code="403",method="GET",route="/fail"}`:                 1,
		`activedefense_http_requests_total{code="404",method="GET",route="other"}`:                 1,
	})
}

// failingStore is a store whose every statement fails.
type failingStore struct{ schema.Store }

func (failingStore) Query(context.Context, string, schema.Params) (schema.Rows, error) {
	return nil, errors.New("connection refused")
}

func TestReadinessNeedsTheStore(t *testing.T) {
	err := readiness(failingStore{}, 3, func() []ingest.Status { return nil })(t.Context())
	if err == nil || !strings.Contains(err.Error(), "reading schema_migrations") {
		t.Errorf("readiness on a dead store: %v", err)
	}
}

// TestMetricsEndpoint scrapes a running serve following a device.
func TestMetricsEndpoint(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "fw1.log")
	ls := genLines(2000, 7)
	writeLines(t, log, ls.all)
	f, err := os.OpenFile(log, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "this is no PAN-OS line")
	f.Close()
	mustCLI(t, dir, "", "device", "add", "fw1", log)
	s := startServe(t, dir)
	if resp, err := http.Get(s.url + "/files/blacklist.txt"); err == nil {
		resp.Body.Close()
	}
	var got map[string]float64
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		got = samples(t, resp.Body)
		resp.Body.Close()
		if got[`activedefense_ingest_lines_total{device="fw1"}`] == 2001 && got[`activedefense_detect_runs_total{result="ok",trigger="schedule"}`] >= 1 {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	wantSamples(t, got, map[string]float64{
		`activedefense_ingest_lines_total{device="fw1"}`:                              1 + float64(len(ls.all)),
		`activedefense_ingest_parsed_lines_total{device="fw1",result="parsed"}`:       float64(len(ls.want)),
		`activedefense_ingest_stream_state{device="fw1",state="following"}`:           1,
		`activedefense_http_requests_total{code="200",method="GET",route="/healthz"}`: 1,
		`activedefense_edl_polls_total`:                                               1,
		`activedefense_edl_entries{list="blacklist"}`:                                 0,
	})
	for _, name := range []string{`activedefense_detect_runs_total{result="ok",trigger="schedule"}`, "activedefense_engine_memory_bytes", `activedefense_process_memory_bytes{kind="peak"}`,
		"process_resident_memory_bytes", `activedefense_job_last_run_timestamp_seconds{job="detect"}`} {
		if got[name] <= 0 {
			t.Errorf("%s = %v, want > 0", name, got[name])
		}
	}
	if n := got[`activedefense_ingest_parsed_lines_total{device="fw1",result="parsed"}`] +
		got[`activedefense_ingest_parsed_lines_total{device="fw1",result="skipped"}`] +
		got[`activedefense_ingest_parsed_lines_total{device="fw1",result="rejected"}`]; n != 1+float64(len(ls.all)) {
		t.Errorf("parsed + skipped + rejected = %v, want every line (%d)", n, 1+len(ls.all))
	}
	if got[`activedefense_ingest_rejects_total{device="fw1",reason="unrecognized_format"}`] < 1 {
		t.Errorf("the garbage line is not counted as a reject: %v", got)
	}
	polls := 0.0
	for k, v := range got {
		if strings.HasPrefix(k, "activedefense_edl_client_polls_total{") && strings.HasSuffix(k, `list="blacklist"}`) {
			polls += v
		}
	}
	if polls != 1 {
		t.Errorf("edl_client_polls_total of the blacklist: %v, want 1", polls)
	}
	resp, err := http.Get(s.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz: %d", resp.StatusCode)
	}
	s.stop(t)
}
