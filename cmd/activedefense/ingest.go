package main

import (
	"context"
	"os"
	"time"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// pipelineControl adapts the running pipeline (and syslog listener) for the
// device operations.
type pipelineControl struct {
	p *ingest.Pipeline
	l *ingest.Listener // nil when the listener is off
}

// Reload makes the follower and the listener pick up device changes now.
func (c pipelineControl) Reload() {
	c.p.Reload()
	if c.l != nil {
		c.l.Reload()
	}
}

// Overlay replaces stored status with the live status of running streams.
func (c pipelineControl) Overlay(devs []schema.DeviceStatus) {
	live := map[string]ingest.Status{}
	for _, s := range c.p.Status() {
		live[s.Device] = s
	}
	for i := range devs {
		s, ok := live[devs[i].Name]
		if !ok {
			continue
		}
		d := &devs[i]
		d.State, d.Error = s.State, s.Error
		d.File, d.Offset, d.Size = s.File, s.Committed, s.Size
		d.Lines, d.Parsed, d.Skipped, d.Rejected = s.Lines, s.Parsed, s.Skipped, s.Rejected
		if s.Newest.After(d.Newest) {
			d.Newest = s.Newest
		}
		if d.Error == "file missing" && s.Size > 0 {
			d.Error = ""
		}
	}
}

// catchUp waits, before a manual detection run, until every followed file
// (and every registered one whose stream is still starting) is stored up to
// its size (or stops advancing for two seconds, or 30
// seconds pass): lines written just before `activedefense detect` count.
func catchUp(ctx context.Context, status func() []ingest.Status, devices func(context.Context) ([]schema.Device, error)) {
	deadline := time.Now().Add(30 * time.Second)
	var last uint64
	still := time.Now()
	for time.Now().Before(deadline) {
		behind, sum := false, uint64(0)
		streams := status()
		running := map[string]bool{}
		for _, s := range streams {
			running[s.Device] = true
		}
		if devs, err := devices(ctx); err == nil {
			for _, d := range devs { // registered, its stream not started yet
				if fi, err := os.Stat(d.Path); err == nil && fi.Size() > 0 && d.Enabled && !running[d.Name] {
					behind = true
				}
			}
		}
		for _, s := range streams {
			sum += s.Committed
			size := s.Size
			if fi, err := os.Stat(s.Path); err == nil && fi.Size() > size { // the follower may not have looked yet
				size = fi.Size()
			}
			if size > 0 && s.Committed < uint64(size) {
				behind = true
			}
		}
		if !behind {
			return
		}
		if sum != last {
			last, still = sum, time.Now()
		} else if time.Since(still) > 2*time.Second {
			return // an unterminated last line, or a stalled store: do not wait longer
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
