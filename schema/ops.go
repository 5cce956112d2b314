package schema

import "time"

// Request and result types of the domain operations. They live here, in
// the leaf package, because the operations are implemented in detect and
// ingest and called from web, which never import each other.

// BlacklistAdd is a manual blacklist entry.
type BlacklistAdd struct {
	IP        string `json:"ip"`
	Reason    string `json:"reason"`
	Permanent bool   `json:"permanent"`
}

// AllowAdd is an allowlist addition.
type AllowAdd struct {
	CIDR string `json:"cidr"`
	Note string `json:"note"`
}

// FeedAdd adds a blocklist feed.
type FeedAdd struct {
	Name     string `json:"name"`
	URL      string `json:"url"` // http(s) URL or absolute file path
	Interval string `json:"interval,omitempty"`
}

// FeedStatus is a feed with its state.
type FeedStatus struct {
	Feed
	State FeedState `json:"state"`
}

// WebhookAdd adds a webhook.
type WebhookAdd struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Secret string `json:"secret,omitempty"` // HMAC-SHA256 key; stored encrypted
}

// RunResult is what one detection run did.
type RunResult struct {
	Run
	NewEntries []BlacklistEntry `json:"new_entries,omitempty"`
	Detections []Detection      `json:"detections,omitempty"`
}

// Backtest verdicts.
const (
	VerdictBlock    = "would block"
	VerdictMonitor  = "would monitor"
	VerdictSuppress = "suppressed"
)

// BacktestItem is one source a backtest found.
type BacktestItem struct {
	IP       string   `json:"ip"`
	Case     string   `json:"case"`
	Reason   string   `json:"reason"`
	Verdict  string   `json:"verdict"`
	Why      string   `json:"why,omitempty"`
	Evidence Evidence `json:"evidence"`
	Summary  string   `json:"summary"`
}

// Backtest lists what some settings would have found over stored history.
type Backtest struct {
	From     time.Time         `json:"from"`
	To       time.Time         `json:"to"`
	Settings map[string]string `json:"settings"`
	Items    []BacktestItem    `json:"items"`
}

// ImportReport says what an import did, line by line for what it skipped.
type ImportReport struct {
	Added   int          `json:"added"`
	Already int          `json:"already"`
	Skipped []ImportSkip `json:"skipped,omitempty"`
}

// ImportSkip is one line an import did not take.
type ImportSkip struct {
	Line int    `json:"line"`
	Text string `json:"text"`
	Why  string `json:"why"`
}

// EDLSet is every list the firewalls may poll.
type EDLSet struct {
	// Lists maps a list name to its entries, sorted: "blacklist" (all),
	// "scan", "exploit", "manual", each feed by name, and "device/NAME"
	// (what that firewall's logs caused, plus manual and feed entries).
	Lists map[string][]string `json:"lists"`
	// Dropped counts, per list, the entries left out by edl.max_entries.
	Dropped map[string]int `json:"dropped"`
	Built   time.Time      `json:"built"`
}

// JobStatus is what the scheduler knows of a job.
type JobStatus struct {
	Name     string        `json:"name"`
	Every    time.Duration `json:"every"`
	LastRun  time.Time     `json:"last_run,omitzero"`
	NextRun  time.Time     `json:"next_run,omitzero"`
	LastErr  string        `json:"last_error,omitempty"`
	Duration time.Duration `json:"last_duration"`
}

// DeviceStatus is a registered device with its live ingest state.
type DeviceStatus struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Timezone string   `json:"timezone"`
	Senders  []string `json:"senders,omitempty"`
	Enabled  bool     `json:"enabled"`
	State    string   `json:"state"`
	File     string   `json:"file"`
	Offset   uint64   `json:"offset"`
	Size     int64    `json:"size"`
	Lines    uint64   `json:"lines"`
	Parsed   uint64   `json:"parsed"`
	Skipped  uint64   `json:"skipped"`
	Rejected uint64   `json:"rejected"`
	// Reasons counts the rejected lines still kept (30 days), by reason.
	Reasons  map[string]uint64 `json:"reasons,omitempty"`
	Newest   time.Time         `json:"newest"`             // newest event time stored
	LastLine time.Time         `json:"last_line,omitzero"` // when the newest line was read
	Silent   bool              `json:"silent"`             // no new line for device.silence_minutes
	Error    string            `json:"error,omitempty"`
}

// Lag is now minus the newest event time, or -1 when unknown.
func (d DeviceStatus) Lag(now time.Time) time.Duration {
	if d.Newest.IsZero() {
		return -1
	}
	return now.Sub(d.Newest).Truncate(time.Second)
}

// LogImport is a one-shot backfill of a log file on the server.
type LogImport struct {
	Path     string `json:"path"`
	Device   string `json:"device"`
	Timezone string `json:"timezone,omitempty"`
}

// LogImportResult says what an import stored.
type LogImportResult struct {
	Already      bool          `json:"already"` // the file was fully imported before
	Lines        uint64        `json:"lines"`
	Parsed       uint64        `json:"parsed"`
	Skipped      uint64        `json:"skipped"`
	Rejected     uint64        `json:"rejected"`
	Rows         uint64        `json:"rows"`
	Duration     time.Duration `json:"duration"`
	Unterminated int64         `json:"unterminated"` // bytes of a last line without newline, not imported
}

// EDLClient is one client polling one list.
type EDLClient struct {
	Client    string    `json:"client"` // address
	List      string    `json:"list"`
	Device    string    `json:"device,omitempty"` // registered firewall with this sender address
	FirstPoll time.Time `json:"first_poll"`
	LastPoll  time.Time `json:"last_poll"`
	Polls     uint64    `json:"polls"`
	Entries   int       `json:"entries"` // served at the last poll
	Auth      string    `json:"auth"`    // none, ok, failed, refused (source not allowed)
	Status    int       `json:"status"`  // HTTP status of the last poll
	UserAgent string    `json:"user_agent,omitempty"`
	Stale     bool      `json:"stale"` // no poll for edl.stale_minutes
}

// DeviceAdd registers a firewall's log file.
type DeviceAdd struct {
	Name     string   `json:"name"`
	Path     string   `json:"path"`
	Timezone string   `json:"timezone,omitempty"` // IANA zone of its timestamps; "" = the server's
	Senders  []string `json:"senders,omitempty"`  // syslog sender addresses
}
