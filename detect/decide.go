package detect

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// decision collects what a run writes.
type decision struct {
	v        schema.Values
	now      time.Time
	res      *schema.RunResult
	existing map[netip.Addr]*schema.BlacklistEntry
	recorded map[recordKey]time.Time
	changed  map[netip.Addr]schema.BlacklistEntry
	dets     []schema.Detection
	audits   []schema.AuditEvent
	cands    []schema.BlacklistEntry // new blocks, before the cap
	edl      bool                    // something reaching the EDL changed
}

type recordKey struct {
	ip           netip.Addr
	kase, action string
}

// decide turns findings and activity into blacklist changes, detection
// records and audit events, and writes them.
func (s *Service) decide(ctx context.Context, v schema.Values, res *schema.RunResult, findings []finding, activity map[netip.Addr]time.Time) error {
	pr, err := s.protection(ctx, v)
	if err != nil {
		return err
	}
	byIP := map[netip.Addr][]finding{}
	var ips []netip.Addr
	for _, f := range findings {
		if ok, _ := Routable(f.ip); !ok {
			continue // private, documentation, … sources never count
		}
		if byIP[f.ip] == nil {
			ips = append(ips, f.ip)
		}
		byIP[f.ip] = append(byIP[f.ip], f)
	}
	for a := range activity {
		ips = append(ips, a)
	}
	d := &decision{v: v, now: s.now(), res: res, changed: map[netip.Addr]schema.BlacklistEntry{}}
	if d.existing, err = s.entries(ctx, ips); err != nil {
		return err
	}
	if d.recorded, err = s.recentRecords(ctx, ips, v); err != nil {
		return err
	}
	slices.SortFunc(ips, func(a, b netip.Addr) int { return a.Compare(b) })
	ips = slices.Compact(ips)
	for _, ip := range ips {
		if fs := byIP[ip]; fs != nil {
			d.found(ip, fs, pr)
		}
	}
	for _, ip := range ips {
		if t, ok := activity[ip]; ok {
			d.active(ip, t)
		}
	}
	if err := s.promoteMonitored(ctx, d); err != nil {
		return err
	}
	d.applyCap()
	return s.write(ctx, d)
}

// found decides about one source found by one or more cases.
func (d *decision) found(ip netip.Addr, fs []finding, pr *protection) {
	slices.SortFunc(fs, func(a, b finding) int {
		if stronger(a, b) {
			return -1
		}
		return 1
	})
	primary := fs[0]
	last := primary.ev.LastSeen
	for _, f := range fs {
		last = maxTime(last, f.ev.LastSeen)
	}
	if why := pr.why(ip); why != "" {
		d.record(fs, schema.ActionSuppressed, why, true)
		d.res.Suppressed++
		return
	}
	prev := d.existing[ip]
	if prev != nil && slices.Contains(activeStates, prev.State) {
		if d.refresh(prev, last) {
			d.record(fs, schema.ActionRefreshed, "listed since "+prev.Created.Format(time.RFC3339), false)
		}
		return
	}
	if prev != nil && last.Before(prev.Released.Truncate(time.Second)) {
		return // evidence from before its last release never lists it again (times are whole seconds)
	}
	e := newListing(d.v, prev, ip, d.now)
	e.LastActivity = last
	e.Expires = expiry(last, e.ReleaseMonths)
	if !e.Expires.After(d.now) {
		return // quiet for longer than its release window: history, not a threat
	}
	e.Reason, e.Category, e.Severity, e.Source = primary.reason, primary.category, primary.severity, "automatic"
	e.Evidence = primary.ev
	e.Evidence.LastSeen = last
	e.Evidence.Direction = direction(d.v, primary.ev)
	e.Devices = primary.ev.Devices
	if d.v.Mode(modeKey(primary.kase)) == schema.ModeMonitor {
		e.State = schema.StateMonitored
		d.put(e, schema.AuditAdd, listingDetail(e))
		d.record(fs, schema.ActionMonitored, "monitor mode: would block", false)
		d.res.Monitored++
		return
	}
	d.cands = append(d.cands, e)
	d.record(fs, "", "", false) // action set by the cap
}

