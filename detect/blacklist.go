package detect

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// activeStates are the states of a current listing (blocked, would block,
// waiting for approval).
var activeStates = []string{schema.StateActive, schema.StateMonitored, schema.StateHeld}

// ListBlacklist returns entries in the given states (default: active),
// newest activity first.
func (s *Service) ListBlacklist(ctx context.Context, states ...string) ([]schema.BlacklistEntry, error) {
	if len(states) == 0 {
		states = []string{schema.StateActive}
	}
	for _, st := range states {
		if !slices.Contains([]string{schema.StateActive, schema.StateMonitored, schema.StateHeld, schema.StateReleased, schema.StateDiscarded}, st) {
			return nil, schema.Invalid("state", "must be active, monitored, held, released or discarded, got %q", st)
		}
	}
	return schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{States: states})
}

// GetBlacklist returns the entry of one address (any state).
func (s *Service) GetBlacklist(ctx context.Context, ip string) (schema.BlacklistEntry, error) {
	a, err := schema.ParseAddr("ip", ip)
	if err != nil {
		return schema.BlacklistEntry{}, err
	}
	es, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{IPs: []netip.Addr{a}})
	if err != nil {
		return schema.BlacklistEntry{}, err
	}
	if len(es) == 0 {
		return schema.BlacklistEntry{}, fmt.Errorf("%s is not on the blacklist: %w", a, schema.ErrNotFound)
	}
	return es[0], nil
}

// AddBlacklist lists an address by hand. Addresses that are not globally
// routable or are on the never-block list are refused with ErrProtected.
func (s *Service) AddBlacklist(ctx context.Context, actor schema.Actor, req schema.BlacklistAdd) (schema.BlacklistEntry, error) {
	a, err := schema.ParseAddr("ip", req.IP)
	if err != nil {
		return schema.BlacklistEntry{}, err
	}
	note := strings.TrimSpace(req.Reason)
	if len(note) > 256 || strings.ContainsAny(note, "\r\n\x00") {
		return schema.BlacklistEntry{}, schema.Invalid("reason", "must be one line of at most 256 characters")
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	v := s.set.Values()
	if err := s.checkBlockable(ctx, v, a); err != nil {
		return schema.BlacklistEntry{}, err
	}
	prev, err := s.current(ctx, a)
	if err != nil {
		return schema.BlacklistEntry{}, err
	}
	if prev != nil && slices.Contains(activeStates, prev.State) && prev.State != schema.StateHeld {
		return *prev, fmt.Errorf("%s is already listed (%s, %s): %w", a, prev.Reason, prev.State, schema.ErrExists)
	}
	now := s.now()
	e := newListing(v, prev, a, now)
	e.State, e.Reason, e.Category, e.Severity = schema.StateActive, schema.ReasonManual, schema.CategoryManual, 5
	e.Source, e.Permanent = actor.Name, req.Permanent
	e.Evidence = schema.Evidence{Case: schema.CaseManual, Note: note, FirstSeen: now, LastSeen: now}
	if e.Permanent {
		e.Expires = time.Time{}
	}
	if err := s.saveListings(ctx, []schema.BlacklistEntry{e}, []schema.AuditEvent{
		actor.Event(schema.AuditAdd, "blacklist "+a.String(), listingDetail(e)),
	}); err != nil {
		return e, err
	}
	return e, nil
}

// checkBlockable refuses an address that must never be blocked.
func (s *Service) checkBlockable(ctx context.Context, v schema.Values, a netip.Addr) error {
	why, err := s.neverBlock(ctx, v, a)
	if err != nil || why == "" {
		return err
	}
	return fmt.Errorf("%s cannot be blocked: %s: %w", a, why, schema.ErrProtected)
}

// neverBlock says why a must never be blocked ("" when it may be).
func (s *Service) neverBlock(ctx context.Context, v schema.Values, a netip.Addr) (string, error) {
	if ok, why := Routable(a); !ok {
		return why, nil
	}
	pr, err := s.protection(ctx, v)
	if err != nil {
		return "", err
	}
	return pr.why(a), nil
}

// current returns the stored entry of a, or nil.
func (s *Service) current(ctx context.Context, a netip.Addr) (*schema.BlacklistEntry, error) {
	es, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{IPs: []netip.Addr{a}})
	if err != nil || len(es) == 0 {
		return nil, err
	}
	return &es[0], nil
}

