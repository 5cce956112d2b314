package detect

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// finding is one source a case found in one run, with its strongest
// evidence.
type finding struct {
	ip       netip.Addr
	kase     string
	reason   string
	category string
	severity uint8
	ev       schema.Evidence
}

// windowCase is a case counting distinct values per (source, key) in
// sliding event-time windows: the port scan (key destination, counting
// ports) and the host sweep (key destination port, counting hosts).
type windowCase struct {
	name      string
	reason    string
	key       string // column grouped with src_ip
	counted   string // column counted distinctly
	keyText   string // key as text
	countText string // a counted value as text
	threshold int
	window    time.Duration
}

// addrText renders an IPv6 column with IPv4 addresses unmapped.
func addrText(col string) string {
	return "replaceRegexpOne(IPv6NumToString(" + col + "), '^::ffff:', '')"
}

func windowCases(v schema.Values) []windowCase {
	var out []windowCase
	if m := v.Int(schema.PortscanMinutes); m > 0 {
		out = append(out, windowCase{name: schema.CasePortscan, reason: schema.ReasonPortscan, key: "dst_ip", counted: "dst_port",
			keyText: addrText("key"), countText: "toString(x)", threshold: v.Int(schema.PortscanPorts), window: time.Duration(m) * time.Minute})
	}
	if m := v.Int(schema.SweepMinutes); m > 0 {
		out = append(out, windowCase{name: schema.CaseSweep, reason: schema.ReasonSweep, key: "dst_port", counted: "dst_ip",
			keyText: "toString(key)", countText: addrText("x"), threshold: v.Int(schema.SweepHosts), window: time.Duration(m) * time.Minute})
	}
	return out
}

// hop is the distance between window starts: 10 seconds (half the window
// for a window under 20 s). Windows overlap, so an attack across a boundary
// is not missed, and "within W" is exact to within a hop.
func (c windowCase) hop() time.Duration {
	return min(10*time.Second, c.window/2)
}

// query finds the sources over the threshold in windows starting in
// [lo, hi). One scan: the inner query keeps per-hop states only for
// (source, key) pairs over the threshold in the whole range read (a pair
// under it there cannot be over it in any window), then the hop states are
// merged into every window they fall in, and each source keeps its
// strongest window.
func (c windowCase) query() string {
	return fmt.Sprintf(`SELECT src_ip,
    argMax(key, n), max(n), argMax(ws, n), argMax(first, n), argMax(last, n), argMax(events, n),
    argMax(sample, n), arrayStringConcat(groupUniqArrayArray(devices), ','), uniqExact(key)
FROM (
    SELECT src_ip, key, ws, uniqExactMerge(st) AS n, min(fmin) AS first, max(fmax) AS last, sum(cnt) AS events,
        arrayStringConcat(arrayMap(x -> %[4]s, arraySlice(arraySort(groupUniqArrayArray(smp)), 1, 20)), ',') AS sample,
        groupUniqArrayArray(devs) AS devices
    FROM (
        SELECT src_ip, %[1]s AS key, toDateTime(intDiv(toUInt32(ts), {hop:UInt32}) * {hop:UInt32}) AS b,
            uniqExactState(%[2]s) AS st, min(ts) AS fmin, max(ts) AS fmax, count() AS cnt,
            groupUniqArray(20)(%[2]s) AS smp, groupUniqArray(toString(device)) AS devs
        FROM firewall_logs
        WHERE ts >= {from:DateTime} AND ts < {to:DateTime}
          AND toStartOfFiveMinutes(ts) BETWEEN toStartOfFiveMinutes({from:DateTime}) AND toStartOfFiveMinutes({to:DateTime})
          AND src_ip IN (SELECT toIPv6(arrayJoin({cands:Array(String)})))
          AND (src_ip, %[1]s) IN (
              SELECT src_ip, %[1]s FROM firewall_logs
              WHERE ts >= {from:DateTime} AND ts < {to:DateTime}
                AND toStartOfFiveMinutes(ts) BETWEEN toStartOfFiveMinutes({from:DateTime}) AND toStartOfFiveMinutes({to:DateTime})
                AND src_ip IN (SELECT toIPv6(arrayJoin({cands:Array(String)})))
              GROUP BY src_ip, %[1]s HAVING uniqExact(%[2]s) > {t:UInt32})
        GROUP BY src_ip, key, b
    )
    ARRAY JOIN arrayMap(k -> b - k * {hop:UInt32}, range({steps:UInt32})) AS ws
    WHERE ws >= {lo:DateTime} AND ws < {hi:DateTime}
    GROUP BY src_ip, key, ws
    HAVING n > {t:UInt32}
)
GROUP BY src_ip`, c.key, c.counted, c.keyText, c.countText)
}

