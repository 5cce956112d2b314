// Package edl serves the External Dynamic Lists the firewalls poll, from an
// in-memory snapshot rebuilt when the lists change, so polling never
// queries the engine, and records who polls what.
//
// A list is always answered with 200 and text/plain (an empty body when
// empty): a 404 or 5xx leaves a firewall enforcing a stale list. Each list
// carries a strong ETag computed from its body and the time it last changed,
// answers conditional requests with 304, and is kept gzipped too.
package edl

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/ops"
)

// Source is where the lists come from.
type Source interface {
	EDL(ctx context.Context) (schema.EDLSet, error)
	ListsChanged() (<-chan struct{}, func())
	Settings() *schema.Settings
}

// list is one list's snapshot.
type list struct {
	body     []byte
	gz       []byte
	etag     string
	modified time.Time
	entries  int
	dropped  int
}

type snapshot struct {
	lists map[string]*list
	built time.Time
}

// Server serves the lists and tracks polls.
type Server struct {
	src     Source
	st      schema.Store
	devices func(ctx context.Context) (map[netip.Addr]string, error)
	log     *logrus.Entry

	snap  atomic.Pointer[snapshot]
	ready chan struct{}
	once  sync.Once

	mu    sync.Mutex
	polls map[pollKey]*schema.EDLClient
	dirty map[pollKey]bool

	// Polls counts every answered poll.
	Polls atomic.Uint64
}

type pollKey struct{ client, list string }

// New returns the EDL server; it does no I/O. devices maps sender addresses
// to device names (for per-firewall poll status); it may be nil.
func New(src Source, st schema.Store, devices func(ctx context.Context) (map[netip.Addr]string, error), log *logrus.Entry) *Server {
	return &Server{src: src, st: st, devices: devices, log: log, ready: make(chan struct{}),
		polls: map[pollKey]*schema.EDLClient{}, dirty: map[pollKey]bool{}}
}

// Run builds the snapshot, rebuilds it when the lists change (at most once
// a second) and saves poll records every 30 seconds, until ctx is done.
func (s *Server) Run(ctx context.Context) error {
	changed, stop := s.src.ListsChanged()
	defer stop()
	settings, stopSettings := s.src.Settings().Subscribe()
	defer stopSettings()
	if err := s.loadPolls(ctx); err != nil {
		s.log.WithError(err).Warn("reading poll records failed")
	}
	s.rebuild(ctx)
	flush := time.NewTicker(30 * time.Second)
	defer flush.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flushPolls(context.WithoutCancel(ctx))
			return nil
		case <-changed:
		case <-settings:
		case <-retry.C:
		case <-flush.C:
			s.flushPolls(ctx)
			continue
		}
		select { // coalesce bursts of changes
		case <-ctx.Done():
			s.flushPolls(context.WithoutCancel(ctx))
			return nil
		case <-time.After(200 * time.Millisecond):
		}
		if !s.rebuild(ctx) {
			retry.Reset(5 * time.Second)
		}
	}
}

// Ready is closed once the first snapshot exists.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// rebuild builds a new snapshot; a failure keeps the old one.
func (s *Server) rebuild(ctx context.Context) bool {
	set, err := s.src.EDL(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.log.WithError(err).Warn("building the EDL failed; serving the previous lists")
		}
		return false
	}
	old := s.snap.Load()
	next := &snapshot{lists: make(map[string]*list, len(set.Lists)), built: set.Built}
	for name, entries := range set.Lists {
		body := []byte(strings.Join(entries, "\n"))
		if len(entries) > 0 {
			body = append(body, '\n')
		}
		l := &list{body: body, entries: len(entries), dropped: set.Dropped[name], modified: set.Built.UTC().Truncate(time.Second)}
		if old != nil {
			if prev, ok := old.lists[name]; ok && bytes.Equal(prev.body, body) {
				l.gz, l.etag, l.modified = prev.gz, prev.etag, prev.modified
			}
		}
		if l.etag == "" {
			sum := sha256.Sum256(body)
			l.etag = `"` + hex.EncodeToString(sum[:12]) + `"`
			l.gz = gzipBytes(body)
		}
		if l.dropped > 0 {
			s.log.WithFields(logrus.Fields{"list": name, "entries": l.entries, "dropped": l.dropped}).
				Warn("edl.max_entries reached: least severe and oldest entries left out")
		}
		next.lists[name] = l
	}
	s.snap.Store(next)
	s.once.Do(func() { close(s.ready) })
	return true
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// Ensure builds the snapshot if none exists yet (a CLI command without a
// server never runs Run).
func (s *Server) Ensure(ctx context.Context) {
	if s.snap.Load() == nil {
		s.rebuild(ctx)
	}
}

