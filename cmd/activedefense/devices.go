package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// ingestControl is what the device operations need from a running ingest
// pipeline.
type ingestControl interface {
	// Reload makes the pipeline pick up device changes now.
	Reload()
	// Overlay replaces stored status with live status where it has one.
	Overlay(devs []schema.DeviceStatus)
}

// devices implements the device operations (ops.Devices) on the store and,
// in serve, the live pipeline.
type devices struct {
	st    schema.Store
	set   *schema.Settings
	live  ingestControl // nil without a pipeline in this process
	lists interface {   // the detection service, told of device changes
		DevicesChanged(ctx context.Context, actor schema.Actor, senders []string) error
	}
	logDir string        // files added over the network must lie under it
	icfg   ingest.Config // batching for imports
	log    *logrus.Entry
}

// AddDevice registers a device and pins its file at offset 0.
func (d *devices) AddDevice(ctx context.Context, actor schema.Actor, req schema.DeviceAdd, trusted bool) error {
	dev, err := d.validDevice(req, trusted)
	if err != nil {
		return err
	}
	if _, err := schema.GetDevice(ctx, d.st, dev.Name); err == nil {
		return fmt.Errorf("device %s: %w", dev.Name, schema.ErrExists)
	}
	// Pin the file before the device exists, so a stream started for it
	// finds the pinned checkpoint, never the other way round.
	if err := ingest.PinDevice(ctx, d.st, dev); err != nil {
		d.log.WithError(err).WithField("device", dev.Name).Warn("pinning the device's file failed; the first open pins it")
	}
	if err := schema.AddDevice(ctx, d.st, dev); err != nil {
		return err
	}
	if err := schema.PutAudit(ctx, d.st, actor.Event(schema.AuditAdd, "device "+dev.Name, dev.Path)); err != nil {
		return err
	}
	d.log.WithFields(logrus.Fields{"device": dev.Name, "file": dev.Path}).Info("device added")
	return d.changed(ctx, actor, dev.Senders)
}

// changed makes the pipeline and the detection service follow a device
// change.
func (d *devices) changed(ctx context.Context, actor schema.Actor, senders []string) error {
	if d.live != nil {
		d.live.Reload()
	}
	if d.lists != nil {
		return d.lists.DevicesChanged(ctx, actor, senders)
	}
	return nil
}

// ChangeDevice replaces a registered device's path, time zone and senders
// (validated as AddDevice does); the name identifies it and cannot change.
// A follower moved to another path resumes the checkpointed file when it
// is found there, and reads another file from its start.
func (d *devices) ChangeDevice(ctx context.Context, actor schema.Actor, req schema.DeviceAdd, trusted bool) error {
	dev, err := d.validDevice(req, trusted)
	if err != nil {
		return err
	}
	old, err := schema.GetDevice(ctx, d.st, dev.Name)
	if err != nil {
		return err
	}
	if err := schema.UpdateDevice(ctx, d.st, dev); err != nil {
		return err
	}
	if err := schema.PutAudit(ctx, d.st, actor.Event(schema.AuditSetting, "device "+dev.Name, deviceChanges(old, dev))); err != nil {
		return err
	}
	d.log.WithFields(logrus.Fields{"device": dev.Name, "file": dev.Path}).Info("device changed")
	return d.changed(ctx, actor, dev.Senders)
}

// deviceChanges says what a change does, for the audit trail.
func deviceChanges(old, dev schema.Device) string {
	var what []string
	if old.Path != dev.Path {
		what = append(what, "path "+dev.Path)
	}
	if old.Timezone != dev.Timezone {
		what = append(what, fmt.Sprintf("timezone %q", dev.Timezone))
	}
	if !slices.Equal(old.Senders, dev.Senders) {
		what = append(what, "senders "+strings.Join(dev.Senders, ","))
	}
	if len(what) == 0 {
		return "unchanged"
	}
	return strings.Join(what, ", ")
}

func (d *devices) validDevice(req schema.DeviceAdd, trusted bool) (schema.Device, error) {
	dev := schema.Device{Name: strings.TrimSpace(req.Name), Timezone: strings.TrimSpace(req.Timezone), Enabled: true}
	if !schema.ValidName(dev.Name) {
		return dev, schema.Invalid("name", "invalid device name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", req.Name)
	}
	if req.Path == "" || !filepath.IsAbs(req.Path) {
		return dev, schema.Invalid("path", "must be an absolute file path, got %q", req.Path)
	}
	dev.Path = filepath.Clean(req.Path)
	if dev.Timezone != "" {
		if _, err := time.LoadLocation(dev.Timezone); err != nil || dev.Timezone == "Local" {
			return dev, schema.Invalid("timezone", "unknown time zone %q (want an IANA name such as Europe/Berlin)", req.Timezone)
		}
	}
	senders, err := schema.ParseSenders(req.Senders)
	if err != nil {
		return dev, schema.Invalid("senders", "%v", err)
	}
	dev.Senders = senders
	if !trusted {
		return dev, underDir(d.logDir, dev.Path)
	}
	return dev, nil
}

