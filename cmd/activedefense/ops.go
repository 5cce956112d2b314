package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// backend is what the CLI commands need. localOps implements it on an open
// store; remoteOps forwards to a running server over its control socket,
// where the same localOps does the work. One implementation of each
// operation, two transports.
type backend interface {
	SQL(ctx context.Context, req sqlRequest, w io.Writer) error
	AddUser(ctx context.Context, u schema.User) error
	AddDevice(ctx context.Context, d schema.Device) error
	RemoveDevice(ctx context.Context, name string) error
	Devices(ctx context.Context) ([]deviceStatus, error)
	Migrate(ctx context.Context, req migrateRequest) (schema.MigrateResult, error)
	Import(ctx context.Context, req importRequest) (ingest.ImportResult, error)
	Close() error
}

type sqlRequest struct {
	Query  string `json:"query"`
	Header bool   `json:"header"`
}

type migrateRequest struct {
	RetentionDays int `json:"retention_days"`
}

// deviceStatus is one row of `device list`.
type deviceStatus struct {
	Name     string `json:"name"`
	Path     string `json:"path"`
	Timezone string `json:"timezone"`
	Enabled  bool   `json:"enabled"`
	State    string `json:"state"`
	File     string `json:"file"`
	Offset   uint64 `json:"offset"`
	Size     int64  `json:"size"`
	Lines    uint64 `json:"lines"`
	Parsed   uint64 `json:"parsed"`
	Skipped  uint64 `json:"skipped"`
	Rejected uint64 `json:"rejected"`
	// Reasons counts the rejected lines still kept (30 days), by reason.
	Reasons map[string]uint64 `json:"reasons,omitempty"`
	Newest  time.Time         `json:"newest"` // newest event time stored
	Error   string            `json:"error,omitempty"`
}

// lag is now minus the newest event time, or -1 when unknown.
func (d deviceStatus) lag(now time.Time) time.Duration {
	if d.Newest.IsZero() {
		return -1
	}
	return now.Sub(d.Newest).Truncate(time.Second)
}

// ingestControl is what operations need from a running ingest pipeline.
type ingestControl interface {
	// Reload makes the pipeline pick up device changes now.
	Reload()
	// Overlay replaces stored status with live status where it has one.
	Overlay(devs []deviceStatus)
}

// localOps runs operations on an open store.
type localOps struct {
	st     schema.Store
	log    *logrus.Entry
	ingest ingestControl // nil when no pipeline runs in this process
	icfg   ingest.Config // batching for imports
	close  func() error
}

func (o *localOps) Close() error {
	if o.close != nil {
		return o.close()
	}
	return nil
}

// SQL runs one statement and writes its result as TSV.
func (o *localOps) SQL(ctx context.Context, req sqlRequest, w io.Writer) error {
	rows, err := o.st.Query(ctx, req.Query, nil)
	if err != nil {
		return err
	}
	defer rows.Close()
	return writeTSV(w, rows, req.Header)
}

func writeTSV(w io.Writer, rows schema.Rows, header bool) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cols := rows.Columns()
	vals := make([]string, len(cols))
	dest := make([]any, len(cols))
	for i := range vals {
		dest[i] = &vals[i]
	}
	if header && len(cols) > 0 {
		for i, c := range cols {
			vals[i] = c.Name
		}
		writeTSVRow(bw, vals)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		writeTSVRow(bw, vals)
	}
	if err := rows.Err(); err != nil {
		bw.Flush()
		return err
	}
	return bw.Flush()
}

func writeTSVRow(w *bufio.Writer, vals []string) {
	for i, v := range vals {
		if i > 0 {
			w.WriteByte('\t')
		}
		w.WriteString(schema.EscapeTSV(v))
	}
	w.WriteByte('\n')
}

func (o *localOps) AddUser(ctx context.Context, u schema.User) error {
	if err := schema.AddUser(ctx, o.st, u); err != nil {
		return err
	}
	o.log.WithFields(logrus.Fields{"user": u.Name, "role": u.Role}).Info("user added")
	return nil
}

