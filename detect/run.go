package detect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// Run triggers.
const (
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
)

const (
	// maxChunk bounds the event time one query evaluates, so a first run
	// over months of history or a large import stays within memory.
	maxChunk = time.Hour
	// activityStep is how far last activity must move before an entry is
	// rewritten: a source hitting the deny rule all day costs a write every
	// few minutes, not one per run.
	activityStep = 5 * time.Minute
)

// span is a half-open event-time range [from, to).
type span struct{ from, to time.Time }

func (s span) String() string {
	return s.from.Format("2006-01-02T15:04Z") + "–" + s.to.Format("2006-01-02T15:04Z")
}

// Run runs detection once and returns when it is complete. A run already in
// progress (scheduled or manual) is waited for first. With the system
// turned off, scheduled runs do nothing; a manual run still runs.
func (s *Service) Run(ctx context.Context, trigger string) (schema.RunResult, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if err := s.set.Load(ctx); err != nil {
		return schema.RunResult{}, err
	}
	v := s.set.Values()
	if trigger == TriggerSchedule && !v.Bool(schema.SystemEnabled) {
		return schema.RunResult{}, nil
	}
	res := schema.RunResult{Run: schema.Run{ID: runID(s.now()), Started: s.now(), Trigger: trigger}}
	err := s.run(ctx, v, &res)
	res.Finished = s.now()
	if err != nil {
		res.Error = err.Error()
	}
	if perr := schema.PutRun(context.WithoutCancel(ctx), s.st, res.Run); perr != nil && err == nil {
		err = perr
	}
	log := s.log.WithFields(logrus.Fields{"run": res.ID, "trigger": trigger, "duration_ms": res.Finished.Sub(res.Started).Milliseconds(),
		"windows": res.Windows, "found": res.Found, "blocked": res.Blocked, "held": res.Held, "suppressed": res.Suppressed})
	if err != nil {
		log.WithError(err).Warn("detection run failed")
		return res, err
	}
	log.Debug("detection run done")
	if res.Held > 0 {
		log.Warn("block storm: new sources over detect.max_new_per_run held for approval")
	}
	if len(res.NewEntries) > 0 || res.Held > 0 {
		s.notify.Digest(res)
	}
	return res, nil
}

func runID(t time.Time) string {
	return t.UTC().Format("20060102T150405.000Z") + "-" + schema.NewToken(3)
}

func (s *Service) run(ctx context.Context, v schema.Values, res *schema.RunResult) error {
	prev, err := lastGoodRun(ctx, s.st)
	if err != nil {
		return err
	}
	if prev != nil {
		res.Since = prev.Started.Add(-s.cfg.Overlap)
	}
	s.mu.Lock()
	reeval := s.reevaluate
	s.reevaluate = false
	s.mu.Unlock()
	if prev != nil && !reeval {
		// A change made by another process (the CLI with no server running),
		// or before a restart, counts too.
		if reeval, err = inputsChangedSince(ctx, s.st, prev.Started); err != nil {
			return err
		}
	}
	spans, err := s.dirtySpans(ctx, v, res.Since, reeval)
	if err != nil {
		return err
	}
	res.Windows = describeSpans(spans)
	findings, err := s.evaluate(ctx, v, spans)
	if err != nil {
		return err
	}
	res.Found = len(findings)
	activity, err := s.listedActivity(ctx, res.Since)
	if err != nil {
		return err
	}
	return s.decide(ctx, v, res, findings, activity)
}

// lastGoodRun returns the newest run without error, or nil.
func lastGoodRun(ctx context.Context, q schema.Querier) (*schema.Run, error) {
	var r schema.Run
	err := schema.QueryRow(ctx, q, "SELECT id, started FROM detect_runs WHERE error = '' ORDER BY started DESC LIMIT 1", nil, &r.ID, &r.Started)
	if errors.Is(err, schema.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the last run: %w", err)
	}
	return &r, nil
}

// inputsChangedSince reports whether a detection setting or the allowlist
// changed since t.
func inputsChangedSince(ctx context.Context, q schema.Querier, t time.Time) (bool, error) {
	var keys []string
	for _, d := range schema.SettingDefs {
		if detectionSetting(d.Key) {
			keys = append(keys, d.Key)
		}
	}
	var n uint64
	err := schema.QueryRow(ctx, q, `SELECT (SELECT count() FROM settings WHERE key IN {keys:Array(String)} AND updated >= {t:DateTime})
  + (SELECT count() FROM allowlist WHERE version >= {tv:UInt64})`,
		schema.Params{"keys": keys, "t": t.Truncate(time.Second), "tv": uint64(t.UnixNano())}, &n)
	if err != nil {
		return false, fmt.Errorf("checking for changed settings: %w", err)
	}
	return n > 0, nil
}