// active refreshes a listed source seen again in the logs.
func (d *decision) active(ip netip.Addr, t time.Time) {
	if prev := d.existing[ip]; prev != nil && slices.Contains(activeStates, prev.State) {
		d.refresh(prev, t)
	}
}

// refresh moves last activity forward by at least activityStep; it reports
// whether the entry changed.
func (d *decision) refresh(prev *schema.BlacklistEntry, t time.Time) bool {
	if cur, ok := d.changed[prev.IP]; ok {
		prev = &cur
	}
	if t.Sub(prev.LastActivity) < activityStep {
		return false
	}
	e := *prev
	if !e.Permanent {
		e.Expires = expiry(t, e.ReleaseMonths)
	}
	day := func(x time.Time) string { return x.UTC().Format(time.DateOnly) }
	if day(t) != day(e.LastActivity) {
		d.audits = append(d.audits, schema.System.Event(schema.AuditRefresh, "blacklist "+e.IP.String(),
			"active again at "+t.Format(time.RFC3339)))
	}
	e.LastActivity, e.Updated = t, d.now
	d.changed[e.IP] = e
	d.existing[e.IP] = &e
	d.res.Refreshed++
	return true
}

// put stages an entry and its audit event.
func (d *decision) put(e schema.BlacklistEntry, action, detail string) {
	e.Updated = d.now
	d.changed[e.IP] = e
	d.audits = append(d.audits, schema.System.Event(action, "blacklist "+e.IP.String(), detail))
	if e.State == schema.StateActive {
		d.edl = true
	}
}

// record stages one detection per finding; repeated records of a source
// that is not newly listed are kept only when their evidence is newer.
func (d *decision) record(fs []finding, action, why string, dedup bool) {
	for _, f := range fs {
		k := recordKey{f.ip, f.kase, action}
		if dedup && !f.ev.LastSeen.After(d.recorded[k]) {
			continue
		}
		d.recorded[k] = f.ev.LastSeen
		d.dets = append(d.dets, schema.Detection{TS: d.now, RunID: d.res.ID, IP: f.ip, Case: f.kase, Reason: f.reason,
			Action: action, Why: why, Severity: f.severity, Evidence: f.ev, Settings: caseSettings(d.v, f.kase),
			FirstSeen: f.ev.FirstSeen, LastSeen: f.ev.LastSeen})
	}
}

// applyCap lists the most severe new sources up to detect.max_new_per_run
// and holds the rest for an operator.
func (d *decision) applyCap() {
	slices.SortFunc(d.cands, byStrength)
	limit := d.v.Int(schema.DetectMaxNew)
	state := map[netip.Addr]string{}
	for i, e := range d.cands {
		if i < limit {
			e.State = schema.StateActive
			d.res.Blocked++
			d.res.NewEntries = append(d.res.NewEntries, e)
		} else {
			e.State = schema.StateHeld
			d.res.Held++
		}
		state[e.IP] = e.State
		d.put(e, schema.AuditAdd, listingDetail(e))
	}
	for i := range d.dets {
		det := &d.dets[i]
		if det.Action != "" {
			continue
		}
		det.Action = schema.ActionBlocked
		if state[det.IP] == schema.StateHeld {
			det.Action = schema.ActionHeld
			det.Why = fmt.Sprintf("over detect.max_new_per_run (%d) in one run: waiting for approval", limit)
		}
	}
}

// promoteMonitored turns monitored entries into new blocks once their
// case's mode is block (still subject to the cap).
func (s *Service) promoteMonitored(ctx context.Context, d *decision) error {
	mon, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{States: []string{schema.StateMonitored}})
	if err != nil {
		return err
	}
	for _, e := range mon {
		if cur, ok := d.changed[e.IP]; ok {
			e = cur
		}
		if e.State != schema.StateMonitored || d.v.Mode(modeKey(e.Evidence.Case)) != schema.ModeBlock {
			continue
		}
		if !e.Permanent && !e.Expires.After(d.now) {
			continue
		}
		delete(d.changed, e.IP)
		d.cands = append(d.cands, e)
		d.dets = append(d.dets, schema.Detection{TS: d.now, RunID: d.res.ID, IP: e.IP, Case: e.Evidence.Case, Reason: e.Reason,
			Why: "mode changed to block", Severity: e.Severity, Evidence: e.Evidence, Settings: caseSettings(d.v, e.Evidence.Case),
			FirstSeen: e.Evidence.FirstSeen, LastSeen: e.LastActivity})
	}
	return nil
}