// underDir refuses a path outside dir, symbolic links resolved.
func underDir(dir, path string) error {
	if dir == "" {
		return fmt.Errorf("path: device files can only be added by an administrator on the server: %w", schema.ErrForbidden)
	}
	real := path
	if r, err := filepath.EvalSymlinks(path); err == nil {
		real = r
	} else if r, err := filepath.EvalSymlinks(filepath.Dir(path)); err == nil {
		real = filepath.Join(r, filepath.Base(path))
	}
	base := dir
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		base = r
	}
	rel, err := filepath.Rel(base, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, "../") || filepath.IsAbs(rel) {
		return fmt.Errorf("path: %s is outside the log directory %s: %w", path, dir, schema.ErrForbidden)
	}
	return nil
}

// RemoveDevice unregisters a device.
func (d *devices) RemoveDevice(ctx context.Context, actor schema.Actor, name string) error {
	if err := schema.RemoveDevice(ctx, d.st, name); err != nil {
		return err
	}
	if err := schema.PutAudit(ctx, d.st, actor.Event(schema.AuditRemove, "device "+name, "")); err != nil {
		return err
	}
	d.log.WithField("device", name).Info("device removed")
	return d.changed(ctx, actor, nil)
}

// ListDevices lists devices with their ingest status: live from the
// pipeline when one runs here, else from the checkpoints and the files. A
// device whose newest line is older than device.silence_minutes is silent.
func (d *devices) ListDevices(ctx context.Context) ([]schema.DeviceStatus, error) {
	devs, err := schema.ListDevices(ctx, d.st)
	if err != nil {
		return nil, err
	}
	cps, err := schema.ListCheckpoints(ctx, d.st)
	if err != nil {
		return nil, err
	}
	newest, err := newestPerDevice(ctx, d.st)
	if err != nil {
		return nil, err
	}
	reasons, err := rejectReasons(ctx, d.st)
	if err != nil {
		return nil, err
	}
	byStream := map[string]schema.Checkpoint{}
	for _, c := range cps {
		byStream[c.Stream] = c
	}
	out := make([]schema.DeviceStatus, 0, len(devs))
	added := map[string]time.Time{}
	for _, dv := range devs {
		added[dv.Name] = dv.Created
		s := schema.DeviceStatus{Name: dv.Name, Path: dv.Path, Timezone: dv.Timezone, Senders: dv.Senders, Enabled: dv.Enabled, State: "stopped",
			Newest: newest[dv.Name], Size: -1, Reasons: reasons[dv.Name]}
		if c, ok := byStream[dv.Name]; ok {
			s.File, s.Offset, s.Lines, s.Parsed, s.Skipped, s.Rejected = c.File, c.Offset, c.Lines, c.Parsed, c.Skipped, c.Rejected
			if c.Lines > 0 {
				s.LastLine = c.Updated
			}
		}
		if fi, err := os.Stat(dv.Path); err == nil {
			s.Size = fi.Size()
		} else {
			s.Error = "file missing"
		}
		out = append(out, s)
	}
	if d.live != nil {
		d.live.Overlay(out)
	}
	silence := time.Duration(d.set.Values().Int(schema.DeviceSilenceMins)) * time.Minute
	for i := range out {
		s := &out[i]
		since := s.LastLine
		if since.IsZero() {
			since = s.Newest
		}
		if since.IsZero() {
			since = added[s.Name] // a device that never sent a line counts from when it was added
		}
		s.Silent = silence > 0 && s.Enabled && (since.IsZero() || time.Since(since) > silence)
	}
	return out, nil
}

// Import backfills a file through the ingest pipeline's parser and batcher.
func (d *devices) Import(ctx context.Context, req schema.LogImport) (schema.LogImportResult, error) {
	if req.Path == "" || !filepath.IsAbs(req.Path) {
		return schema.LogImportResult{}, schema.Invalid("path", "must be an absolute file path")
	}
	if !schema.ValidName(req.Device) {
		return schema.LogImportResult{}, schema.Invalid("device", "invalid device name %q", req.Device)
	}
	if req.Timezone != "" {
		if _, err := time.LoadLocation(req.Timezone); err != nil {
			return schema.LogImportResult{}, schema.Invalid("timezone", "unknown time zone %q", req.Timezone)
		}
	}
	if req.Timezone == "" { // the registered device's zone, else the server's
		if dev, err := schema.GetDevice(ctx, d.st, req.Device); err == nil {
			req.Timezone = dev.Timezone
		}
	}
	log := d.log.WithField("component", "import")
	res, err := ingest.Import(ctx, d.icfg, d.st, log, ingest.ImportOptions{Path: req.Path, Device: req.Device, Timezone: req.Timezone})
	if errors.Is(err, ingest.ErrFileInUse) {
		return schema.LogImportResult{}, fmt.Errorf("%s is being read by the follower of device %s; import it when that is done: %w",
			req.Path, req.Device, schema.ErrConflict)
	}
	if err != nil {
		return schema.LogImportResult{}, err
	}
	log.WithFields(logrus.Fields{"file": req.Path, "device": req.Device, "lines": res.Lines, "rows": res.Rows,
		"already": res.Already}).Info("import done")
	return schema.LogImportResult{Already: res.Already, Lines: res.Lines, Parsed: res.Parsed, Skipped: res.Skipped,
		Rejected: res.Rejected, Rows: res.Rows, Duration: res.Duration, Unterminated: res.Unterminated}, nil
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
