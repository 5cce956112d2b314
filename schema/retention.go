package schema

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DaysPerMonth converts retention.months to the TTL in days: a month is
// counted as 31 days, so N months always keeps at least N calendar months.
const DaysPerMonth = 31

// getSetting returns a stored setting's value; ok is false when it was never
// set.
func getSetting(ctx context.Context, q Querier, key string) (value string, ok bool, err error) {
	err = QueryRow(ctx, q, "SELECT value FROM settings FINAL WHERE key = {k:String}", Params{"k": key}, &value)
	if errors.Is(err, ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading setting %s: %w", key, err)
	}
	return value, true, nil
}

func setSetting(ctx context.Context, st Store, key, value string) error {
	err := st.Exec(ctx, `INSERT INTO settings (key, value, updated, version)
SELECT {k:String}, {v:String}, {now:DateTime}, {version:UInt64}`,
		Params{"k": key, "v": value, "now": time.Now(), "version": version()})
	if err != nil {
		return fmt.Errorf("saving setting %s: %w", key, err)
	}
	return nil
}

// AppliedRetentionDays returns the TTL in days last applied by SetRetention
// (0 when never applied).
func AppliedRetentionDays(ctx context.Context, q Querier) (int, error) {
	v, ok, err := getSetting(ctx, q, settingRetentionOn)
	if err != nil || !ok {
		return 0, err
	}
	n, _ := strconv.Atoi(v)
	return n, nil
}

// SetRetention changes how many days of firewall logs and detections are
// kept. It changes the TTLs as metadata only (materialize_ttl_after_modify =
// 0: no rewrite of existing parts), drops whole daily partitions older than
// the new retention, and records the value. Nothing happens when days
// equals the recorded value.
func SetRetention(ctx context.Context, st Store, days int) (changed bool, err error) {
	if days < 1 || days > 3720 {
		return false, fmt.Errorf("retention must be 1-3720 days, got %d", days)
	}
	cur, err := AppliedRetentionDays(ctx, st)
	if err != nil {
		return false, err
	}
	if cur == days {
		return false, nil
	}
	l := st.Info().Layout()
	alters := []string{
		fmt.Sprintf("ALTER TABLE %s%s MODIFY TTL ts + INTERVAL %d DAY SETTINGS materialize_ttl_after_modify = 0",
			l.localTable("firewall_logs"), l.onCluster(), days),
		fmt.Sprintf("ALTER TABLE %s%s MODIFY TTL toDateTime(ts) + INTERVAL %d DAY SETTINGS materialize_ttl_after_modify = 0",
			l.table("detections"), l.onCluster(), days),
	}
	for _, q := range alters {
		if err := st.Exec(ctx, q, nil); err != nil {
			return false, fmt.Errorf("changing retention to %d days: %w", days, err)
		}
	}
	if err := DropExpiredPartitions(ctx, st, days); err != nil {
		return false, err
	}
	return true, setSetting(ctx, st, settingRetentionOn, strconv.Itoa(days))
}

// DropExpiredPartitions drops the daily partitions of the firewall log table
// that lie entirely before the retention horizon. Retention therefore never
// depends on when TTL merges happen to run.
func DropExpiredPartitions(ctx context.Context, st Store, days int) error {
	l := st.Info().Layout()
	table := "firewall_logs"
	if l.Cluster != "" {
		table += "_local"
	}
	var parts []string
	err := QueryEach(ctx, st, `SELECT DISTINCT partition FROM system.parts
WHERE database = currentDatabase() AND table = {t:String} AND active
  AND toDate(partition) < today() - {d:UInt32}`, Params{"t": table, "d": days}, func(r Rows) error {
		var p string
		err := r.Scan(&p)
		parts = append(parts, p)
		return err
	})
	if err != nil {
		return fmt.Errorf("listing expired partitions: %w", err)
	}
	for _, p := range parts {
		q := fmt.Sprintf("ALTER TABLE %s%s DROP PARTITION %s", l.localTable("firewall_logs"), l.onCluster(), QuoteString(p))
		if err := st.Exec(ctx, q, nil); err != nil {
			return fmt.Errorf("dropping partition %s: %w", p, err)
		}
	}
	return nil
}
