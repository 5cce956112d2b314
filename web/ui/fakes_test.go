package ui

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/ops"
)

// fakeDetect is the detection service as the pages see it: in memory, with
// the real settings (validation lives in schema) and the same refusals
// (ErrProtected for private or allow-listed addresses, ErrExists).
type fakeDetect struct {
	ops.Detect // methods the pages never call panic
	set        *schema.Settings

	mu         sync.Mutex
	bl         map[netip.Addr]schema.BlacklistEntry
	allow      []schema.AllowEntry
	dets       []schema.Detection
	audit      []schema.AuditEvent
	recipients []string
	webhooks   []schema.Webhook
	feeds      []schema.FeedStatus
	runs       []schema.Run
	mailErr    error
}

func newFakeDetect(set *schema.Settings) *fakeDetect {
	now := time.Now().UTC()
	f := &fakeDetect{set: set, bl: map[netip.Addr]schema.BlacklistEntry{},
		allow:      []schema.AllowEntry{{CIDR: "8.8.8.8", Note: "Google Public DNS", CreatedBy: "builtin", Created: now}},
		recipients: []string{"soc@example.net"},
		runs:       []schema.Run{{ID: "r1", Started: now.Add(-time.Minute), Finished: now.Add(-time.Minute + time.Second), Trigger: "schedule", Found: 2, Blocked: 1, Held: 1}},
		feeds: []schema.FeedStatus{{Feed: schema.Feed{Name: "spamhaus", URL: "https://feeds.example.net/drop.txt", Interval: time.Hour},
			State: schema.FeedState{Name: "spamhaus", Count: 1200, LastOK: now.Add(-10 * time.Minute), LastAttempt: now.Add(-10 * time.Minute)}}},
	}
	held := schema.BlacklistEntry{IP: netip.MustParseAddr("198.51.100.99"), State: schema.StateHeld, Reason: schema.ReasonSweep,
		Category: schema.CategoryScan, Severity: 3, Created: now, LastActivity: now,
		Evidence: schema.Evidence{Case: schema.CaseSweep, Distinct: 40, DstPort: 22, Sample: []string{"10.0.0.1", "10.0.0.2"}}}
	f.bl[held.IP] = held
	f.dets = []schema.Detection{
		{TS: now, RunID: "r1", IP: held.IP, Case: schema.CaseSweep, Reason: schema.ReasonSweep, Action: schema.ActionHeld, Evidence: held.Evidence,
			Settings: map[string]string{"sweep.hosts": "10"}},
		{TS: now, RunID: "r1", IP: netip.MustParseAddr("8.8.8.8"), Case: schema.CasePortscan, Reason: schema.ReasonPortscan,
			Action: schema.ActionSuppressed, Why: "allowlist 8.8.8.8 (Google Public DNS)",
			Evidence: schema.Evidence{Case: schema.CasePortscan, Distinct: 20, Dst: "192.0.2.1", Sample: []string{"22", "80"}}},
	}
	return f
}

func (f *fakeDetect) Settings() *schema.Settings { return f.set }

func (f *fakeDetect) SetSettings(ctx context.Context, actor schema.Actor, ch map[string]string) ([]string, error) {
	changed, err := f.set.Set(ctx, ch)
	if err == nil {
		f.log(actor.Event(schema.AuditSetting, "settings", strings.Join(changed, ",")))
	}
	return changed, err
}

func (f *fakeDetect) log(e schema.AuditEvent) {
	f.mu.Lock()
	e.TS = time.Now()
	f.audit = append(f.audit, e)
	f.mu.Unlock()
}

