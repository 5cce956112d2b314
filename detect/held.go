package detect

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// ListDetections returns recorded detections.
func (s *Service) ListDetections(ctx context.Context, f schema.DetectionFilter) ([]schema.Detection, error) {
	for _, a := range f.Actions {
		switch a {
		case schema.ActionBlocked, schema.ActionRefreshed, schema.ActionMonitored, schema.ActionSuppressed,
			schema.ActionHeld, schema.ActionApproved, schema.ActionDiscarded:
		default:
			return nil, schema.Invalid("action", "must be blocked, refreshed, monitored, suppressed, held, approved or discarded, got %q", a)
		}
	}
	return schema.ListDetections(ctx, s.st, f)
}

// ListRuns returns the newest runs.
func (s *Service) ListRuns(ctx context.Context, limit int) ([]schema.Run, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	return schema.ListRuns(ctx, s.st, limit)
}

// ListAudit returns the audit trail since a time.
func (s *Service) ListAudit(ctx context.Context, since time.Time, limit int) ([]schema.AuditEvent, error) {
	if limit <= 0 || limit > 100000 {
		limit = 1000
	}
	return schema.ListAudit(ctx, s.st, since, limit)
}

// DecideHeld approves (lists in the EDL) or discards held entries: one
// address, or all of them when ip is "". It returns the entries changed.
func (s *Service) DecideHeld(ctx context.Context, actor schema.Actor, ip string, approve bool) ([]schema.BlacklistEntry, error) {
	f := schema.BlacklistFilter{States: []string{schema.StateHeld}}
	if ip != "" {
		a, err := schema.ParseAddr("ip", ip)
		if err != nil {
			return nil, err
		}
		f.IPs = []netip.Addr{a}
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	held, err := schema.ListBlacklist(ctx, s.st, f)
	if err != nil {
		return nil, err
	}
	if ip != "" && len(held) == 0 {
		return nil, fmt.Errorf("%s is not held: %w", ip, schema.ErrNotFound)
	}
	now := s.now()
	action, auditAction, state := schema.ActionDiscarded, schema.AuditDiscard, schema.StateDiscarded
	if approve {
		action, auditAction, state = schema.ActionApproved, schema.AuditApprove, schema.StateActive
	}
	var evs []schema.AuditEvent
	var dets []schema.Detection
	for i := range held {
		e := &held[i]
		e.State, e.Updated = state, now
		if !approve {
			e.Released, e.ReleasedBy, e.ReleaseReason = now, actor.Name, "discarded by "+actor.Name
		}
		evs = append(evs, actor.Event(auditAction, "blacklist "+e.IP.String(), e.Reason+": "+e.Evidence.Summary()))
		dets = append(dets, schema.Detection{TS: now, RunID: "decision", IP: e.IP, Case: e.Evidence.Case, Reason: e.Reason,
			Action: action, Why: "by " + actor.Name, Severity: e.Severity, Evidence: e.Evidence,
			FirstSeen: e.Evidence.FirstSeen, LastSeen: e.LastActivity})
	}
	if err := schema.PutDetections(ctx, s.st, dets); err != nil {
		return nil, err
	}
	return held, s.saveListings(ctx, held, evs)
}
