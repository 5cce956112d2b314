package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/detect"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
)

// benchDetection measures one detection run over a 10-minute window holding
// 1M, 3M and 6M rows (6M = 10k lines/s), against the engine's plain scan of
// the same window (one GROUP BY (src, dst) with uniqExact(dst_port), the
// least any port-scan detection must do) as the baseline, in the same
// process and store.
func benchDetection(reps int) error {
	dir, err := os.MkdirTemp("", "adbench-detect-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := chembed.Open(ctx, chembed.Options{Path: filepath.Join(dir, "ch")})
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := schema.Migrate(ctx, st, schema.DefaultRenderOptions()); err != nil {
		return err
	}
	set := schema.NewSettings(st, nil)
	if err := set.Load(ctx); err != nil {
		return err
	}
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	svc := detect.New(detect.Config{}, st, set, logrus.NewEntry(log))
	fmt.Printf("\n## Detection (adbench detect): one run over a 10-minute window, median of %d, %s\n\n", reps, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| rows in the window | baseline: one GROUP BY scan | detection run (3 cases) | ratio (run / baseline) | rows/s | attackers found |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, n := range []int{1_000_000, 3_000_000, 6_000_000} {
		end := time.Now().UTC().Truncate(time.Minute)
		if err := loadWindow(ctx, st, n, end); err != nil {
			return err
		}
		base, err := medianOf(reps, func() error {
			_, err := schema.Count(ctx, st, `SELECT count() FROM (SELECT src_ip, dst_ip FROM firewall_logs
WHERE ts >= {from:DateTime} AND ts < {to:DateTime} GROUP BY src_ip, dst_ip HAVING uniqExact(dst_port) > 15)`,
				schema.Params{"from": end.Add(-10 * time.Minute), "to": end})
			return err
		})
		if err != nil {
			return err
		}
		var found []string
		run, err := medianOf(reps, func() error {
			for _, t := range []string{"detect_runs", "blacklist", "detections"} {
				if err := st.Exec(ctx, "TRUNCATE TABLE "+t, nil); err != nil {
					return err
				}
			}
			res, err := svc.Run(ctx, detect.TriggerManual)
			found = found[:0]
			for _, e := range res.NewEntries {
				found = append(found, e.IP.String())
			}
			return err
		})
		if err != nil {
			return err
		}
		slices.Sort(found)
		want := []string{"45.0.0.1", "45.0.0.2", "45.0.0.3"}
		if !slices.Equal(found, want) {
			return fmt.Errorf("%d rows: found %v, want %v", n, found, want)
		}
		fmt.Printf("| %d | %.3f s | %.3f s | %.2f | %.1fM | %d of 3 |\n", n, base.Seconds(), run.Seconds(),
			run.Seconds()/base.Seconds(), float64(n)/run.Seconds()/1e6, len(found))
	}
	return nil
}

// loadWindow replaces firewall_logs with n rows over the 10 minutes before
// end: 50,000 external sources, each talking to up to three of 2,000
// internal hosts on up to two common ports, plus one port scanner, one host sweeper and one critical
// vulnerability source.
func loadWindow(ctx context.Context, st schema.Store, n int, end time.Time) error {
	if err := st.Exec(ctx, "TRUNCATE TABLE firewall_logs", nil); err != nil {
		return err
	}
	const ins = `INSERT INTO firewall_logs (ts, generated, device, type, subtype, format, src_ip, dst_ip, src_port, dst_port,
action, rule, app, proto, severity, threat_name, threat_id)
SELECT toDateTime({start:DateTime}) + intDiv(number * 600, {n:UInt64}) AS t, t, 'fw1', 'TRAFFIC', 'end', 'kv',
    toIPv6(IPv4NumToString(toUInt32(0x2E000000 + s))),
    toIPv6(IPv4NumToString(toUInt32(0x0A000000 + (s * 7 + number % 3) % 2000))),
    toUInt16(1024 + number % 60000), [443, 80, 53, 22, 25, 3389, 8080, 993][1 + (s + number % 2) % 8],
    'allow', 'Allow Web', 'ssl', 'tcp', '', '', 0
FROM (SELECT number, cityHash64(number) % 50000 AS s FROM numbers({n:UInt64}))`
	if err := st.Exec(ctx, ins, schema.Params{"start": end.Add(-10 * time.Minute), "n": uint64(n)}); err != nil {
		return fmt.Errorf("loading %d rows: %w", n, err)
	}
	const attacks = `INSERT INTO firewall_logs (ts, generated, device, type, subtype, format, src_ip, dst_ip, src_port, dst_port,
action, rule, severity, threat_name, threat_id)
SELECT toDateTime({start:DateTime}) + number AS t, t, 'fw1', 'TRAFFIC', 'deny', 'kv', toIPv6('45.0.0.1'), toIPv6('10.0.0.5'),
    40000, toUInt16(1 + number), 'deny', 'Block-Bad', '', '', 0 FROM numbers(40)
UNION ALL
SELECT toDateTime({start:DateTime}) + number, toDateTime({start:DateTime}) + number, 'fw1', 'TRAFFIC', 'deny', 'kv',
    toIPv6('45.0.0.2'), toIPv6(IPv4NumToString(toUInt32(0x0A000100 + number))), 40000, 445, 'deny', 'Block-Bad', '', '', 0
FROM numbers(40)
UNION ALL
SELECT toDateTime({start:DateTime}), toDateTime({start:DateTime}), 'fw1', 'THREAT', 'vulnerability', 'kv', toIPv6('45.0.0.3'),
    toIPv6('10.0.0.9'), 40000, 443, 'reset-both', 'Block-Bad', 'critical', 'Test Exploit', 91991`
	return st.Exec(ctx, attacks, schema.Params{"start": end.Add(-5 * time.Minute)})
}

// medianOf runs fn reps times and returns the median duration.
func medianOf(reps int, fn func() error) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < reps; i++ {
		start := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	return ds[len(ds)/2], nil
}
