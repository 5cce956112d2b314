package detect

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

const (
	defaultFeedInterval = time.Hour
	maxFeedBytes        = 64 << 20
	maxFeedEntries      = 1_000_000
)

// ReservedLists are EDL names a feed may not take.
var ReservedLists = []string{"blacklist", schema.CategoryScan, schema.CategoryExploit, schema.CategoryManual, "device", ImportedFeed}

// ListFeeds returns every feed with its state (without its entries).
func (s *Service) ListFeeds(ctx context.Context) ([]schema.FeedStatus, error) {
	fs, err := schema.ListFeeds(ctx, s.st)
	if err != nil {
		return nil, err
	}
	states, err := schema.ListFeedStates(ctx, s.st, false)
	if err != nil {
		return nil, err
	}
	out := make([]schema.FeedStatus, len(fs))
	for i, f := range fs {
		out[i] = schema.FeedStatus{Feed: f, State: states[f.Name]}
	}
	return out, nil
}

// AddFeed adds (or replaces) a feed and fetches it once. anyPath allows a
// file anywhere (the administrator's socket); otherwise a file must lie
// under the configured base directory. A failing first fetch keeps the feed
// and reports the error in its state.
func (s *Service) AddFeed(ctx context.Context, actor schema.Actor, req schema.FeedAdd, anyPath bool) (schema.FeedStatus, error) {
	f, err := s.validFeed(req, anyPath)
	if err != nil {
		return schema.FeedStatus{}, err
	}
	f.CreatedBy, f.Created = actor.Name, s.now()
	if err := schema.PutFeed(ctx, s.st, f, false); err != nil {
		return schema.FeedStatus{}, err
	}
	if err := schema.PutAudit(ctx, s.st, actor.Event(schema.AuditAdd, "feed "+f.Name, f.URL+" every "+f.Interval.String())); err != nil {
		return schema.FeedStatus{}, err
	}
	st := s.refreshFeed(ctx, f, schema.FeedState{Name: f.Name})
	st.Entries = nil
	return schema.FeedStatus{Feed: f, State: st}, nil
}

func (s *Service) validFeed(req schema.FeedAdd, anyPath bool) (schema.Feed, error) {
	f := schema.Feed{Name: strings.TrimSpace(req.Name), URL: strings.TrimSpace(req.URL), Interval: defaultFeedInterval}
	if !schema.ValidName(f.Name) {
		return f, schema.Invalid("name", "use 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit")
	}
	if slices.Contains(ReservedLists, strings.ToLower(f.Name)) {
		return f, schema.Invalid("name", "%q is a built-in list name; choose another", f.Name)
	}
	if req.Interval != "" {
		d, err := time.ParseDuration(req.Interval)
		if err != nil || d < time.Minute || d > 7*24*time.Hour {
			return f, schema.Invalid("interval", "must be a duration from 1m to 168h, got %q", req.Interval)
		}
		f.Interval = d
	}
	if u, err := url.Parse(f.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if u.Host == "" {
			return f, schema.Invalid("url", "%q has no host", f.URL)
		}
		return f, nil
	}
	if !filepath.IsAbs(f.URL) {
		return f, schema.Invalid("url", "must be an http(s) URL or an absolute file path, got %q", f.URL)
	}
	f.URL = filepath.Clean(f.URL)
	if !anyPath {
		base := s.cfg.FeedBaseDir
		if base == "" {
			return f, fmt.Errorf("url: file feeds can only be added by an administrator on the server: %w", schema.ErrForbidden)
		}
		if rel, err := filepath.Rel(base, f.URL); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return f, fmt.Errorf("url: a file feed must lie under %s: %w", base, schema.ErrForbidden)
		}
	}
	return f, nil
}

// RemoveFeed removes a feed; its entries leave the EDL.
func (s *Service) RemoveFeed(ctx context.Context, actor schema.Actor, name string) error {
	fs, err := schema.ListFeeds(ctx, s.st)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(fs, func(f schema.Feed) bool { return f.Name == name })
	if i < 0 {
		return fmt.Errorf("feed %s: %w", name, schema.ErrNotFound)
	}
	if err := schema.PutFeed(ctx, s.st, fs[i], true); err != nil {
		return err
	}
	if err := schema.PutFeedState(ctx, s.st, schema.FeedState{Name: name, LastAttempt: s.now()}); err != nil {
		return err
	}
	s.lists.Notify()
	return schema.PutAudit(ctx, s.st, actor.Event(schema.AuditRemove, "feed "+name, ""))
}