// newListing starts a listing of a at now: a source listed again after a
// release gets its last release window times release.escalation, capped at
// release.max_months, and counts one more return.
func newListing(v schema.Values, prev *schema.BlacklistEntry, a netip.Addr, now time.Time) schema.BlacklistEntry {
	e := schema.BlacklistEntry{IP: a, Created: now, FirstListed: now, LastActivity: now, ReleaseMonths: v.Int(schema.ReleaseMonths)}
	if prev != nil {
		e.FirstListed, e.Returns, e.ReleaseMonths = prev.FirstListed, prev.Returns, prev.ReleaseMonths
		if prev.State == schema.StateReleased {
			e.Returns++
			e.ReleaseMonths = min(max(prev.ReleaseMonths, v.Int(schema.ReleaseMonths))*v.Int(schema.ReleaseEscalation),
				v.Int(schema.ReleaseMaxMonths))
		}
		if e.ReleaseMonths <= 0 {
			e.ReleaseMonths = v.Int(schema.ReleaseMonths)
		}
	}
	e.Expires = expiry(e.LastActivity, e.ReleaseMonths)
	return e
}

func expiry(last time.Time, months int) time.Time { return last.AddDate(0, months, 0) }

func listingDetail(e schema.BlacklistEntry) string {
	d := fmt.Sprintf("%s: %s; state %s; release after %d month(s) without activity", e.Reason, e.Evidence.Summary(), e.State, e.ReleaseMonths)
	if e.Permanent {
		d = fmt.Sprintf("%s: %s; state %s; permanent", e.Reason, e.Evidence.Summary(), e.State)
	}
	if e.Returns > 0 {
		d += fmt.Sprintf("; returned %d time(s)", e.Returns)
	}
	return d
}

// saveListings writes entries and their audit events, then tells the EDL.
func (s *Service) saveListings(ctx context.Context, es []schema.BlacklistEntry, evs []schema.AuditEvent) error {
	if err := schema.PutBlacklist(ctx, s.st, es); err != nil {
		return err
	}
	if err := schema.PutAudit(ctx, s.st, evs...); err != nil {
		return err
	}
	s.lists.Notify()
	return nil
}

// RemoveBlacklist releases a listed address now. A later listing counts as
// a return (its release window escalates).
func (s *Service) RemoveBlacklist(ctx context.Context, actor schema.Actor, ip, why string) error {
	a, err := schema.ParseAddr("ip", ip)
	if err != nil {
		return err
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	prev, err := s.current(ctx, a)
	if err != nil {
		return err
	}
	if prev == nil || !slices.Contains(activeStates, prev.State) {
		return fmt.Errorf("%s is not on the blacklist: %w", a, schema.ErrNotFound)
	}
	if why == "" {
		why = "removed by " + actor.Name
	}
	e := release(*prev, s.now(), actor.Name, why)
	return s.saveListings(ctx, []schema.BlacklistEntry{e}, []schema.AuditEvent{
		actor.Event(schema.AuditRelease, "blacklist "+a.String(), why),
	})
}

func release(e schema.BlacklistEntry, now time.Time, by, why string) schema.BlacklistEntry {
	e.State, e.Released, e.ReleasedBy, e.ReleaseReason, e.Updated = schema.StateReleased, now, by, why, now
	return e
}

// ExpireBlacklist releases every entry inactive for longer than its release
// window (permanent entries stay). It returns the released entries.
func (s *Service) ExpireBlacklist(ctx context.Context, actor schema.Actor) ([]schema.BlacklistEntry, error) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	es, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{States: activeStates})
	if err != nil {
		return nil, err
	}
	now := s.now()
	var out []schema.BlacklistEntry
	var evs []schema.AuditEvent
	for _, e := range es {
		if e.Permanent || e.Expires.IsZero() || e.Expires.After(now) {
			continue
		}
		why := fmt.Sprintf("no activity since %s (release window %d month(s))", e.LastActivity.Format(time.RFC3339), e.ReleaseMonths)
		out = append(out, release(e, now, actor.Name, why))
		evs = append(evs, actor.Event(schema.AuditRelease, "blacklist "+e.IP.String(), why))
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, s.saveListings(ctx, out, evs)
}