func (f *fakeDetect) Protected(_ context.Context, ip string) (string, error) {
	a, err := schema.ParseAddr("ip", ip)
	if err != nil {
		return "", err
	}
	if a.IsPrivate() || a.IsLoopback() || !a.IsGlobalUnicast() {
		return "not globally routable", nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.allow {
		if p, err := schema.ParsePrefix(e.CIDR); err == nil && p.Contains(a) {
			return "allowlist " + e.CIDR, nil
		}
	}
	return "", nil
}

func (f *fakeDetect) ListBlacklist(_ context.Context, states ...string) ([]schema.BlacklistEntry, error) {
	if len(states) == 0 {
		states = []string{schema.StateActive}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []schema.BlacklistEntry
	for _, e := range f.bl {
		if slices.Contains(states, e.State) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b schema.BlacklistEntry) int { return a.IP.Compare(b.IP) })
	return out, nil
}

func (f *fakeDetect) GetBlacklist(_ context.Context, ip string) (schema.BlacklistEntry, error) {
	a, err := schema.ParseAddr("ip", ip)
	if err != nil {
		return schema.BlacklistEntry{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.bl[a]
	if !ok {
		return e, fmt.Errorf("%s is not on the blacklist: %w", a, schema.ErrNotFound)
	}
	return e, nil
}

func (f *fakeDetect) AddBlacklist(ctx context.Context, actor schema.Actor, req schema.BlacklistAdd) (schema.BlacklistEntry, error) {
	a, err := schema.ParseAddr("ip", req.IP)
	if err != nil {
		return schema.BlacklistEntry{}, err
	}
	if len(req.Reason) > 256 || strings.ContainsAny(req.Reason, "\r\n") {
		return schema.BlacklistEntry{}, schema.Invalid("reason", "must be one line of at most 256 characters")
	}
	if why, _ := f.Protected(ctx, a.String()); why != "" {
		return schema.BlacklistEntry{}, fmt.Errorf("%s cannot be blocked: %s: %w", a, why, schema.ErrProtected)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if e, ok := f.bl[a]; ok && e.State == schema.StateActive {
		return e, fmt.Errorf("%s is already listed: %w", a, schema.ErrExists)
	}
	now := time.Now().UTC().Truncate(time.Second)
	e := schema.BlacklistEntry{IP: a, State: schema.StateActive, Reason: schema.ReasonManual, Category: schema.CategoryManual,
		Severity: 5, Source: actor.Name, Created: now, FirstListed: now, LastActivity: now, Expires: now.AddDate(0, 1, 0),
		ReleaseMonths: 1, Evidence: schema.Evidence{Case: schema.CaseManual, Note: req.Reason, FirstSeen: now, LastSeen: now},
		Permanent: req.Permanent}
	f.bl[a] = e
	f.audit = append(f.audit, actor.Event(schema.AuditAdd, "blacklist "+a.String(), req.Reason))
	return e, nil
}

func (f *fakeDetect) RemoveBlacklist(_ context.Context, actor schema.Actor, ip, why string) error {
	a, err := schema.ParseAddr("ip", ip)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.bl[a]
	if !ok || e.State == schema.StateReleased {
		return fmt.Errorf("%s is not on the blacklist: %w", a, schema.ErrNotFound)
	}
	e.State, e.Released, e.ReleasedBy, e.ReleaseReason = schema.StateReleased, time.Now(), actor.Name, why
	f.bl[a] = e
	return nil
}

func (f *fakeDetect) ListAllowlist(context.Context) ([]schema.AllowEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.allow), nil
}

func (f *fakeDetect) AddAllowlist(_ context.Context, actor schema.Actor, req schema.AllowAdd) (schema.AllowEntry, error) {
	p, err := schema.ParsePrefix(req.CIDR)
	if err != nil {
		return schema.AllowEntry{}, schema.Invalid("cidr", "%v", err)
	}
	if len(req.Note) > 256 {
		return schema.AllowEntry{}, schema.Invalid("note", "must be at most 256 characters")
	}
	e := schema.AllowEntry{CIDR: schema.PrefixString(p), Note: req.Note, CreatedBy: actor.Name, Created: time.Now()}
	f.mu.Lock()
	f.allow = append(f.allow, e)
	f.mu.Unlock()
	return e, nil
}

func (f *fakeDetect) RemoveAllowlist(_ context.Context, _ schema.Actor, cidr string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.allow, func(e schema.AllowEntry) bool { return e.CIDR == cidr })
	if i < 0 {
		return fmt.Errorf("%s is not on the allowlist: %w", cidr, schema.ErrNotFound)
	}
	f.allow = slices.Delete(f.allow, i, i+1)
	return nil
}

func (f *fakeDetect) ListDetections(_ context.Context, flt schema.DetectionFilter) ([]schema.Detection, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []schema.Detection
	for _, d := range f.dets {
		if (len(flt.Actions) == 0 || slices.Contains(flt.Actions, d.Action)) && (!flt.IP.IsValid() || flt.IP == d.IP) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (f *fakeDetect) DecideHeld(_ context.Context, actor schema.Actor, ip string, approve bool) ([]schema.BlacklistEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []schema.BlacklistEntry
	for a, e := range f.bl {
		if e.State != schema.StateHeld || (ip != "" && a.String() != ip) {
			continue
		}
		e.State = schema.StateDiscarded
		if approve {
			e.State = schema.StateActive
		}
		f.bl[a] = e
		out = append(out, e)
	}
	if ip != "" && len(out) == 0 {
		return nil, fmt.Errorf("%s is not held: %w", ip, schema.ErrNotFound)
	}
	return out, nil
}

func (f *fakeDetect) Backtest(_ context.Context, since time.Duration, ov map[string]string) (schema.Backtest, error) {
	v, err := f.set.Values().With(ov)
	if err != nil {
		return schema.Backtest{}, err
	}
	bt := schema.Backtest{From: time.Now().Add(-since), To: time.Now(), Settings: v.Map()}
	if v.Int(schema.PortscanPorts) < 15 {
		bt.Items = append(bt.Items, schema.BacktestItem{IP: "203.0.113.50", Case: schema.CasePortscan, Verdict: schema.VerdictBlock,
			Summary: fmt.Sprintf("%d ports on 192.0.2.1", v.Int(schema.PortscanPorts)+1)})
	}
	return bt, nil
}

func (f *fakeDetect) Run(context.Context, string) (schema.RunResult, error) {
	return schema.RunResult{Run: schema.Run{ID: "manual", Found: 3, Blocked: 2}}, nil
}

func (f *fakeDetect) ListRuns(context.Context, int) ([]schema.Run, error) { return f.runs, nil }

func (f *fakeDetect) ListAudit(_ context.Context, since time.Time, _ int) ([]schema.AuditEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := slices.Clone(f.audit)
	slices.Reverse(out)
	return out, nil
}

func (f *fakeDetect) ListRecipients(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.recipients), nil
}

func (f *fakeDetect) AddRecipient(_ context.Context, _ schema.Actor, email string) (string, error) {
	e, err := schema.NormalizeEmail("email", email)
	if err != nil {
		return "", err
	}
	f.mu.Lock()
	f.recipients = append(f.recipients, e)
	f.mu.Unlock()
	return e, nil
}

func (f *fakeDetect) RemoveRecipient(context.Context, schema.Actor, string) error { return nil }

func (f *fakeDetect) ListWebhooks(context.Context) ([]schema.Webhook, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.webhooks), nil
}

func (f *fakeDetect) AddWebhook(_ context.Context, _ schema.Actor, req schema.WebhookAdd) (schema.Webhook, error) {
	if !schema.ValidName(req.Name) {
		return schema.Webhook{}, schema.Invalid("name", "use letters, digits, '.', '_', '@' or '-'")
	}
	if !strings.HasPrefix(req.URL, "https://") && !strings.HasPrefix(req.URL, "http://") {
		return schema.Webhook{}, schema.Invalid("url", "must be an http or https URL")
	}
	w := schema.Webhook{Name: req.Name, URL: req.URL, HasKey: req.Secret != "", Created: time.Now()}
	f.mu.Lock()
	f.webhooks = append(f.webhooks, w)
	f.mu.Unlock()
	return w, nil
}

func (f *fakeDetect) RemoveWebhook(context.Context, schema.Actor, string) error { return nil }

func (f *fakeDetect) TestEmail(context.Context) error { return f.mailErr }

func (f *fakeDetect) ListFeeds(context.Context) ([]schema.FeedStatus, error) { return f.feeds, nil }

func (f *fakeDetect) AddFeed(_ context.Context, _ schema.Actor, req schema.FeedAdd, trusted bool) (schema.FeedStatus, error) {
	if !schema.ValidName(req.Name) {
		return schema.FeedStatus{}, schema.Invalid("name", "use letters, digits, '.', '_', '@' or '-'")
	}
	if strings.HasPrefix(req.URL, "/") && !trusted && !strings.HasPrefix(req.URL, "/var/log/Firewall/") {
		return schema.FeedStatus{}, fmt.Errorf("url: files must be under /var/log/Firewall: %w", schema.ErrForbidden)
	}
	return schema.FeedStatus{Feed: schema.Feed{Name: req.Name, URL: req.URL}}, nil
}

func (f *fakeDetect) RemoveFeed(context.Context, schema.Actor, string) error { return nil }
func (f *fakeDetect) RefreshFeeds(context.Context, bool) error               { return nil }

// fakeDevices keeps devices in memory and enforces the log directory.
type fakeDevices struct {
	ops.Devices
	mu      sync.Mutex
	devs    []schema.DeviceStatus
	changes int
}

func (f *fakeDevices) ListDevices(context.Context) ([]schema.DeviceStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.devs), nil
}

func validFakeDevice(d schema.DeviceAdd, trusted bool) error {
	if !schema.ValidName(d.Name) {
		return schema.Invalid("name", "use 1-64 letters, digits, '.', '_', '@' or '-'")
	}
	if !trusted && !strings.HasPrefix(d.Path, "/var/log/Firewall/") || strings.Contains(d.Path, "..") {
		return schema.Invalid("path", "must be a file under /var/log/Firewall, got %q", d.Path)
	}
	if d.Timezone != "" {
		if _, err := time.LoadLocation(d.Timezone); err != nil {
			return schema.Invalid("timezone", "%q is not an IANA time zone", d.Timezone)
		}
	}
	return nil
}

func (f *fakeDevices) AddDevice(_ context.Context, _ schema.Actor, d schema.DeviceAdd, trusted bool) error {
	if err := validFakeDevice(d, trusted); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.ContainsFunc(f.devs, func(x schema.DeviceStatus) bool { return x.Name == d.Name }) {
		return fmt.Errorf("device %s: %w", d.Name, schema.ErrExists)
	}
	f.devs = append(f.devs, schema.DeviceStatus{Name: d.Name, Path: d.Path, Timezone: d.Timezone, Senders: d.Senders,
		Enabled: true, State: "following", Newest: time.Now().Add(-time.Minute)})
	return nil
}

// ChangeDevice changes a device in place and counts the changes made.
func (f *fakeDevices) ChangeDevice(_ context.Context, _ schema.Actor, d schema.DeviceAdd, trusted bool) error {
	if err := validFakeDevice(d, trusted); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.devs, func(x schema.DeviceStatus) bool { return x.Name == d.Name })
	if i < 0 {
		return fmt.Errorf("device %s: %w", d.Name, schema.ErrNotFound)
	}
	f.devs[i].Path, f.devs[i].Timezone, f.devs[i].Senders = d.Path, d.Timezone, d.Senders
	f.changes++
	return nil
}

func (f *fakeDevices) RemoveDevice(_ context.Context, _ schema.Actor, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.devs, func(x schema.DeviceStatus) bool { return x.Name == name })
	if i < 0 {
		return fmt.Errorf("device %s: %w", name, schema.ErrNotFound)
	}
	f.devs = slices.Delete(f.devs, i, i+1)
	return nil
}

type fakeJobs struct{}

func (fakeJobs) Status() []schema.JobStatus {
	now := time.Now()
	return []schema.JobStatus{{Name: "detect", Every: time.Minute, LastRun: now.Add(-30 * time.Second), NextRun: now.Add(30 * time.Second),
		Duration: 800 * time.Millisecond}}
}

type fakeEDL struct{}

func (fakeEDL) Clients(context.Context) ([]schema.EDLClient, error) {
	now := time.Now()
	return []schema.EDLClient{{Client: "192.0.2.10", List: "blacklist", Device: "fw1", FirstPoll: now.Add(-time.Hour),
		LastPoll: now.Add(-4 * time.Minute), Polls: 12, Entries: 3, Auth: "none", Status: 200}}, nil
}
