package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/activedefense/activedefense/ingest"
)

// ingestFlags registers the ingest tuning flags shared by serve and import.
func ingestFlags(fs *flag.FlagSet, c *ingest.Config) {
	fs.IntVar(&c.BatchRows, "batch-rows", 50000, "flush a batch at this many lines")
	fs.DurationVar(&c.FlushInterval, "flush-interval", time.Second, "flush a batch this long after its first line")
}

// pipelineControl adapts the running pipeline for the operations.
type pipelineControl struct{ p *ingest.Pipeline }

func (c pipelineControl) Reload() { c.p.Reload() }

// Overlay replaces stored status with the live status of running streams.
func (c pipelineControl) Overlay(devs []deviceStatus) {
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

// importRequest is `activedefense import`.
type importRequest struct {
	Path     string `json:"path"`
	Device   string `json:"device"`
	Timezone string `json:"timezone"`
}

func (o *localOps) Import(ctx context.Context, req importRequest) (ingest.ImportResult, error) {
	log := o.log.WithField("component", "import")
	res, err := ingest.Import(ctx, o.icfg, o.st, log, ingest.ImportOptions{Path: req.Path, Device: req.Device, Timezone: req.Timezone})
	if err == nil {
		log.WithFields(map[string]any{"file": req.Path, "device": req.Device, "lines": res.Lines, "rows": res.Rows,
			"already": res.Already}).Info("import done")
	}
	return res, err
}

func cmdImport(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("import")
	var req importRequest
	fs.StringVar(&req.Device, "device", "", "device name for the rows (required)")
	fs.StringVar(&req.Timezone, "timezone", "", "IANA time zone of the file's timestamps (default: this server's)")
	var icfg ingest.Config
	ingestFlags(fs, &icfg)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "one FILE"); err != nil {
		return err
	}
	if req.Device == "" {
		return fmt.Errorf("%w: --device NAME is required", errUsage)
	}
	if req.Path, err = filepath.Abs(pos[0]); err != nil {
		return err
	}
	if _, err := os.Stat(req.Path); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if req.Timezone != "" {
		if _, err := time.LoadLocation(req.Timezone); err != nil {
			return fmt.Errorf("%w: unknown time zone %q", errUsage, req.Timezone)
		}
	}
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	if lo, ok := b.(*localOps); ok {
		lo.icfg = icfg
	}
	res, err := b.Import(ctx, req)
	if err != nil {
		return err
	}
	if res.Already {
		fmt.Fprintf(a.io.out, "%s was already imported (%d lines); nothing to do\n", req.Path, res.Lines)
		if res.Unterminated > 0 {
			fmt.Fprintf(a.io.out, "its last %d bytes have no newline and are not imported\n", res.Unterminated)
		}
		return nil
	}
	fmt.Fprintf(a.io.out, "imported %s: %d lines, %d rows, %d skipped, %d rejected in %s\n",
		req.Path, res.Lines, res.Parsed, res.Skipped, res.Rejected, res.Duration.Round(time.Millisecond))
	if res.Unterminated > 0 {
		fmt.Fprintf(a.io.out, "the last %d bytes have no newline (a line still being written?) and were not imported; import again once it is complete\n", res.Unterminated)
	}
	return nil
}
