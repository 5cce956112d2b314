package detect

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// Config holds the restart-only settings of the detection service.
type Config struct {
	// Overlap re-reads rows stored this long before the previous run
	// started: batches of different devices commit out of order, and a row
	// is stamped when its insert starts. Default 2 minutes.
	Overlap time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// HTTPTimeout bounds one feed download or webhook delivery. Default 30s.
	HTTPTimeout time.Duration
	// FeedBaseDir, when set, is the only directory file feeds added over the
	// network may name (the operator's --log-dir). The Unix socket (an
	// administrator) may name any file.
	FeedBaseDir string
}

// Service holds the blacklist, allowlist, feeds and detection runs: the
// operations the CLI, the JSON API and the web pages all call, so each rule
// exists once. Safe for concurrent use.
type Service struct {
	st     schema.Store
	set    *schema.Settings
	log    *logrus.Entry
	cfg    Config
	notify *Notifier

	runMu sync.Mutex // one run or list change at a time

	mu         sync.Mutex
	reevaluate bool // settings or allowlist changed: the next run re-reads the lookback
	lists      schema.Broadcaster
}

// New returns the service; it does no I/O.
func New(cfg Config, st schema.Store, set *schema.Settings, log *logrus.Entry) *Service {
	if cfg.Overlap <= 0 {
		cfg.Overlap = 2 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPTimeout <= 0 {
		cfg.HTTPTimeout = 30 * time.Second
	}
	s := &Service{st: st, set: set, log: log, cfg: cfg}
	s.notify = newNotifier(cfg, set, st, log.WithField("component", "notify"))
	return s
}

// Notifier returns the service's notifier (run it with Run).
func (s *Service) Notifier() *Notifier { return s.notify }

// Settings returns the settings the service uses.
func (s *Service) Settings() *schema.Settings { return s.set }

// ListsChanged returns a channel that receives a value (coalesced) when the
// blacklist, allowlist or feeds change, and a function ending the
// subscription. The EDL snapshot is rebuilt from it.
func (s *Service) ListsChanged() (<-chan struct{}, func()) { return s.lists.Subscribe() }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// markReevaluate makes the next run re-read the lookback window.
func (s *Service) markReevaluate() {
	s.mu.Lock()
	s.reevaluate = true
	s.mu.Unlock()
}

// SetSettings validates and stores settings changes, audits them and makes
// the next run re-evaluate the lookback when a detection setting changed.
func (s *Service) SetSettings(ctx context.Context, actor schema.Actor, changes map[string]string) ([]string, error) {
	changed, err := s.set.Set(ctx, changes)
	if err != nil {
		return nil, err
	}
	var evs []schema.AuditEvent
	for _, k := range changed {
		shown := s.set.Values().Map()[k]
		evs = append(evs, actor.Event(schema.AuditSetting, "setting "+k, "set to "+shown))
	}
	if err := schema.PutAudit(ctx, s.st, evs...); err != nil {
		return changed, err
	}
	for _, k := range changed {
		if detectionSetting(k) {
			s.markReevaluate()
			break
		}
	}
	s.lists.Notify() // EDL settings (cap, aggregation, auth) change the lists
	return changed, nil
}

// detectionSetting reports whether a change of key changes what detection
// finds (then the next run re-reads the lookback).
func detectionSetting(key string) bool {
	for _, p := range []string{"portscan.", "sweep.", "vuln.", "detect.mode", "release.", schema.OurNetworks} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}
