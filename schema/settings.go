package schema

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Setting keys stored in the settings table.
const (
	SettingRetentionDays = "retention_days"
)

// GetSetting returns a setting's value; ok is false when it was never set.
func GetSetting(ctx context.Context, q Querier, key string) (value string, ok bool, err error) {
	err = QueryRow(ctx, q, "SELECT value FROM settings FINAL WHERE key = {k:String}", Params{"k": key}, &value)
	if errors.Is(err, ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetSetting stores a setting.
func SetSetting(ctx context.Context, st Store, key, value string) error {
	err := st.Exec(ctx, `INSERT INTO settings (key, value, updated, version)
SELECT {k:String}, {v:String}, {now:DateTime}, {version:UInt64}`,
		Params{"k": key, "v": value, "now": time.Now(), "version": version()})
	if err != nil {
		return fmt.Errorf("saving setting %s: %w", key, err)
	}
	return nil
}

// SetRetention changes how many days of firewall logs are kept. It changes
// the TTL as metadata only (materialize_ttl_after_modify = 0: no rewrite of
// existing parts), drops whole daily partitions older than the new
// retention, and records the value. Nothing happens when days equals the
// recorded value.
func SetRetention(ctx context.Context, st Store, days int) (changed bool, err error) {
	if days < 1 || days > 3650 {
		return false, fmt.Errorf("retention must be 1-3650 days, got %d", days)
	}
	cur, ok, err := GetSetting(ctx, st, SettingRetentionDays)
	if err != nil {
		return false, err
	}
	if ok && cur == strconv.Itoa(days) {
		return false, nil
	}
	l := st.Info().Layout()
	alter := fmt.Sprintf("ALTER TABLE %s%s MODIFY TTL ts + INTERVAL %d DAY SETTINGS materialize_ttl_after_modify = 0",
		l.localTable("firewall_logs"), l.onCluster(), days)
	if err := st.Exec(ctx, alter, nil); err != nil {
		return false, fmt.Errorf("changing retention to %d days: %w", days, err)
	}
	if err := DropExpiredPartitions(ctx, st, days); err != nil {
		return false, err
	}
	return true, SetSetting(ctx, st, SettingRetentionDays, strconv.Itoa(days))
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