func (o *localOps) AddDevice(ctx context.Context, d schema.Device) error {
	if err := schema.AddDevice(ctx, o.st, d); err != nil {
		return err
	}
	o.log.WithFields(logrus.Fields{"device": d.Name, "file": d.Path}).Info("device added")
	if o.ingest != nil {
		o.ingest.Reload()
	}
	return nil
}

func (o *localOps) RemoveDevice(ctx context.Context, name string) error {
	if err := schema.RemoveDevice(ctx, o.st, name); err != nil {
		return err
	}
	o.log.WithField("device", name).Info("device removed")
	if o.ingest != nil {
		o.ingest.Reload()
	}
	return nil
}

func (o *localOps) Migrate(ctx context.Context, req migrateRequest) (schema.MigrateResult, error) {
	return migrate(ctx, o.st, req.RetentionDays)
}

// migrate applies migrations, then the retention when one is given and it
// differs from the recorded one.
func migrate(ctx context.Context, st schema.Store, retentionDays int) (schema.MigrateResult, error) {
	o := schema.DefaultRenderOptions()
	if retentionDays > 0 {
		o.RetentionDays = retentionDays
	}
	res, err := schema.Migrate(ctx, st, o)
	if err != nil {
		return res, err
	}
	if retentionDays > 0 {
		if _, err := schema.SetRetention(ctx, st, retentionDays); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Devices lists devices with their ingest status: live from the pipeline
// when one runs here, else from the checkpoints and the files.
func (o *localOps) Devices(ctx context.Context) ([]deviceStatus, error) {
	devs, err := schema.ListDevices(ctx, o.st)
	if err != nil {
		return nil, err
	}
	cps, err := schema.ListCheckpoints(ctx, o.st)
	if err != nil {
		return nil, err
	}
	newest, err := newestPerDevice(ctx, o.st)
	if err != nil {
		return nil, err
	}
	reasons, err := rejectReasons(ctx, o.st)
	if err != nil {
		return nil, err
	}
	byStream := map[string]schema.Checkpoint{}
	for _, c := range cps {
		byStream[c.Stream] = c
	}
	out := make([]deviceStatus, 0, len(devs))
	for _, d := range devs {
		s := deviceStatus{Name: d.Name, Path: d.Path, Timezone: d.Timezone, Enabled: d.Enabled, State: "stopped",
			Newest: newest[d.Name], Size: -1, Reasons: reasons[d.Name]}
		if c, ok := byStream[d.Name]; ok {
			s.File, s.Offset, s.Lines, s.Parsed, s.Skipped, s.Rejected = c.File, c.Offset, c.Lines, c.Parsed, c.Skipped, c.Rejected
		}
		if fi, err := os.Stat(d.Path); err == nil {
			s.Size = fi.Size()
		} else {
			s.Error = "file missing"
		}
		out = append(out, s)
	}
	if o.ingest != nil {
		o.ingest.Overlay(out)
	}
	return out, nil
}

// newestPerDevice returns the newest stored event time per device over the
// last week (a cheap scan of the ts and device columns).
func newestPerDevice(ctx context.Context, q schema.Querier) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	err := schema.QueryEach(ctx, q, `SELECT device, max(ts) FROM firewall_logs
WHERE ts > now() - INTERVAL 7 DAY GROUP BY device`, nil, func(r schema.Rows) error {
		var d string
		var t time.Time
		err := r.Scan(&d, &t)
		out[d] = t
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading newest events: %w", err)
	}
	return out, nil
}

// rejectReasons counts the kept rejected lines per device and reason.
func rejectReasons(ctx context.Context, q schema.Querier) (map[string]map[string]uint64, error) {
	out := map[string]map[string]uint64{}
	err := schema.QueryEach(ctx, q, "SELECT device, reason, count() FROM rejected_lines GROUP BY device, reason", nil,
		func(r schema.Rows) error {
			var d, reason string
			var n uint64
			if err := r.Scan(&d, &reason, &n); err != nil {
				return err
			}
			if out[d] == nil {
				out[d] = map[string]uint64{}
			}
			out[d][reason] = n
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("counting rejected lines: %w", err)
	}
	return out, nil
}
