package main

import (
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
