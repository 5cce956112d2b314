package schema

import (
	"context"
	"fmt"
	"time"
)

// Audit actions.
const (
	AuditAdd      = "add"
	AuditRefresh  = "refresh"
	AuditRelease  = "release"
	AuditApprove  = "approve"
	AuditDiscard  = "discard"
	AuditSetting  = "setting"
	AuditRemove   = "remove"
	AuditLogin    = "login"
	AuditSuppress = "suppress"
)

// AuditEvent is one line of the audit trail: who or what did what, to
// which object, and why.
type AuditEvent struct {
	TS         time.Time `json:"ts"`
	Actor      string    `json:"actor"` // user:NAME, token:NAME, cli, system, feed:NAME
	Action     string    `json:"action"`
	Object     string    `json:"object"` // e.g. blacklist 203.0.113.7, setting portscan.ports
	Detail     string    `json:"detail"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
}

type auditRow struct {
	TS         CHTime `json:"ts"`
	Actor      string `json:"actor"`
	Action     string `json:"action"`
	Object     string `json:"object"`
	Detail     string `json:"detail"`
	RemoteAddr string `json:"remote_addr"`
}

// PutAudit appends events to the audit log.
func PutAudit(ctx context.Context, st Store, evs ...AuditEvent) error {
	rows := make([]auditRow, len(evs))
	now := time.Now()
	for i, e := range evs {
		if e.TS.IsZero() {
			e.TS = now
		}
		rows[i] = auditRow{TS: CHTime(e.TS), Actor: e.Actor, Action: e.Action, Object: e.Object, Detail: e.Detail, RemoteAddr: e.RemoteAddr}
	}
	return InsertJSON(ctx, st, "audit_log",
		"ts DateTime64(3), actor String, action String, object String, detail String, remote_addr String", rows)
}

// ListAudit returns audit events since a time, newest first.
func ListAudit(ctx context.Context, q Querier, since time.Time, limit int) ([]AuditEvent, error) {
	var out []AuditEvent
	err := QueryEach(ctx, q, `SELECT ts, actor, action, object, detail, remote_addr FROM audit_log
WHERE ts >= {since:DateTime} ORDER BY ts DESC LIMIT {n:UInt32}`, Params{"since": orEpoch(since), "n": limit},
		func(r Rows) error {
			var e AuditEvent
			err := r.Scan(&e.TS, &e.Actor, &e.Action, &e.Object, &e.Detail, &e.RemoteAddr)
			out = append(out, e)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing audit log: %w", err)
	}
	return out, nil
}

// Actor is who or what asks for an operation, for the audit trail:
// "user:NAME", "token:NAME", "cli", "system", "feed:NAME".
type Actor struct {
	Name   string `json:"name"`
	Remote string `json:"remote,omitempty"` // client address, when over the network
}

// Event returns an audit event by the actor.
func (a Actor) Event(action, object, detail string) AuditEvent {
	return AuditEvent{Actor: a.Name, Action: action, Object: object, Detail: detail, RemoteAddr: a.Remote}
}

// System is the program itself (detection runs, expiry, feeds).
var System = Actor{Name: "system"}
