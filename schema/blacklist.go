package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Blacklist entry states. Only active entries reach the EDL.
const (
	StateActive    = "active"    // blocked
	StateMonitored = "monitored" // would block (monitor mode)
	StateHeld      = "held"      // waiting for approval (block-storm cap)
	StateReleased  = "released"  // expired or removed
	StateDiscarded = "discarded" // held, then discarded by an operator
)

// Blacklist categories (EDL lists besides the full one and the feeds).
const (
	CategoryScan    = "scan"
	CategoryExploit = "exploit"
	CategoryManual  = "manual"
)

// Detection cases and their blacklist reasons.
const (
	CasePortscan = "portscan"
	CaseSweep    = "sweep"
	CaseVuln     = "vuln"
	CaseManual   = "manual"

	ReasonPortscan = "Port Scan Attack v1"
	ReasonSweep    = "Host Sweep v1"
	ReasonVuln     = "Vulnerability Attack v1"
	ReasonManual   = "Manual"
)

// Evidence is why a source was listed.
type Evidence struct {
	Case        string    `json:"case"`
	Dst         string    `json:"dst,omitempty"`      // the destination (port scan, vulnerability)
	DstPort     uint16    `json:"dst_port,omitempty"` // the destination port (host sweep)
	Distinct    uint64    `json:"distinct,omitempty"` // distinct ports (scan) or hosts (sweep) in the window
	Sample      []string  `json:"sample,omitempty"`   // some of those ports or hosts
	Targets     uint64    `json:"targets,omitempty"`  // destinations (scan) or ports (sweep) over the threshold
	ThreatName  string    `json:"threat_name,omitempty"`
	ThreatID    uint64    `json:"threat_id,omitempty"`
	Severity    string    `json:"severity,omitempty"`
	Events      uint64    `json:"events,omitempty"`
	Devices     []string  `json:"devices,omitempty"`
	Direction   string    `json:"direction,omitempty"` // inbound, outbound or unknown (from our.networks)
	FirstSeen   time.Time `json:"first_seen,omitzero"`
	LastSeen    time.Time `json:"last_seen,omitzero"`
	WindowStart time.Time `json:"window_start,omitzero"`
	WindowEnd   time.Time `json:"window_end,omitzero"`
	Threshold   int       `json:"threshold,omitempty"`
	Note        string    `json:"note,omitempty"` // a person's or an import's reason
}

// Summary is one line saying what the evidence shows.
func (e Evidence) Summary() string {
	switch e.Case {
	case CasePortscan:
		return fmt.Sprintf("%d ports on %s (%s)", e.Distinct, e.Dst, strings.Join(e.Sample, ","))
	case CaseSweep:
		return fmt.Sprintf("%d hosts on port %d (%s)", e.Distinct, e.DstPort, strings.Join(e.Sample, ","))
	case CaseVuln:
		return fmt.Sprintf("%s (%d, %s) against %s, %d events", e.ThreatName, e.ThreatID, e.Severity, e.Dst, e.Events)
	}
	return e.Note
}

// BlacklistEntry is one listed (or formerly listed) address.
type BlacklistEntry struct {
	IP            netip.Addr `json:"ip"`
	State         string     `json:"state"`
	Reason        string     `json:"reason"`
	Category      string     `json:"category"`
	Severity      uint8      `json:"severity"` // 5 critical … 1 informational; scans 3
	Evidence      Evidence   `json:"evidence"`
	Devices       []string   `json:"devices,omitempty"`
	Source        string     `json:"source"` // automatic, user:NAME, token:NAME, cli, import
	Created       time.Time  `json:"created"`
	FirstListed   time.Time  `json:"first_listed"`
	LastActivity  time.Time  `json:"last_activity"`
	Expires       time.Time  `json:"expires,omitzero"` // zero when permanent
	Permanent     bool       `json:"permanent"`
	ReleaseMonths int        `json:"release_months"`
	Returns       int        `json:"returns"` // times listed again after a release
	Released      time.Time  `json:"released,omitzero"`
	ReleasedBy    string     `json:"released_by,omitempty"`
	ReleaseReason string     `json:"release_reason,omitempty"`
	Updated       time.Time  `json:"updated"`
}