// run evaluates windows starting in [lo, hi), for the candidate sources.
func (c windowCase) run(ctx context.Context, q schema.Querier, lo, hi time.Time, cands []string) ([]finding, error) {
	if len(cands) == 0 {
		return nil, nil
	}
	hop, w := c.hop(), c.window
	steps := int(w / hop)
	p := schema.Params{"hop": uint32(hop / time.Second), "steps": uint32(steps), "t": uint32(c.threshold),
		"lo": lo, "hi": hi, "from": lo, "to": hi.Add(w - hop), "cands": cands}
	var out []finding
	err := schema.QueryEach(ctx, q, c.query(), p, func(r schema.Rows) error {
		var f finding
		var key, sample, devs string
		var ws time.Time
		ev := &f.ev
		if err := r.Scan(&f.ip, &key, &ev.Distinct, &ws, &ev.FirstSeen, &ev.LastSeen, &ev.Events, &sample, &devs, &ev.Targets); err != nil {
			return err
		}
		f.kase, f.reason, f.category, f.severity = c.name, c.reason, schema.CategoryScan, 3
		ev.Case, ev.Threshold = c.name, c.threshold
		ev.WindowStart, ev.WindowEnd = ws, ws.Add(w)
		ev.Sample, ev.Devices = splitList(sample), splitList(devs)
		if c.name == schema.CasePortscan {
			ev.Dst = unmapText(key)
		} else {
			var port uint64
			fmt.Sscan(key, &port)
			ev.DstPort = uint16(port)
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("evaluating %s windows %s–%s: %w", c.name, lo.Format(time.RFC3339), hi.Format(time.RFC3339), err)
	}
	return out, nil
}

// candidates returns, in one scan of [from, to), the globally routable
// sources that could be over a window case's threshold: more distinct
// destination ports, or more distinct destinations, in the whole range
// than the smallest threshold allows. A source under both there cannot be
// over either in any window inside it, so the window queries read only
// these sources (usually a handful) instead of every row twice.
func candidates(ctx context.Context, q schema.Querier, cases []windowCase, from, to time.Time) ([]string, error) {
	ports, hosts := 0, 0
	for _, c := range cases {
		k := min(c.threshold+1, 100) // uniqUpTo counts up to 100; a larger threshold keeps a superset
		if c.name == schema.CasePortscan {
			ports = k
		} else {
			hosts = k
		}
	}
	if ports == 0 && hosts == 0 {
		return nil, nil
	}
	cond := []string{}
	if ports > 0 {
		cond = append(cond, fmt.Sprintf("uniqUpTo(%d)(dst_port) >= %d", ports, ports))
	}
	if hosts > 0 {
		cond = append(cond, fmt.Sprintf("uniqUpTo(%d)(dst_ip) >= %d", hosts, hosts))
	}
	query := `SELECT src_ip FROM firewall_logs
WHERE ts >= {from:DateTime} AND ts < {to:DateTime}
  AND toStartOfFiveMinutes(ts) BETWEEN toStartOfFiveMinutes({from:DateTime}) AND toStartOfFiveMinutes({to:DateTime})
GROUP BY src_ip HAVING ` + strings.Join(cond, " OR ")
	var out []string
	err := schema.QueryEach(ctx, q, query, schema.Params{"from": from, "to": to}, func(r schema.Rows) error {
		var a netip.Addr
		if err := r.Scan(&a); err != nil {
			return err
		}
		if ok, _ := Routable(a); ok {
			out = append(out, a.Unmap().String())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("finding candidate sources %s–%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

// vulnCase lists sources of THREAT events of the configured subtypes and
// severities: one event is enough.
type vulnCase struct {
	severities []string
	subtypes   []string
}

func newVulnCase(v schema.Values) (vulnCase, bool) {
	switch v.Int(schema.VulnLevel) {
	case 1:
		return vulnCase{severities: []string{"critical"}, subtypes: v.List(schema.VulnSubtypes)}, true
	case 2:
		return vulnCase{severities: []string{"critical", "high"}, subtypes: v.List(schema.VulnSubtypes)}, true
	}
	return vulnCase{}, false
}

var severityRank = map[string]uint8{"critical": 5, "high": 4, "medium": 3, "low": 2, "informational": 1}

func (c vulnCase) run(ctx context.Context, q schema.Querier, from, to time.Time) ([]finding, error) {
	const query = `SELECT src_ip, count(), min(ts), max(ts),
    argMax(` + "replaceRegexpOne(IPv6NumToString(dst_ip), '^::ffff:', '')" + `, (severity, ts)),
    argMax(threat_name, (severity, ts)), argMax(threat_id, (severity, ts)), toString(max(severity)),
    uniqExact(dst_ip), arrayStringConcat(groupUniqArray(toString(device)), ',')
FROM firewall_logs
WHERE ts >= {from:DateTime} AND ts < {to:DateTime}
  AND toStartOfFiveMinutes(ts) BETWEEN toStartOfFiveMinutes({from:DateTime}) AND toStartOfFiveMinutes({to:DateTime})
  AND type = 'THREAT' AND subtype IN {subtypes:Array(String)} AND toString(severity) IN {sev:Array(String)}
GROUP BY src_ip`
	var out []finding
	err := schema.QueryEach(ctx, q, query, schema.Params{"from": from, "to": to, "subtypes": c.subtypes, "sev": c.severities},
		func(r schema.Rows) error {
			var f finding
			var devs string
			ev := &f.ev
			if err := r.Scan(&f.ip, &ev.Events, &ev.FirstSeen, &ev.LastSeen, &ev.Dst, &ev.ThreatName, &ev.ThreatID,
				&ev.Severity, &ev.Targets, &devs); err != nil {
				return err
			}
			f.kase, f.reason, f.category, f.severity = schema.CaseVuln, schema.ReasonVuln, schema.CategoryExploit, severityRank[ev.Severity]
			ev.Case, ev.Devices = schema.CaseVuln, splitList(devs)
			ev.WindowStart, ev.WindowEnd = from, to
			out = append(out, f)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("evaluating vulnerability attacks %s–%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	return out, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func unmapText(s string) string {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap().String()
	}
	return s
}
