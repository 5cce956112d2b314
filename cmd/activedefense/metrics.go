package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/activedefense/activedefense/detect"
	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/edl"
)

// metrics is serve's /metrics: one registry, the few counters only an
// observer of calls can keep (detection runs, HTTP requests), and a
// collector reading the components' state at scrape time.
type metrics struct {
	reg      *prometheus.Registry
	runs     *prometheus.CounterVec
	runTime  prometheus.Histogram
	found    *prometheus.CounterVec
	requests *prometheus.CounterVec
	reqTime  *prometheus.HistogramVec
	devices  atomic.Pointer[[]schema.DeviceStatus] // as of the last silence check
}

const ns = "activedefense"

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "detect_runs_total",
			Help: "Detection runs by trigger (schedule, manual, settings) and result (ok, error)."}, []string{"trigger", "result"}),
		runTime: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "detect_run_duration_seconds",
			Help: "Duration of detection runs.", Buckets: prometheus.ExponentialBuckets(0.05, 2, 13)}),
		found: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "detect_detections_total",
			Help: "Sources found by detection runs, by case and what was done (blocked, refreshed, monitored, suppressed, held)."},
			[]string{"case", "action"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "http_requests_total",
			Help: "HTTP requests on the web port by method, route pattern and status code."}, []string{"method", "route", "code"}),
		reqTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "http_request_duration_seconds",
			Help: "HTTP request duration by route pattern.", Buckets: prometheus.DefBuckets}, []string{"route"}),
	}
	m.reg.MustRegister(m.runs, m.runTime, m.found, m.requests, m.reqTime,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// handler serves the registry.
func (m *metrics) handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
}

// middleware counts requests by route pattern (not path, which would
// make a series per address or device).
func (m *metrics) middleware(c *fiber.Ctx) error {
	start, self := time.Now(), c.Route()
	err := c.Next()
	code := c.Response().StatusCode()
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	} else if err != nil {
		code = fiber.StatusInternalServerError
	}
	route := c.Route().Path
	if code == fiber.StatusNotFound && (c.Route() == self || route == "/") {
		route = "other" // no route matched: only a middleware ran
	}
	m.requests.WithLabelValues(c.Method(), route, strconv.Itoa(code)).Inc()
	m.reqTime.WithLabelValues(route).Observe(time.Since(start).Seconds())
	return err
}

// observeRun records one detection run.
func (m *metrics) observeRun(trigger string, res schema.RunResult, err error, d time.Duration) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.runs.WithLabelValues(trigger, result).Inc()
	m.runTime.Observe(d.Seconds())
	for _, det := range res.Detections {
		m.found.WithLabelValues(det.Case, det.Action).Inc()
	}
}

// observedDetect is the detection service with its runs counted, whoever
// starts them (the scheduler, the CLI, the web pages).
type observedDetect struct {
	*detect.Service
	m *metrics
	// before runs ahead of a manual run (serve: let ingest catch up).
	before func(ctx context.Context)
}

// Run runs detection and records it.
func (o observedDetect) Run(ctx context.Context, trigger string) (schema.RunResult, error) {
	if trigger == detect.TriggerManual && o.before != nil {
		o.before(ctx)
	}
	start := time.Now()
	res, err := o.Service.Run(ctx, trigger)
	o.m.observeRun(trigger, res, err, time.Since(start))
	return res, err
}

// setDevices keeps the devices' state from the last silence check.
func (m *metrics) setDevices(devs []schema.DeviceStatus) { m.devices.Store(&devs) }

// sources are the components' state read at scrape time; nil fields are
// left out.
type sources struct {
	ingest  func() []ingest.Status
	syslog  func() ingest.ListenerStats
	notify  *detect.Notifier
	jobs    func() []schema.JobStatus
	edl     *edl.Server
	store   schema.Querier
	devices func() []schema.DeviceStatus
}

// stateCollector turns sources into metrics at each scrape.
type stateCollector struct {
	src sources
	d   map[string]*prometheus.Desc
}

// watch registers a collector of src.
func (m *metrics) watch(src sources) {
	if src.devices == nil {
		src.devices = func() []schema.DeviceStatus {
			if p := m.devices.Load(); p != nil {
				return *p
			}
			return nil
		}
	}
	m.reg.MustRegister(&stateCollector{src: src, d: describe()})
}