// dirtySpans returns the event-time ranges that received rows stored since
// since (every range when since is zero), plus the lookback after a settings
// change, merged and cut into chunks.
func (s *Service) dirtySpans(ctx context.Context, v schema.Values, since time.Time, reeval bool) ([]span, error) {
	var minutes []time.Time
	err := schema.QueryEach(ctx, s.st, `SELECT DISTINCT toStartOfMinute(ts) AS m FROM firewall_logs
WHERE ingested >= {since:DateTime} ORDER BY m`, schema.Params{"since": since}, func(r schema.Rows) error {
		var m time.Time
		err := r.Scan(&m)
		minutes = append(minutes, m)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("finding windows with new rows: %w", err)
	}
	var spans []span
	for _, m := range minutes {
		spans = append(spans, span{m, m.Add(time.Minute)})
	}
	if reeval {
		now := s.now().Truncate(time.Minute)
		spans = append(spans, span{now.Add(-v.Duration(schema.DetectLookback)), now.Add(time.Minute)})
	}
	return mergeSpans(spans, maxWindow(v), maxChunk), nil
}

func maxWindow(v schema.Values) time.Duration {
	w := time.Minute
	for _, c := range windowCases(v) {
		w = max(w, c.window)
	}
	return w
}

// mergeSpans sorts spans, merges those closer than gap (their windows
// overlap anyway) and cuts the result into pieces of at most chunk.
func mergeSpans(in []span, gap, chunk time.Duration) []span {
	slices.SortFunc(in, func(a, b span) int { return a.from.Compare(b.from) })
	var merged []span
	for _, s := range in {
		if n := len(merged); n > 0 && !s.from.After(merged[n-1].to.Add(gap)) {
			if s.to.After(merged[n-1].to) {
				merged[n-1].to = s.to
			}
			continue
		}
		merged = append(merged, s)
	}
	var out []span
	for _, s := range merged {
		for s.to.Sub(s.from) > chunk {
			out = append(out, span{s.from, s.from.Add(chunk)})
			s.from = s.from.Add(chunk)
		}
		out = append(out, s)
	}
	return out
}

func describeSpans(spans []span) string {
	if len(spans) > 6 {
		return fmt.Sprintf("%d ranges %s … %s", len(spans), spans[0], spans[len(spans)-1])
	}
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// evaluate runs every enabled case over the spans: window cases evaluate
// every window that contains a minute of a span, the vulnerability case
// every event in it.
func (s *Service) evaluate(ctx context.Context, v schema.Values, spans []span) ([]finding, error) {
	var out []finding
	vc, vulnOn := newVulnCase(v)
	cases := windowCases(v)
	for _, sp := range spans {
		var cands []string
		if len(cases) > 0 {
			w := maxWindow(v)
			var err error
			if cands, err = candidates(ctx, s.st, cases, sp.from.Add(-w).Truncate(time.Minute), sp.to.Add(w)); err != nil {
				return nil, err
			}
		}
		for _, c := range cases {
			lo := sp.from.Add(-c.window + c.hop()).Truncate(c.hop())
			fs, err := c.run(ctx, s.st, lo, sp.to, cands)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
		if vulnOn {
			fs, err := vc.run(ctx, s.st, sp.from, sp.to)
			if err != nil {
				return nil, err
			}
			out = append(out, fs...)
		}
	}
	return strongestPerCase(out), nil
}

// strongestPerCase keeps one finding per (source, case): the strongest
// evidence, with the first and last sighting over all of them.
func strongestPerCase(fs []finding) []finding {
	type key struct {
		ip   netip.Addr
		kase string
	}
	best := map[key]int{}
	var out []finding
	for _, f := range fs {
		f.ip = f.ip.Unmap()
		k := key{f.ip, f.kase}
		i, ok := best[k]
		if !ok {
			best[k] = len(out)
			out = append(out, f)
			continue
		}
		b := &out[i]
		first, last := minTime(b.ev.FirstSeen, f.ev.FirstSeen), maxTime(b.ev.LastSeen, f.ev.LastSeen)
		if stronger(f, *b) {
			*b = f
		}
		b.ev.FirstSeen, b.ev.LastSeen = first, last
	}
	return out
}

func stronger(a, b finding) bool {
	if a.severity != b.severity {
		return a.severity > b.severity
	}
	if a.ev.Distinct != b.ev.Distinct {
		return a.ev.Distinct > b.ev.Distinct
	}
	return a.ev.Events > b.ev.Events
}

func minTime(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// listedActivity returns the newest event time per listed source among the
// rows stored since since: any later line, including hits on the deny rule,
// keeps a listing alive.
func (s *Service) listedActivity(ctx context.Context, since time.Time) (map[netip.Addr]time.Time, error) {
	out := map[netip.Addr]time.Time{}
	err := schema.QueryEach(ctx, s.st, `SELECT src_ip, max(ts) FROM firewall_logs
WHERE ingested >= {since:DateTime}
  AND src_ip IN (SELECT ip FROM blacklist FINAL WHERE state IN {states:Array(String)})
GROUP BY src_ip`, schema.Params{"since": since, "states": activeStates}, func(r schema.Rows) error {
		var a netip.Addr
		var t time.Time
		err := r.Scan(&a, &t)
		out[a.Unmap()] = t
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading activity of listed sources: %w", err)
	}
	return out, nil
}

// modeKey returns the mode setting of a case.
func modeKey(kase string) string {
	switch kase {
	case schema.CasePortscan:
		return schema.PortscanMode
	case schema.CaseSweep:
		return schema.SweepMode
	}
	return schema.VulnMode
}

// ByStrength orders entries most severe first, then most recent.
func byStrength(a, b schema.BlacklistEntry) int {
	if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
		return c
	}
	return b.LastActivity.Compare(a.LastActivity)
}