// ListInfo describes one list for the API.
type ListInfo struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	Entries  int       `json:"entries"`
	Dropped  int       `json:"dropped"` // left out by edl.max_entries
	Modified time.Time `json:"modified"`
	ETag     string    `json:"etag"`
}

// Lists describes the current lists, sorted by name.
func (s *Server) Lists() []ListInfo {
	snap := s.snap.Load()
	if snap == nil {
		return nil
	}
	out := make([]ListInfo, 0, len(snap.lists))
	for name, l := range snap.lists {
		out = append(out, ListInfo{Name: name, Path: "/edl/" + name + ".txt", Entries: l.entries, Dropped: l.dropped,
			Modified: l.modified, ETag: l.etag})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Register mounts /files/blacklist.txt (the path existing firewalls use),
// /edl/NAME.txt and /edl/device/NAME.txt.
func (s *Server) Register(r fiber.Router) {
	r.Get("/files/blacklist.txt", func(c *fiber.Ctx) error { return s.serve(c, "blacklist") })
	r.Get("/edl/device/:name.txt", func(c *fiber.Ctx) error { return s.serve(c, "device/"+c.Params("name")) })
	r.Get("/edl/:name.txt", func(c *fiber.Ctx) error { return s.serve(c, c.Params("name")) })
}

func (s *Server) serve(c *fiber.Ctx, name string) error {
	client := c.IP()
	auth, status := s.authorize(c, client)
	if status != fiber.StatusOK {
		s.record(c, client, name, auth, status, 0)
		if status == fiber.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="edl", charset="UTF-8"`)
		}
		return c.Status(status).SendString(fiber.ErrUnauthorized.Message + "\n")
	}
	snap := s.snap.Load()
	if snap == nil {
		select { // the first snapshot is being built
		case <-s.ready:
			snap = s.snap.Load()
		case <-time.After(10 * time.Second):
			return c.Status(fiber.StatusServiceUnavailable).SendString("starting\n")
		}
	}
	l, ok := snap.lists[name]
	if !ok {
		if !schema.ValidName(strings.TrimPrefix(name, "device/")) {
			s.record(c, client, name, auth, fiber.StatusNotFound, 0)
			return c.Status(fiber.StatusNotFound).SendString("no such list\n")
		}
		// A list being created (a feed or device just added) or gone (one
		// removed): empty, never a 404 that leaves a firewall enforcing
		// what it had.
		l = emptyList
	}
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set(fiber.HeaderETag, l.etag)
	c.Set(fiber.HeaderLastModified, l.modified.Format(time.RFC1123[:len(time.RFC1123)-3]+"GMT"))
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	gz := len(l.body) > 0 && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip")
	if gz {
		c.Set(fiber.HeaderETag, gzipETag(l.etag))
	}
	if notModified(c, l) {
		s.record(c, client, name, auth, fiber.StatusNotModified, l.entries)
		return c.SendStatus(fiber.StatusNotModified)
	}
	s.record(c, client, name, auth, fiber.StatusOK, l.entries)
	// The snapshot's bodies are never modified: hand them over without a copy.
	if gz {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		c.Response().SetBodyRaw(l.gz)
		return nil
	}
	c.Response().SetBodyRaw(l.body)
	return nil
}

// gzipETag is the ETag of a list's gzip body: another representation,
// another tag.
func gzipETag(etag string) string { return strings.TrimSuffix(etag, `"`) + `-gz"` }

// emptyList is served for a list that has no entries in the snapshot.
var emptyList = func() *list {
	sum := sha256.Sum256(nil)
	return &list{etag: `"` + hex.EncodeToString(sum[:12]) + `"`, modified: time.Unix(0, 0).UTC()}
}()

func notModified(c *fiber.Ctx, l *list) bool {
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
			if t == l.etag || t == gzipETag(l.etag) || t == "*" {
				return true
			}
		}
		return false
	}
	if ims := c.Get(fiber.HeaderIfModifiedSince); ims != "" {
		if t, err := time.Parse(time.RFC1123, ims); err == nil && !l.modified.After(t) {
			return true
		}
	}
	return false
}

// authorize applies the source-address allowlist and basic auth set in
// settings; it returns the auth result for the poll record and a status.
func (s *Server) authorize(c *fiber.Ctx, client string) (string, int) {
	v := s.src.Settings().Values()
	if allow := v.List(schema.EDLAllow); len(allow) > 0 {
		a, err := netip.ParseAddr(client)
		if err != nil || !inNetworks(a.Unmap(), allow) {
			return "refused", fiber.StatusForbidden
		}
	}
	user := v.Get(schema.EDLUser)
	if user == "" {
		return "none", fiber.StatusOK
	}
	u, p, ok := basicAuth(c.Get(fiber.HeaderAuthorization))
	// Both compared in constant time (keyed SHA-256): no bcrypt per poll.
	if !ok || !sameString(u, user) || !v.Matches(schema.EDLPassword, p) {
		return "failed", fiber.StatusUnauthorized
	}
	return "ok", fiber.StatusOK
}

// sameString compares in constant time.
func sameString(a, b string) bool {
	x, y := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(x[:], y[:]) == 1
}

// basicAuth parses an Authorization: Basic header.
func basicAuth(h string) (user, pass string, ok bool) {
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(h[len(prefix):])
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	return user, pass, ok
}

func inNetworks(a netip.Addr, nets []string) bool {
	for _, n := range nets {
		if p, err := schema.ParsePrefix(n); err == nil && p.Contains(a) {
			return true
		}
	}
	return false
}

// record notes one poll in memory; Run saves the records.
func (s *Server) record(c *fiber.Ctx, client, list, auth string, status, entries int) {
	s.Polls.Add(1)
	now := time.Now().UTC()
	k := pollKey{strings.Clone(client), strings.Clone(list)} // request strings may be reused buffers
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.polls[k]
	if !ok {
		if len(s.polls) > 100000 {
			return // bounded: a scan of many addresses must not grow memory
		}
		p = &schema.EDLClient{Client: client, List: list, FirstPoll: now}
		s.polls[k] = p
	}
	p.LastPoll, p.Polls, p.Auth, p.Status = now, p.Polls+1, auth, status
	if status == fiber.StatusOK || status == fiber.StatusNotModified {
		p.Entries = entries
	}
	if ua := c.Get(fiber.HeaderUserAgent); ua != "" {
		p.UserAgent = clip(ua, 200)
	}
	s.dirty[k] = true
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Server) flushPolls(ctx context.Context) {
	s.mu.Lock()
	var rows []schema.EDLClient
	for k := range s.dirty {
		rows = append(rows, *s.polls[k])
	}
	clear(s.dirty)
	s.mu.Unlock()
	if err := schema.PutEDLClients(ctx, s.st, rows); err != nil && ctx.Err() == nil {
		s.log.WithError(err).Warn("saving EDL poll records failed")
	}
}

func (s *Server) loadPolls(ctx context.Context) error {
	cs, err := schema.ListEDLClients(ctx, s.st)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		c := c
		s.polls[pollKey{c.Client, c.List}] = &c
	}
	return nil
}

// Clients returns every client and list with its last poll, marked stale
// when it has not polled for edl.stale_minutes.
func (s *Server) Clients(ctx context.Context) ([]schema.EDLClient, error) {
	var devs map[netip.Addr]string
	if s.devices != nil {
		var err error
		if devs, err = s.devices(ctx); err != nil {
			return nil, err
		}
	}
	stale := time.Duration(s.src.Settings().Values().Int(schema.EDLStaleMinutes)) * time.Minute
	now := time.Now()
	s.mu.Lock()
	out := make([]schema.EDLClient, 0, len(s.polls))
	for _, p := range s.polls {
		c := *p
		if a, err := netip.ParseAddr(c.Client); err == nil {
			c.Device = devs[a.Unmap()]
		}
		c.Stale = now.Sub(c.LastPoll) > stale
		out = append(out, c)
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Client != out[j].Client {
			return out[i].Client < out[j].Client
		}
		return out[i].List < out[j].List
	})
	return out, nil
}

var _ ops.EDLClients = (*Server)(nil)