// describe declares the collector's metrics: name → help and labels.
func describe() map[string]*prometheus.Desc {
	d := map[string]*prometheus.Desc{}
	add := func(name, help string, labels ...string) {
		d[name] = prometheus.NewDesc(ns+"_"+name, help, labels, nil)
	}
	add("ingest_lines_total", "Lines read per device (all kinds).", "device")
	add("ingest_parsed_lines_total", "Lines by parser result: parsed (stored as rows), skipped (other PAN-OS types), rejected.", "device", "result")
	add("ingest_rejects_total", "Rejected lines by reason.", "device", "reason")
	add("ingest_rows_total", "Rows inserted per device: log rows and rejected lines.", "device")
	add("ingest_batches_total", "Batches inserted per device.", "device")
	add("ingest_insert_seconds_total", "Time spent in inserts per device (divide by batches for the mean batch time).", "device")
	add("ingest_last_batch_seconds", "Duration of the last batch insert.", "device")
	add("ingest_lag_seconds", "Now minus the newest stored event time.", "device")
	add("ingest_backlog_bytes", "Bytes of the device's file not read yet.", "device")
	add("ingest_stream_state", "1 for the state each device's stream is in (following, waiting, retrying, ...).", "device", "state")
	add("syslog_lines_total", "Syslog listener lines by result.", "result")
	add("notify_messages_total", "Notifications by result (sent, failed, dropped).", "result")
	add("job_last_run_timestamp_seconds", "When each scheduled job last ran.", "job")
	add("job_last_duration_seconds", "How long each scheduled job's last run took.", "job")
	add("job_last_failed", "1 when the job's last run failed.", "job")
	add("edl_entries", "Entries served in each External Dynamic List.", "list")
	add("edl_polls_total", "EDL polls answered since start.")
	add("edl_client_polls_total", "EDL polls per client address and list (kept across restarts).", "client", "list")
	add("edl_client_last_poll_timestamp_seconds", "When each client last polled each list.", "client", "list")
	add("blacklist_entries", "Blacklist entries by state and category.", "state", "category")
	add("engine_memory_bytes", "Memory tracked by the ClickHouse engine (system.metrics MemoryTracking).")
	add("engine_queries", "Queries running in the engine.")
	add("engine_merges", "Background merges running in the engine.")
	add("process_memory_bytes", "This process's resident memory by kind: anon, file (mapped files such as libchdb.so), peak (VmHWM).", "kind")
	add("device_silent", "1 when the device sent no line for device.silence_minutes (as of the last check, every minute).", "device")
	return d
}

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	emit := func(name string, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(c.d[name], t, v, labels...)
	}
	if c.src.ingest != nil {
		collectIngest(emit, c.src.ingest(), time.Now())
	}
	if c.src.syslog != nil {
		s := c.src.syslog()
		for result, n := range map[string]uint64{"received": s.Received, "parsed": s.Parsed, "skipped": s.Skipped,
			"rejected": s.Rejected, "dropped_queue_full": s.DroppedFull, "dropped_oversize": s.DroppedOversize,
			"dropped_store_failure": s.DroppedStore, "dropped_unknown_sender": s.UnknownSender, "framing_error": s.FramingErrors} {
			emit("syslog_lines_total", prometheus.CounterValue, float64(n), result)
		}
	}
	if n := c.src.notify; n != nil {
		emit("notify_messages_total", prometheus.CounterValue, float64(n.Sent.Load()), "sent")
		emit("notify_messages_total", prometheus.CounterValue, float64(n.Failed.Load()), "failed")
		emit("notify_messages_total", prometheus.CounterValue, float64(n.Dropped.Load()), "dropped")
	}
	if c.src.jobs != nil {
		for _, j := range c.src.jobs() {
			if !j.LastRun.IsZero() {
				emit("job_last_run_timestamp_seconds", prometheus.GaugeValue, unixSeconds(j.LastRun), j.Name)
			}
			emit("job_last_duration_seconds", prometheus.GaugeValue, j.Duration.Seconds(), j.Name)
			emit("job_last_failed", prometheus.GaugeValue, boolFloat(j.LastErr != ""), j.Name)
		}
	}
	for _, d := range c.src.devices() {
		emit("device_silent", prometheus.GaugeValue, boolFloat(d.Silent), d.Name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c.collectEDL(ctx, ch, emit)
	c.collectStore(ctx, ch, emit)
	collectProcess(emit)
}

type emitFunc func(name string, t prometheus.ValueType, v float64, labels ...string)

func collectIngest(emit emitFunc, streams []ingest.Status, now time.Time) {
	for _, s := range streams {
		dev := s.Device
		emit("ingest_lines_total", prometheus.CounterValue, float64(s.Lines), dev)
		emit("ingest_parsed_lines_total", prometheus.CounterValue, float64(s.Parsed), dev, "parsed")
		emit("ingest_parsed_lines_total", prometheus.CounterValue, float64(s.Skipped), dev, "skipped")
		emit("ingest_parsed_lines_total", prometheus.CounterValue, float64(s.Rejected), dev, "rejected")
		for reason, n := range s.Reasons {
			emit("ingest_rejects_total", prometheus.CounterValue, float64(n), dev, reason)
		}
		emit("ingest_rows_total", prometheus.CounterValue, float64(s.RowsInserted), dev)
		emit("ingest_batches_total", prometheus.CounterValue, float64(s.Batches), dev)
		emit("ingest_insert_seconds_total", prometheus.CounterValue, s.InsertTime.Seconds(), dev)
		emit("ingest_last_batch_seconds", prometheus.GaugeValue, s.LastInsert.Seconds(), dev)
		if !s.Newest.IsZero() {
			emit("ingest_lag_seconds", prometheus.GaugeValue, now.Sub(s.Newest).Seconds(), dev)
		}
		if s.Size >= 0 && s.Size >= s.Offset {
			emit("ingest_backlog_bytes", prometheus.GaugeValue, float64(s.Size-s.Offset), dev)
		}
		emit("ingest_stream_state", prometheus.GaugeValue, 1, dev, s.State)
	}
}

func (c *stateCollector) collectEDL(ctx context.Context, ch chan<- prometheus.Metric, emit emitFunc) {
	e := c.src.edl
	if e == nil {
		return
	}
	for _, l := range e.Lists() {
		emit("edl_entries", prometheus.GaugeValue, float64(l.Entries), l.Name)
	}
	emit("edl_polls_total", prometheus.CounterValue, float64(e.Polls.Load()))
	clients, err := e.Clients(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.d["edl_client_polls_total"], err)
		return
	}
	for _, cl := range clients {
		emit("edl_client_polls_total", prometheus.CounterValue, float64(cl.Polls), cl.Client, cl.List)
		emit("edl_client_last_poll_timestamp_seconds", prometheus.GaugeValue, unixSeconds(cl.LastPoll), cl.Client, cl.List)
	}
}

