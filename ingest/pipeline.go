package ingest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// Pipeline tails every registered device file into the store. Devices added,
// changed or removed take effect at the next reload (every
// Config.ReloadInterval, or at once after Reload) without a restart.
type Pipeline struct {
	cfg      Config
	st       schema.Store
	log      *logrus.Entry
	reload   chan struct{}
	buffered atomic.Int64

	mu      sync.Mutex
	running map[string]*running
}

// running is one supervised device stream.
type running struct {
	dev    schema.Device
	stats  *stats
	cancel context.CancelFunc
	done   chan struct{}
}

// New returns a pipeline; it starts nothing until Run.
func New(cfg Config, st schema.Store, log *logrus.Entry) *Pipeline {
	return &Pipeline{cfg: cfg.withDefaults(), st: st, log: log, reload: make(chan struct{}, 1),
		running: map[string]*running{}}
}

// Reload makes Run re-read the device list now.
func (p *Pipeline) Reload() {
	select {
	case p.reload <- struct{}{}:
	default:
	}
}

// Run supervises the device streams until ctx is done, then stops them,
// letting each flush what it has read (within Config.DrainTimeout).
func (p *Pipeline) Run(ctx context.Context) error {
	p.log.Info("ingest started")
	t := time.NewTicker(p.cfg.ReloadInterval)
	defer t.Stop()
	for {
		if err := p.sync(ctx); err != nil {
			p.log.WithError(err).Warn("reading devices failed")
		}
		select {
		case <-ctx.Done():
			p.stopAll()
			p.log.Info("ingest stopped")
			return nil
		case <-t.C:
		case <-p.reload:
		}
	}
}

// sync starts streams for new devices and stops those removed or changed.
func (p *Pipeline) sync(ctx context.Context) error {
	devs, err := schema.ListDevices(ctx, p.st)
	if err != nil {
		return err
	}
	want := map[string]schema.Device{}
	for _, d := range devs {
		if d.Enabled {
			want[d.Name] = d
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for name, r := range p.running {
		if d, ok := want[name]; !ok || d.Path != r.dev.Path || d.Timezone != r.dev.Timezone {
			r.cancel()
			<-r.done
			delete(p.running, name)
			p.log.WithField("device", name).Info("device stream stopped")
		}
	}
	for name, d := range want {
		if _, ok := p.running[name]; !ok {
			p.start(ctx, d)
		}
	}
	return nil
}

func (p *Pipeline) start(ctx context.Context, d schema.Device) {
	sctx, cancel := context.WithCancel(ctx)
	r := &running{dev: d, stats: newStats(d.Name, d.Name, d.Path), cancel: cancel, done: make(chan struct{})}
	p.running[d.Name] = r
	go func() {
		defer close(r.done)
		p.supervise(sctx, r)
	}()
	p.log.WithFields(logrus.Fields{"device": d.Name, "file": d.Path}).Info("device stream started")
}

// supervise runs a device's stream, restarting it with backoff when it
// fails (e.g. the store is unreachable while loading the checkpoint).
func (p *Pipeline) supervise(ctx context.Context, r *running) {
	log := p.log.WithFields(logrus.Fields{"device": r.dev.Name, "file": r.dev.Path})
	wait := p.cfg.RetryMin
	for ctx.Err() == nil {
		loc, err := location(r.dev.Timezone)
		if err == nil {
			s := &stream{name: r.dev.Name, device: r.dev.Name, path: r.dev.Path, loc: loc, cfg: p.cfg, st: p.st,
				log: log, stats: r.stats, buffered: &p.buffered}
			err = s.run(ctx)
		}
		if ctx.Err() != nil {
			break
		}
		log.WithError(err).WithField("retry_in", wait.String()).Warn("device stream failed")
		r.stats.state("retrying", err.Error())
		if !sleep(ctx, wait) {
			break
		}
		wait = min(wait*2, p.cfg.RetryMax)
	}
	r.stats.state("stopped", "")
}

func (p *Pipeline) stopAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, r := range p.running {
		r.cancel()
	}
	for name, r := range p.running {
		<-r.done
		delete(p.running, name)
	}
}

// Status returns a snapshot of every running device stream, by name.
func (p *Pipeline) Status() []Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]Status, 0, len(p.running))
	for _, r := range p.running {
		out = append(out, r.stats.snapshot())
	}
	slices.SortFunc(out, func(a, b Status) int {
		if a.Device < b.Device {
			return -1
		}
		if a.Device > b.Device {
			return 1
		}
		return 0
	})
	return out
}

// location resolves a device's time zone ("" or "Local" = this server's).
func location(tz string) (*time.Location, error) {
	if tz == "" || tz == "Local" {
		return time.Local, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("device time zone %q: %w", tz, err)
	}
	return loc, nil
}

// zoneName names loc so that location gives it back in another process:
// the server's own zone by its IANA name where that can be found ($TZ, the
// /etc/localtime link), so a checkpoint stays right if the host's zone
// changes between a crash and the restart.
func zoneName(loc *time.Location) string {
	if loc != time.Local {
		return loc.String()
	}
	if tz := strings.TrimPrefix(os.Getenv("TZ"), ":"); tz != "" {
		if _, err := time.LoadLocation(tz); err == nil {
			return tz
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			if _, err := time.LoadLocation(name); err == nil {
				return name
			}
		}
	}
	return "Local"
}