// write stores the run's decisions.
func (s *Service) write(ctx context.Context, d *decision) error {
	es := make([]schema.BlacklistEntry, 0, len(d.changed))
	for _, e := range d.changed {
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, b schema.BlacklistEntry) int { return a.IP.Compare(b.IP) })
	if err := schema.PutBlacklist(ctx, s.st, es); err != nil {
		return err
	}
	if err := schema.PutDetections(ctx, s.st, d.dets); err != nil {
		return err
	}
	if err := schema.PutAudit(ctx, s.st, d.audits...); err != nil {
		return err
	}
	d.res.Detections = d.dets
	if d.edl || len(es) > 0 {
		s.lists.Notify()
	}
	return nil
}

// entries returns the stored entries of ips.
func (s *Service) entries(ctx context.Context, ips []netip.Addr) (map[netip.Addr]*schema.BlacklistEntry, error) {
	out := map[netip.Addr]*schema.BlacklistEntry{}
	if len(ips) == 0 {
		return out, nil
	}
	es, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{IPs: ips})
	if err != nil {
		return nil, err
	}
	for i := range es {
		es[i].IP = es[i].IP.Unmap()
		out[es[i].IP] = &es[i]
	}
	return out, nil
}

// recentRecords returns the newest evidence already recorded per (source,
// case, action) within the lookback, so repeated suppressions are not
// recorded every run.
func (s *Service) recentRecords(ctx context.Context, ips []netip.Addr, v schema.Values) (map[recordKey]time.Time, error) {
	out := map[recordKey]time.Time{}
	if len(ips) == 0 {
		return out, nil
	}
	list := make([]string, len(ips))
	for i, a := range ips {
		list[i] = a.String()
	}
	err := schema.QueryEach(ctx, s.st, `SELECT ip, kind, action, max(last_seen) FROM detections
WHERE ts >= {since:DateTime} AND ip IN (SELECT toIPv6(arrayJoin({ips:Array(String)})))
GROUP BY ip, kind, action`, schema.Params{"since": s.now().Add(-v.Duration(schema.DetectLookback) - 24*time.Hour), "ips": list},
		func(r schema.Rows) error {
			var k recordKey
			var t time.Time
			err := r.Scan(&k.ip, &k.kase, &k.action, &t)
			k.ip = k.ip.Unmap()
			out[k] = t
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("reading recent detections: %w", err)
	}
	return out, nil
}

// caseSettings are the settings that produced a detection of kase.
func caseSettings(v schema.Values, kase string) map[string]string {
	keys := map[string][]string{
		schema.CasePortscan: {schema.PortscanPorts, schema.PortscanMinutes},
		schema.CaseSweep:    {schema.SweepHosts, schema.SweepMinutes},
		schema.CaseVuln:     {schema.VulnLevel, schema.VulnSubtypes},
	}[kase]
	out := map[string]string{"mode": v.Mode(modeKey(kase))}
	for _, k := range keys {
		out[k] = v.Get(k)
	}
	return out
}

// direction tells inbound from outbound by our.networks.
func direction(v schema.Values, ev schema.Evidence) string {
	ours := v.List(schema.OurNetworks)
	if len(ours) == 0 || ev.Dst == "" {
		return ""
	}
	dst, err := netip.ParseAddr(ev.Dst)
	if err != nil {
		return ""
	}
	for _, n := range ours {
		if p, err := schema.ParsePrefix(n); err == nil && p.Contains(dst.Unmap()) {
			return "inbound"
		}
	}
	return "transit"
}
