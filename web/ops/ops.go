// Package ops declares the domain operations the JSON API and the web pages
// call. They are implemented elsewhere (detect, ingest, cmd) and passed in by
// cmd, so web imports neither and every rule exists once.
package ops

import (
	"context"
	"io"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// Blacklist is the blacklist's lifecycle.
type Blacklist interface {
	ListBlacklist(ctx context.Context, states ...string) ([]schema.BlacklistEntry, error)
	GetBlacklist(ctx context.Context, ip string) (schema.BlacklistEntry, error)
	AddBlacklist(ctx context.Context, actor schema.Actor, req schema.BlacklistAdd) (schema.BlacklistEntry, error)
	RemoveBlacklist(ctx context.Context, actor schema.Actor, ip, why string) error
	ExpireBlacklist(ctx context.Context, actor schema.Actor) ([]schema.BlacklistEntry, error)
	ImportBlacklist(ctx context.Context, actor schema.Actor, r io.Reader, reason string) (schema.ImportReport, error)
	// Protected says why an address must never be blocked ("" if it may be).
	Protected(ctx context.Context, ip string) (string, error)
}

// Allowlist is the never-block list.
type Allowlist interface {
	ListAllowlist(ctx context.Context) ([]schema.AllowEntry, error)
	AddAllowlist(ctx context.Context, actor schema.Actor, req schema.AllowAdd) (schema.AllowEntry, error)
	RemoveAllowlist(ctx context.Context, actor schema.Actor, cidr string) error
	ImportAllowlist(ctx context.Context, actor schema.Actor, r io.Reader) (schema.ImportReport, error)
}

// Feeds are blocklist sources.
type Feeds interface {
	ListFeeds(ctx context.Context) ([]schema.FeedStatus, error)
	// FeedEntries is what each feed puts in the EDL now.
	FeedEntries(ctx context.Context) (map[string][]string, error)
	// AddFeed with trusted (the server's administrator) may name any file;
	// otherwise only files under the configured log directory.
	AddFeed(ctx context.Context, actor schema.Actor, req schema.FeedAdd, trusted bool) (schema.FeedStatus, error)
	RemoveFeed(ctx context.Context, actor schema.Actor, name string) error
	RefreshFeeds(ctx context.Context, force bool) error
}

// Notifications are e-mail recipients and webhooks.
type Notifications interface {
	ListRecipients(ctx context.Context) ([]string, error)
	AddRecipient(ctx context.Context, actor schema.Actor, email string) (string, error)
	RemoveRecipient(ctx context.Context, actor schema.Actor, email string) error
	ListWebhooks(ctx context.Context) ([]schema.Webhook, error)
	AddWebhook(ctx context.Context, actor schema.Actor, req schema.WebhookAdd) (schema.Webhook, error)
	RemoveWebhook(ctx context.Context, actor schema.Actor, name string) error
	TestEmail(ctx context.Context) error
}

// Detection is runs, backtests, the detection record, settings and the
// audit trail.
type Detection interface {
	Run(ctx context.Context, trigger string) (schema.RunResult, error)
	Backtest(ctx context.Context, since time.Duration, overrides map[string]string) (schema.Backtest, error)
	ListRuns(ctx context.Context, limit int) ([]schema.Run, error)
	ListDetections(ctx context.Context, f schema.DetectionFilter) ([]schema.Detection, error)
	DecideHeld(ctx context.Context, actor schema.Actor, ip string, approve bool) ([]schema.BlacklistEntry, error)
	ListAudit(ctx context.Context, since time.Time, limit int) ([]schema.AuditEvent, error)
	Settings() *schema.Settings
	SetSettings(ctx context.Context, actor schema.Actor, changes map[string]string) ([]string, error)
	// EDL builds every list the firewalls poll; ListsChanged says when to
	// build them again.
	EDL(ctx context.Context) (schema.EDLSet, error)
	ListsChanged() (<-chan struct{}, func())
}

// Detect is everything the detection service offers.
type Detect interface {
	Blacklist
	Allowlist
	Feeds
	Notifications
	Detection
}

// Devices are the registered firewall log files.
type Devices interface {
	ListDevices(ctx context.Context) ([]schema.DeviceStatus, error)
	// AddDevice with trusted may name any file; otherwise only files under
	// the configured log directory.
	AddDevice(ctx context.Context, actor schema.Actor, d schema.DeviceAdd, trusted bool) error
	// ChangeDevice replaces the path, time zone and senders of the device
	// named d.Name (it must exist), under the same rules as AddDevice.
	ChangeDevice(ctx context.Context, actor schema.Actor, d schema.DeviceAdd, trusted bool) error
	RemoveDevice(ctx context.Context, actor schema.Actor, name string) error
	// Import backfills a file on the server (trusted callers only).
	Import(ctx context.Context, req schema.LogImport) (schema.LogImportResult, error)
}

// Jobs reports the scheduler's jobs.
type Jobs interface {
	Status() []schema.JobStatus
}

// EDLClients reports who polls the EDLs.
type EDLClients interface {
	Clients(ctx context.Context) ([]schema.EDLClient, error)
}
