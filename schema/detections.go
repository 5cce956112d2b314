package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Detection actions: what a run did with a detected source.
const (
	ActionBlocked    = "blocked"    // listed in the EDL
	ActionRefreshed  = "refreshed"  // already listed; last activity moved
	ActionMonitored  = "monitored"  // would block (monitor mode)
	ActionSuppressed = "suppressed" // never-block list
	ActionHeld       = "held"       // over the block-storm cap, waiting for approval
	ActionApproved   = "approved"   // a held one, approved
	ActionDiscarded  = "discarded"  // a held one, discarded
)

// Detection is one source found by one run, and what was done about it.
type Detection struct {
	TS        time.Time         `json:"ts"`
	RunID     string            `json:"run_id"`
	IP        netip.Addr        `json:"ip"`
	Case      string            `json:"case"`
	Reason    string            `json:"reason"`
	Action    string            `json:"action"`
	Why       string            `json:"why,omitempty"`
	Severity  uint8             `json:"severity"`
	Evidence  Evidence          `json:"evidence"`
	Settings  map[string]string `json:"settings,omitempty"`
	FirstSeen time.Time         `json:"first_seen"`
	LastSeen  time.Time         `json:"last_seen"`
}

type detectionRow struct {
	TS        CHTime `json:"ts"`
	RunID     string `json:"run_id"`
	IP        string `json:"ip"`
	Kind      string `json:"kind"`
	Reason    string `json:"reason"`
	Action    string `json:"action"`
	Why       string `json:"why"`
	Severity  uint8  `json:"severity"`
	Evidence  string `json:"evidence"`
	Settings  string `json:"settings"`
	FirstSeen CHTime `json:"first_seen"`
	LastSeen  CHTime `json:"last_seen"`
}

// PutDetections records detections.
func PutDetections(ctx context.Context, st Store, ds []Detection) error {
	rows := make([]detectionRow, len(ds))
	for i, d := range ds {
		ev, _ := json.Marshal(d.Evidence)
		set, _ := json.Marshal(d.Settings)
		rows[i] = detectionRow{TS: CHTime(d.TS), RunID: d.RunID, IP: d.IP.String(), Kind: d.Case, Reason: d.Reason,
			Action: d.Action, Why: d.Why, Severity: d.Severity, Evidence: string(ev), Settings: string(set),
			FirstSeen: CHTime(d.FirstSeen), LastSeen: CHTime(d.LastSeen)}
	}
	return InsertJSON(ctx, st, "detections", `ts DateTime64(3), run_id String, ip IPv6, kind String, reason String,
action String, why String, severity UInt8, evidence String, settings String, first_seen DateTime64(3), last_seen DateTime64(3)`, rows)
}

// DetectionFilter selects detections.
type DetectionFilter struct {
	Since   time.Time
	Actions []string
	IP      netip.Addr // valid: this address only
	Limit   int        // default 1000
}

// ListDetections returns detections, newest first.
func ListDetections(ctx context.Context, q Querier, f DetectionFilter) ([]Detection, error) {
	where, p := []string{"ts >= {since:DateTime}"}, Params{"since": orEpoch(f.Since)}
	if len(f.Actions) > 0 {
		where = append(where, "action IN {actions:Array(String)}")
		p["actions"] = f.Actions
	}
	if f.IP.IsValid() {
		where = append(where, "ip = toIPv6({ip:String})")
		p["ip"] = f.IP.String()
	}
	if f.Limit <= 0 {
		f.Limit = 1000
	}
	p["limit"] = f.Limit
	var out []Detection
	err := QueryEach(ctx, q, `SELECT ts, run_id, ip, kind, reason, action, why, severity, evidence, settings, first_seen, last_seen
FROM detections WHERE `+strings.Join(where, " AND ")+` ORDER BY ts DESC, ip LIMIT {limit:UInt32}`, p, func(r Rows) error {
		var d Detection
		var ev, set string
		if err := r.Scan(&d.TS, &d.RunID, &d.IP, &d.Case, &d.Reason, &d.Action, &d.Why, &d.Severity, &ev, &set,
			&d.FirstSeen, &d.LastSeen); err != nil {
			return err
		}
		_ = json.Unmarshal([]byte(ev), &d.Evidence)
		_ = json.Unmarshal([]byte(set), &d.Settings)
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing detections: %w", err)
	}
	return out, nil
}

// Run is one detection run.
type Run struct {
	ID         string    `json:"id"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	Trigger    string    `json:"trigger"` // schedule, manual, settings
	Since      time.Time `json:"since"`   // rows stored from here on were new to it
	Windows    string    `json:"windows"` // event-time ranges evaluated
	RowsRead   uint64    `json:"rows_read"`
	Found      int       `json:"found"`
	Blocked    int       `json:"blocked"`
	Monitored  int       `json:"monitored"`
	Suppressed int       `json:"suppressed"`
	Held       int       `json:"held"`
	Refreshed  int       `json:"refreshed"`
	Error      string    `json:"error,omitempty"`
}

// PutRun records a finished run.
func PutRun(ctx context.Context, st Store, r Run) error {
	err := st.Exec(ctx, `INSERT INTO detect_runs (id, started, finished, trigger, since, windows, rows_read, found, blocked,
monitored, suppressed, held, refreshed, error)
SELECT {id:String}, {s:DateTime64(3)}, {f:DateTime64(3)}, {t:String}, {since:DateTime}, {w:String}, {rr:UInt64},
{found:UInt32}, {b:UInt32}, {m:UInt32}, {su:UInt32}, {h:UInt32}, {re:UInt32}, {e:String}`,
		Params{"id": r.ID, "s": ms(r.Started), "f": ms(r.Finished), "t": r.Trigger, "since": orEpoch(r.Since), "w": r.Windows,
			"rr": r.RowsRead, "found": r.Found, "b": r.Blocked, "m": r.Monitored, "su": r.Suppressed, "h": r.Held,
			"re": r.Refreshed, "e": r.Error})
	if err != nil {
		return fmt.Errorf("saving run %s: %w", r.ID, err)
	}
	return nil
}

// ms formats a time with milliseconds for a DateTime64(3) parameter.
func ms(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000") }

// ListRuns returns the newest runs first.
func ListRuns(ctx context.Context, q Querier, limit int) ([]Run, error) {
	var out []Run
	err := QueryEach(ctx, q, `SELECT id, started, finished, trigger, since, windows, rows_read, found, blocked, monitored,
suppressed, held, refreshed, error FROM detect_runs ORDER BY started DESC LIMIT {n:UInt32}`, Params{"n": limit},
		func(r Rows) error {
			var x Run
			err := r.Scan(&x.ID, &x.Started, &x.Finished, &x.Trigger, &x.Since, &x.Windows, &x.RowsRead, &x.Found,
				&x.Blocked, &x.Monitored, &x.Suppressed, &x.Held, &x.Refreshed, &x.Error)
			x.Since = FromDB(x.Since)
			out = append(out, x)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing runs: %w", err)
	}
	return out, nil
}
