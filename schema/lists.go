package schema

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AllowEntry is a never-block address or network.
type AllowEntry struct {
	CIDR      string    `json:"cidr"` // canonical: an address, or a masked CIDR
	Note      string    `json:"note,omitempty"`
	CreatedBy string    `json:"created_by"`
	Created   time.Time `json:"created"`
}

// ListAllowlist returns the allowlist ordered by CIDR.
func ListAllowlist(ctx context.Context, q Querier) ([]AllowEntry, error) {
	var out []AllowEntry
	err := QueryEach(ctx, q, "SELECT cidr, note, created_by, created FROM allowlist FINAL WHERE deleted = 0 ORDER BY cidr", nil,
		func(r Rows) error {
			var e AllowEntry
			err := r.Scan(&e.CIDR, &e.Note, &e.CreatedBy, &e.Created)
			out = append(out, e)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing allowlist: %w", err)
	}
	return out, nil
}

type allowRow struct {
	CIDR      string `json:"cidr"`
	Note      string `json:"note"`
	CreatedBy string `json:"created_by"`
	Created   CHTime `json:"created"`
	Version   uint64 `json:"version"`
	Deleted   uint8  `json:"deleted"`
}

// PutAllowlist adds entries, or removes them when deleted is true.
func PutAllowlist(ctx context.Context, st Store, entries []AllowEntry, deleted bool) error {
	rows := make([]allowRow, len(entries))
	v := version()
	for i, e := range entries {
		if e.Created.IsZero() {
			e.Created = time.Now()
		}
		rows[i] = allowRow{CIDR: e.CIDR, Note: e.Note, CreatedBy: e.CreatedBy, Created: CHTime(e.Created),
			Version: v + uint64(i), Deleted: b2u(deleted)}
	}
	return InsertJSON(ctx, st, "allowlist",
		"cidr String, note String, created_by String, created DateTime64(3), version UInt64, deleted UInt8", rows)
}

// Feed is a blocklist source: a URL or a file of addresses and CIDRs.
type Feed struct {
	Name      string        `json:"name"`
	URL       string        `json:"url"` // http(s) URL or absolute file path
	Interval  time.Duration `json:"interval"`
	CreatedBy string        `json:"created_by"`
	Created   time.Time     `json:"created"`
}

// FeedState is a feed's last good copy and how its last refresh went.
type FeedState struct {
	Name        string    `json:"name"`
	Entries     []string  `json:"entries,omitempty"`
	Count       int       `json:"count"`
	Skipped     int       `json:"skipped"`
	LastAttempt time.Time `json:"last_attempt,omitzero"`
	LastOK      time.Time `json:"last_ok,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// ListFeeds returns the feeds ordered by name.
func ListFeeds(ctx context.Context, q Querier) ([]Feed, error) {
	var out []Feed
	err := QueryEach(ctx, q, "SELECT name, url, interval_s, created_by, created FROM feeds FINAL WHERE deleted = 0 ORDER BY name", nil,
		func(r Rows) error {
			var f Feed
			var secs int64
			err := r.Scan(&f.Name, &f.URL, &secs, &f.CreatedBy, &f.Created)
			f.Interval = time.Duration(secs) * time.Second
			out = append(out, f)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing feeds: %w", err)
	}
	return out, nil
}

// PutFeed adds or replaces a feed, or removes it when deleted is true.
func PutFeed(ctx context.Context, st Store, f Feed, deleted bool) error {
	if f.Created.IsZero() {
		f.Created = time.Now()
	}
	err := st.Exec(ctx, `INSERT INTO feeds (name, url, interval_s, created_by, created, version, deleted)
SELECT {n:String}, {u:String}, {i:UInt32}, {by:String}, {c:DateTime}, {v:UInt64}, {d:UInt8}`,
		Params{"n": f.Name, "u": f.URL, "i": uint32(f.Interval / time.Second), "by": f.CreatedBy, "c": f.Created,
			"v": version(), "d": deleted})
	if err != nil {
		return fmt.Errorf("saving feed %s: %w", f.Name, err)
	}
	return nil
}

// ListFeedStates returns every feed's state; withEntries includes the
// entries themselves.
func ListFeedStates(ctx context.Context, q Querier, withEntries bool) (map[string]FeedState, error) {
	entries := "''"
	if withEntries {
		entries = "arrayStringConcat(entries, ',')"
	}
	out := map[string]FeedState{}
	err := QueryEach(ctx, q, "SELECT name, "+entries+", length(entries), skipped, last_attempt, last_ok, last_error FROM feed_state FINAL", nil,
		func(r Rows) error {
			var s FeedState
			var raw string
			if err := r.Scan(&s.Name, &raw, &s.Count, &s.Skipped, &s.LastAttempt, &s.LastOK, &s.LastError); err != nil {
				return err
			}
			if raw != "" {
				s.Entries = strings.Split(raw, ",")
			}
			s.LastAttempt, s.LastOK = FromDB(s.LastAttempt), FromDB(s.LastOK)
			out[s.Name] = s
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading feed states: %w", err)
	}
	return out, nil
}

// PutFeedState records a feed's state.
func PutFeedState(ctx context.Context, st Store, s FeedState) error {
	err := st.Exec(ctx, `INSERT INTO feed_state (name, entries, skipped, last_attempt, last_ok, last_error, version)
SELECT {n:String}, {e:Array(String)}, {s:UInt32}, {a:DateTime}, {ok:DateTime}, {err:String}, {v:UInt64}`,
		Params{"n": s.Name, "e": nonNil(s.Entries), "s": s.Skipped, "a": s.LastAttempt, "ok": orEpoch(s.LastOK),
			"err": s.LastError, "v": version()})
	if err != nil {
		return fmt.Errorf("saving feed state %s: %w", s.Name, err)
	}
	return nil
}

func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return Epoch
	}
	return t
}

// Webhook is a receiver of per-run JSON documents.
type Webhook struct {
	Name    string    `json:"name"`
	URL     string    `json:"url"` // stored sealed with the keyring (such a URL is a secret)
	Secret  string    `json:"-"`   // sealed with the keyring; "" = unsigned
	HasKey  bool      `json:"signed"`
	Created time.Time `json:"created"`
}

// ListWebhooks returns the webhooks (secrets still sealed).
func ListWebhooks(ctx context.Context, q Querier) ([]Webhook, error) {
	var out []Webhook
	err := QueryEach(ctx, q, "SELECT name, url, secret_enc, created FROM webhooks FINAL WHERE deleted = 0 ORDER BY name", nil,
		func(r Rows) error {
			var w Webhook
			err := r.Scan(&w.Name, &w.URL, &w.Secret, &w.Created)
			w.HasKey = w.Secret != ""
			out = append(out, w)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing webhooks: %w", err)
	}
	return out, nil
}

// PutWebhook adds, replaces or removes a webhook; w.Secret must be sealed.
func PutWebhook(ctx context.Context, st Store, w Webhook, deleted bool) error {
	if w.Created.IsZero() {
		w.Created = time.Now()
	}
	err := st.Exec(ctx, `INSERT INTO webhooks (name, url, secret_enc, created, version, deleted)
SELECT {n:String}, {u:String}, {s:String}, {c:DateTime}, {v:UInt64}, {d:UInt8}`,
		Params{"n": w.Name, "u": w.URL, "s": w.Secret, "c": w.Created, "v": version(), "d": deleted})
	if err != nil {
		return fmt.Errorf("saving webhook %s: %w", w.Name, err)
	}
	return nil
}

// ListRecipients returns the notification e-mail addresses.
func ListRecipients(ctx context.Context, q Querier) ([]string, error) {
	var out []string
	err := QueryEach(ctx, q, "SELECT email FROM recipients FINAL WHERE deleted = 0 ORDER BY email", nil, func(r Rows) error {
		var s string
		err := r.Scan(&s)
		out = append(out, s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing recipients: %w", err)
	}
	return out, nil
}

// PutRecipient adds or removes a recipient.
func PutRecipient(ctx context.Context, st Store, email string, deleted bool) error {
	err := st.Exec(ctx, `INSERT INTO recipients (email, created, version, deleted)
SELECT {e:String}, {c:DateTime}, {v:UInt64}, {d:UInt8}`,
		Params{"e": email, "c": time.Now(), "v": version(), "d": deleted})
	if err != nil {
		return fmt.Errorf("saving recipient %s: %w", email, err)
	}
	return nil
}

type edlClientRow struct {
	Client    string `json:"client"`
	List      string `json:"list"`
	Device    string `json:"device"`
	FirstPoll CHTime `json:"first_poll"`
	LastPoll  CHTime `json:"last_poll"`
	Polls     uint64 `json:"polls"`
	Entries   int    `json:"entries"`
	Auth      string `json:"auth"`
	Status    int    `json:"status"`
	UserAgent string `json:"user_agent"`
	Version   uint64 `json:"version"`
}

// PutEDLClients records EDL polls (one row per client and list).
func PutEDLClients(ctx context.Context, st Store, cs []EDLClient) error {
	rows := make([]edlClientRow, len(cs))
	v := version()
	for i, c := range cs {
		rows[i] = edlClientRow{Client: c.Client, List: c.List, Device: c.Device, FirstPoll: CHTime(c.FirstPoll),
			LastPoll: CHTime(c.LastPoll), Polls: c.Polls, Entries: c.Entries, Auth: c.Auth, Status: c.Status,
			UserAgent: c.UserAgent, Version: v + uint64(i)}
	}
	return InsertJSON(ctx, st, "edl_clients", `client String, list String, device String, first_poll DateTime64(3),
last_poll DateTime64(3), polls UInt64, entries UInt32, auth String, status UInt16, user_agent String, version UInt64`, rows)
}

// ListEDLClients returns the recorded EDL polls.
func ListEDLClients(ctx context.Context, q Querier) ([]EDLClient, error) {
	var out []EDLClient
	err := QueryEach(ctx, q, `SELECT client, list, device, first_poll, last_poll, polls, entries, auth, status, user_agent
FROM edl_clients FINAL ORDER BY client, list`, nil, func(r Rows) error {
		var c EDLClient
		err := r.Scan(&c.Client, &c.List, &c.Device, &c.FirstPoll, &c.LastPoll, &c.Polls, &c.Entries, &c.Auth, &c.Status, &c.UserAgent)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing EDL clients: %w", err)
	}
	return out, nil
}