type blacklistRow struct {
	IP            string   `json:"ip"`
	State         string   `json:"state"`
	Reason        string   `json:"reason"`
	Category      string   `json:"category"`
	Severity      uint8    `json:"severity"`
	Evidence      string   `json:"evidence"`
	Devices       []string `json:"devices"`
	Source        string   `json:"source"`
	Created       CHTime   `json:"created"`
	FirstListed   CHTime   `json:"first_listed"`
	LastActivity  CHTime   `json:"last_activity"`
	Expires       CHTime   `json:"expires"`
	Permanent     uint8    `json:"permanent"`
	ReleaseMonths int      `json:"release_months"`
	Returns       int      `json:"returns"`
	Released      CHTime   `json:"released"`
	ReleasedBy    string   `json:"released_by"`
	ReleaseReason string   `json:"release_reason"`
	Updated       CHTime   `json:"updated"`
	Version       uint64   `json:"version"`
}

const blacklistStructure = `ip IPv6, state String, reason String, category String, severity UInt8, evidence String,
devices Array(String), source String, created DateTime64(3), first_listed DateTime64(3), last_activity DateTime64(3),
expires DateTime64(3), permanent UInt8, release_months UInt16, returns UInt32, released DateTime64(3),
released_by String, release_reason String, updated DateTime64(3), version UInt64`

// PutBlacklist writes entries (new versions replace older ones).
func PutBlacklist(ctx context.Context, st Store, entries []BlacklistEntry) error {
	rows := make([]blacklistRow, len(entries))
	v := version()
	for i, e := range entries {
		ev, err := json.Marshal(e.Evidence)
		if err != nil {
			return fmt.Errorf("encoding evidence of %s: %w", e.IP, err)
		}
		if e.Updated.IsZero() {
			e.Updated = time.Now()
		}
		rows[i] = blacklistRow{IP: e.IP.String(), State: e.State, Reason: e.Reason, Category: e.Category,
			Severity: e.Severity, Evidence: string(ev), Devices: nonNil(e.Devices), Source: e.Source,
			Created: CHTime(e.Created), FirstListed: CHTime(e.FirstListed), LastActivity: CHTime(e.LastActivity),
			Expires: CHTime(e.Expires), Permanent: b2u(e.Permanent), ReleaseMonths: e.ReleaseMonths, Returns: e.Returns,
			Released: CHTime(e.Released), ReleasedBy: e.ReleasedBy, ReleaseReason: e.ReleaseReason,
			Updated: CHTime(e.Updated), Version: v + uint64(i)}
	}
	return InsertJSON(ctx, st, "blacklist", blacklistStructure, rows)
}

const blacklistColumns = `ip, state, reason, category, severity, evidence, arrayStringConcat(devices, ','), source,
created, first_listed, last_activity, expires, permanent, release_months, returns, released, released_by,
release_reason, updated`

// BlacklistFilter selects entries; zero values select everything.
type BlacklistFilter struct {
	States []string     // e.g. StateActive
	IPs    []netip.Addr // these addresses only
}

// ListBlacklist returns entries matching f, newest activity first.
func ListBlacklist(ctx context.Context, q Querier, f BlacklistFilter) ([]BlacklistEntry, error) {
	where, p := []string{"1"}, Params{}
	if len(f.States) > 0 {
		where = append(where, "state IN {states:Array(String)}")
		p["states"] = f.States
	}
	if len(f.IPs) > 0 {
		ips := make([]string, len(f.IPs))
		for i, a := range f.IPs {
			ips[i] = a.String()
		}
		where = append(where, "ip IN (SELECT toIPv6(arrayJoin({ips:Array(String)})))")
		p["ips"] = ips
	}
	query := "SELECT " + blacklistColumns + " FROM blacklist FINAL WHERE " + strings.Join(where, " AND ") +
		" ORDER BY last_activity DESC, ip"
	var out []BlacklistEntry
	err := QueryEach(ctx, q, query, p, func(r Rows) error {
		e, err := scanBlacklist(r)
		out = append(out, e)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing blacklist: %w", err)
	}
	return out, nil
}

func scanBlacklist(r Rows) (BlacklistEntry, error) {
	var e BlacklistEntry
	var ev, devs string
	err := r.Scan(&e.IP, &e.State, &e.Reason, &e.Category, &e.Severity, &ev, &devs, &e.Source,
		&e.Created, &e.FirstListed, &e.LastActivity, &e.Expires, &e.Permanent, &e.ReleaseMonths, &e.Returns,
		&e.Released, &e.ReleasedBy, &e.ReleaseReason, &e.Updated)
	if err != nil {
		return e, err
	}
	if devs != "" {
		e.Devices = strings.Split(devs, ",")
	}
	e.Expires, e.Released = FromDB(e.Expires), FromDB(e.Released)
	if ev != "" {
		if err := json.Unmarshal([]byte(ev), &e.Evidence); err != nil {
			return e, fmt.Errorf("decoding evidence of %s: %w", e.IP, err)
		}
	}
	return e, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
