package main

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// retentionEvery is how often serve drops expired daily partitions.
const retentionEvery = 6 * time.Hour

// runRetention drops the daily partitions of firewall_logs older than the
// recorded retention, at start and then periodically, so retention never
// waits for TTL merges (which may not run in a process that restarts often).
func runRetention(ctx context.Context, st schema.Store, log *logrus.Entry) error {
	for {
		days := schema.DefaultRenderOptions().RetentionDays
		if n, err := schema.AppliedRetentionDays(ctx, st); err == nil && n > 0 {
			days = n
		}
		if err := schema.DropExpiredPartitions(ctx, st, days); err != nil && ctx.Err() == nil {
			log.WithError(err).Warn("dropping expired partitions failed")
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retentionEvery):
		}
	}
}