// collectStore reads the blacklist's size and the engine's own metrics.
func (c *stateCollector) collectStore(ctx context.Context, ch chan<- prometheus.Metric, emit emitFunc) {
	if c.src.store == nil {
		return
	}
	err := schema.QueryEach(ctx, c.src.store, "SELECT state, category, count() FROM blacklist FINAL GROUP BY state, category", nil,
		func(r schema.Rows) error {
			var state, category string
			var n uint64
			if err := r.Scan(&state, &category, &n); err != nil {
				return err
			}
			emit("blacklist_entries", prometheus.GaugeValue, float64(n), state, category)
			return nil
		})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.d["blacklist_entries"], err)
	}
	names := map[string]string{"MemoryTracking": "engine_memory_bytes", "Query": "engine_queries", "Merge": "engine_merges"}
	err = schema.QueryEach(ctx, c.src.store, "SELECT metric, value FROM system.metrics WHERE metric IN ('MemoryTracking', 'Query', 'Merge')", nil,
		func(r schema.Rows) error {
			var metric string
			var v int64
			if err := r.Scan(&metric, &v); err != nil {
				return err
			}
			emit(names[metric], prometheus.GaugeValue, float64(v))
			return nil
		})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.d["engine_memory_bytes"], err)
	}
}

// collectProcess reads the resident memory split from /proc/self/status.
func collectProcess(emit emitFunc) {
	for kind, field := range map[string]string{"anon": "RssAnon", "file": "RssFile", "peak": "VmHWM"} {
		if n, err := procStatusField("self", field); err == nil {
			emit("process_memory_bytes", prometheus.GaugeValue, float64(n), kind)
		}
	}
}

// readiness is /readyz: the store answers and has every migration this
// binary knows (current), and ingest runs when there are devices to follow.
func readiness(st schema.Store, current int, streams func() []ingest.Status) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		n, err := schema.Count(ctx, st, "SELECT count() FROM schema_migrations WHERE version = {v:UInt32}", schema.Params{"v": current})
		if err != nil {
			return fmt.Errorf("reading schema_migrations: %w", err)
		}
		if n == 0 {
			return fmt.Errorf("migration %d is not applied", current)
		}
		if len(streams()) > 0 {
			return nil
		}
		devs, err := schema.ListDevices(ctx, st)
		if err != nil {
			return err
		}
		for _, d := range devs {
			if d.Enabled {
				return errors.New("ingest is not running")
			}
		}
		return nil
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