// RefreshFeeds fetches every feed that is due (all with force).
func (s *Service) RefreshFeeds(ctx context.Context, force bool) error {
	fs, err := schema.ListFeeds(ctx, s.st)
	if err != nil {
		return err
	}
	states, err := schema.ListFeedStates(ctx, s.st, false)
	if err != nil {
		return err
	}
	for _, f := range fs {
		st := states[f.Name]
		if f.URL == "" {
			continue // the imported networks: nothing to fetch
		}
		if !force && !st.LastAttempt.IsZero() && s.now().Sub(st.LastAttempt) < f.Interval && !fileChanged(f, st) {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.refreshFeed(ctx, f, st)
	}
	return nil
}

// fileChanged reports whether a file feed was modified since its last
// refresh: a file is read again as soon as it changes, not only on its
// interval.
func fileChanged(f schema.Feed, st schema.FeedState) bool {
	if !filepath.IsAbs(f.URL) {
		return false
	}
	fi, err := os.Stat(f.URL)
	return err == nil && fi.ModTime().After(st.LastAttempt)
}

// refreshFeed fetches one feed and stores its state; a failure keeps the
// last good copy and says so.
func (s *Service) refreshFeed(ctx context.Context, f schema.Feed, prev schema.FeedState) schema.FeedState {
	log := s.log.WithFields(logrus.Fields{"feed": f.Name, "url": f.URL})
	now := s.now()
	entries, skipped, err := s.fetchFeed(ctx, f)
	st := schema.FeedState{Name: f.Name, LastAttempt: now, LastOK: prev.LastOK}
	if err != nil {
		full, ferr := schema.ListFeedStates(ctx, s.st, true)
		if ferr == nil {
			prev = full[f.Name]
		}
		st.Entries, st.Skipped, st.LastError = prev.Entries, prev.Skipped, err.Error()
		log.WithError(err).Warn("feed refresh failed; keeping its last good copy")
	} else {
		st.Entries, st.Skipped, st.LastOK = entries, skipped, now
		if skipped > 0 {
			log.WithField("skipped", skipped).Info("feed lines skipped")
		}
	}
	st.Count = len(st.Entries)
	if err := schema.PutFeedState(context.WithoutCancel(ctx), s.st, st); err != nil {
		log.WithError(err).Warn("saving feed state failed")
	}
	s.lists.Notify()
	return st
}

// fetchFeed reads a feed: one address or CIDR per line, '#' comments, the
// first field of each line; garbage and ranges that are not globally
// routable are skipped and counted.
func (s *Service) fetchFeed(ctx context.Context, f schema.Feed) ([]string, int, error) {
	var rc io.ReadCloser
	if strings.HasPrefix(f.URL, "http://") || strings.HasPrefix(f.URL, "https://") {
		ctx, cancel := context.WithTimeout(ctx, s.cfg.HTTPTimeout)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.URL, nil)
		if err != nil {
			return nil, 0, fmt.Errorf("fetching feed: %w", err)
		}
		req.Header.Set("User-Agent", "activedefense-feed")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, 0, fmt.Errorf("fetching feed: %w", err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, 0, fmt.Errorf("fetching feed: HTTP %s", resp.Status)
		}
		return parseFeed(resp.Body)
	}
	file, err := os.Open(f.URL)
	if err != nil {
		return nil, 0, fmt.Errorf("reading feed file: %w", err)
	}
	rc = file
	defer rc.Close()
	return parseFeed(rc)
}

func parseFeed(r io.Reader) ([]string, int, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxFeedBytes+1))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	seen := map[netip.Prefix]bool{}
	skipped, read := 0, 0
	for sc.Scan() {
		read += len(sc.Bytes()) + 1
		line := sc.Text()
		if i := strings.IndexAny(line, "#;"); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		p, err := schema.ParsePrefix(strings.TrimRight(fields[0], ","))
		if err != nil {
			skipped++
			continue
		}
		if ok, _ := PrefixRoutable(p); !ok {
			skipped++
			continue
		}
		seen[p] = true
		if len(seen) > maxFeedEntries {
			return nil, skipped, fmt.Errorf("reading feed: more than %d entries", maxFeedEntries)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, skipped, errors.New("reading feed: a line longer than 64 KiB (not an address list?)")
		}
		return nil, skipped, fmt.Errorf("reading feed: %w", err)
	}
	if read > maxFeedBytes {
		return nil, skipped, fmt.Errorf("reading feed: larger than %d MiB", maxFeedBytes>>20)
	}
	out := make([]netip.Prefix, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	slices.SortFunc(out, comparePrefix)
	list := make([]string, len(out))
	for i, p := range out {
		list[i] = schema.PrefixString(p)
	}
	return list, skipped, nil
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

// FeedEntries returns what each feed contributes to the EDL now (its last
// good copy, without anything on the never-block list).
func (s *Service) FeedEntries(ctx context.Context) (map[string][]string, error) {
	fs, err := schema.ListFeeds(ctx, s.st)
	if err != nil || len(fs) == 0 {
		return map[string][]string{}, err
	}
	set, err := s.EDL(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(fs))
	for _, f := range fs {
		out[f.Name] = set.Lists[f.Name]
	}
	return out, nil
}
