package detect_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/activedefense/activedefense/schema"
)

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// mailbox is a real SMTP server (go-smtp) keeping what it receives.
type mailbox struct {
	mu       sync.Mutex
	msgs     []mail
	user, pw string
}

type mail struct {
	from string
	to   []string
	data string
	auth string
}

type session struct {
	b    *mailbox
	m    mail
	conn *smtp.Conn
}

func (b *mailbox) NewSession(c *smtp.Conn) (smtp.Session, error) { return &session{b: b, conn: c}, nil }

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pw string) error {
		if user != s.b.user || pw != s.b.pw {
			return errors.New("bad credentials")
		}
		s.m.auth = user
		return nil
	}), nil
}
func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.m.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error   { s.m.to = append(s.m.to, to); return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if _, ok := s.conn.TLSConnectionState(); !ok {
		return errors.New("message over a plain connection")
	}
	s.m.data = string(b)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.m)
	s.b.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.m = mail{auth: s.m.auth} }
func (s *session) Logout() error { return nil }

func (b *mailbox) received() []mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.msgs)
}

func startMailbox(t *testing.T, cert tls.Certificate) (*mailbox, int) {
	t.Helper()
	b := &mailbox{user: "alerts", pw: "s3cret-smtp-pw"}
	srv := smtp.NewServer(b)
	srv.Domain = "127.0.0.1"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return b, ln.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEmailDigest: a run's new entries reach a real SMTP server over
// STARTTLS with authentication, and the password is stored encrypted.
func TestEmailDigest(t *testing.T) {
	e := newEnv(t)
	cert, pool := selfSigned(t)
	box, port := startMailbox(t, cert)
	n := e.svc.Notifier()
	n.TLS = &tls.Config{RootCAs: pool}
	stop := e.runNotifier()
	defer stop()
	actor := schema.Actor{Name: "test"}
	if _, err := e.svc.SetSettings(ctx(), actor, map[string]string{schema.SMTPHost: "127.0.0.1", schema.SMTPPort: strconv.Itoa(port),
		schema.SMTPTLS: "starttls", schema.SMTPUser: "alerts", schema.SMTPPassword: "s3cret-smtp-pw", schema.SMTPFrom: "ad@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddRecipient(ctx(), actor, "soc@example.org"); err != nil {
		t.Fatal(err)
	}
	if dump := dumpTable(t, e, "settings"); strings.Contains(dump, "s3cret-smtp-pw") || !strings.Contains(dump, "enc1:") {
		t.Fatalf("smtp.password stored readable:\n%s", dump)
	}
	if err := e.svc.TestEmail(ctx()); err != nil {
		t.Fatalf("test e-mail: %v", err)
	}
	e.insert(scan(e.now.Add(-10*time.Minute), time.Minute, "45.50.0.1", "198.18.0.1", 20)...)
	e.run()
	waitFor(t, "the digest", func() bool { return len(box.received()) >= 2 })
	msg := box.received()[1]
	if msg.auth != "alerts" || msg.from != "ad@example.org" || !slices.Equal(msg.to, []string{"soc@example.org"}) {
		t.Fatalf("envelope %+v", msg)
	}
	for _, want := range []string{"Subject: Active Defense: 1 new blacklist entries", "45.50.0.1", "Port Scan Attack v1", "20 ports on 198.18.0.1"} {
		if !strings.Contains(msg.data, want) {
			t.Fatalf("digest lacks %q:\n%s", want, msg.data)
		}
	}
}

// TestEmailFailureDoesNotBlockDetection: an unreachable mail server is
// retried and counted while runs go on.
func TestEmailFailureDoesNotBlockDetection(t *testing.T) {
	e := newEnv(t)
	n := e.svc.Notifier()
	n.Backoff, n.Attempts = 10*time.Millisecond, 3
	stop := e.runNotifier()
	defer stop()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there
	if _, err := e.svc.SetSettings(ctx(), schema.Actor{Name: "t"}, map[string]string{schema.SMTPHost: "127.0.0.1",
		schema.SMTPPort: strconv.Itoa(port), schema.SMTPTLS: "none", schema.SMTPFrom: "ad@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddRecipient(ctx(), schema.Actor{Name: "t"}, "soc@example.org"); err != nil {
		t.Fatal(err)
	}
	e.insert(scan(e.now.Add(-10*time.Minute), time.Minute, "45.51.0.1", "198.18.0.1", 20)...)
	start := time.Now()
	e.run()
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("the run waited for the mail server: %s", d)
	}
	waitFor(t, "the failure to be counted", func() bool { return n.Failed.Load() == 1 })
	if got := e.listed(schema.StateActive); !slices.Equal(got, []string{"45.51.0.1"}) {
		t.Fatalf("listed %v", got)
	}
}

// TestWebhook: each run's new entries are posted as JSON with a text field
// and an HMAC-SHA256 signature; a failing receiver is retried.
func TestWebhook(t *testing.T) {
	e := newEnv(t)
	n := e.svc.Notifier()
	n.Backoff = 10 * time.Millisecond
	stop := e.runNotifier()
	defer stop()
	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		sigs = append(sigs, r.Header.Get("X-ActiveDefense-Signature"))
	}))
	defer srv.Close()
	if _, err := e.svc.AddWebhook(ctx(), schema.Actor{Name: "t"}, schema.WebhookAdd{Name: "soc", URL: srv.URL + "/in", Secret: "hook-key"}); err != nil {
		t.Fatal(err)
	}
	if dump := dumpTable(t, e, "webhooks"); strings.Contains(dump, "hook-key") || strings.Contains(dump, "/in") {
		t.Fatalf("webhook secret or URL stored readable:\n%s", dump)
	}
	if hs, err := e.svc.ListWebhooks(ctx()); err != nil || len(hs) != 1 || strings.Contains(hs[0].URL, "/in") {
		t.Fatalf("listed webhooks show the URL: %+v %v", hs, err)
	}
	e.insert(sweep(e.now.Add(-10*time.Minute), time.Minute, "45.52.0.1", 12, 3389)...)
	e.run()
	waitFor(t, "the webhook", func() bool { mu.Lock(); defer mu.Unlock(); return len(bodies) == 1 })
	mu.Lock()
	defer mu.Unlock()
	mac := hmac.New(sha256.New, []byte("hook-key"))
	mac.Write(bodies[0])
	if sigs[0] != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
		t.Fatalf("signature %q", sigs[0])
	}
	var doc struct {
		Event   string                  `json:"event"`
		Text    string                  `json:"text"`
		Entries []schema.BlacklistEntry `json:"entries"`
	}
	if err := json.Unmarshal(bodies[0], &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Event != "detections" || len(doc.Entries) != 1 || doc.Entries[0].IP.String() != "45.52.0.1" ||
		doc.Entries[0].Evidence.DstPort != 3389 || !strings.Contains(doc.Text, "45.52.0.1") {
		t.Fatalf("document %s", bodies[0])
	}
}

// TestFeedOverHTTP: a feed's entries reach the EDL, skipping garbage and
// private ranges; a failing feed keeps its last good copy and says so.
func TestFeedOverHTTP(t *testing.T) {
	e := newEnv(t)
	var mu sync.Mutex
	body, status := "# list\n46.7.7.7\n46.8.8.0/24 # net\n192.168.1.1\n<html>\n2a01:4f8::1\n", 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		io.Copy(w, bytes.NewBufferString(body))
	}))
	defer srv.Close()
	if _, err := e.svc.AddAllowlist(ctx(), schema.Actor{Name: "t"}, schema.AllowAdd{CIDR: "46.8.8.8"}); err != nil {
		t.Fatal(err)
	}
	f, err := e.svc.AddFeed(ctx(), schema.Actor{Name: "t"}, schema.FeedAdd{Name: "bad-ips", URL: srv.URL, Interval: "5m"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if f.State.Count != 3 || f.State.Skipped != 2 || f.State.LastError != "" {
		t.Fatalf("feed state %+v", f.State)
	}
	list := e.edl("bad-ips")
	// 46.8.8.0/24 is split around the allow-listed 46.8.8.8.
	if !slices.Contains(list, "46.7.7.7") || !slices.Contains(list, "2a01:4f8::1") || slices.Contains(list, "46.8.8.0/24") ||
		!slices.Contains(list, "46.8.8.0/29") || !slices.Contains(list, "46.8.8.9/32") && !slices.Contains(list, "46.8.8.9") ||
		!slices.Contains(list, "46.8.8.128/25") {
		t.Fatalf("feed list %v", list)
	}
	mu.Lock()
	status = 500
	mu.Unlock()
	if err := e.svc.RefreshFeeds(ctx(), true); err != nil {
		t.Fatal(err)
	}
	fs, _ := e.svc.ListFeeds(ctx())
	if len(fs) != 1 || fs[0].State.Count != 3 || !strings.Contains(fs[0].State.LastError, "500") {
		t.Fatalf("failing feed: %+v", fs)
	}
	if got := e.edl("blacklist"); !slices.Contains(got, "46.7.7.7") {
		t.Fatalf("last good copy dropped: %v", got)
	}
	if _, err := e.svc.AddFeed(ctx(), schema.Actor{Name: "t"}, schema.FeedAdd{Name: "f2", URL: "/etc/passwd"}, false); !errors.Is(err, schema.ErrForbidden) {
		t.Fatalf("a file feed outside the log dir over the network: %v", err)
	}
}

// dumpTable returns every row of a table as text.
func dumpTable(t *testing.T, e *env, table string) string {
	t.Helper()
	var b strings.Builder
	err := schema.QueryEach(ctx(), e.st, "SELECT * FROM "+table, nil, func(r schema.Rows) error {
		vals := make([]string, len(r.Columns()))
		dest := make([]any, len(vals))
		for i := range vals {
			dest[i] = &vals[i]
		}
		err := r.Scan(dest...)
		b.WriteString(strings.Join(vals, "\t") + "\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestFileFeedFollowsItsFile: a file feed is read again as soon as the file
// changes, not only on its interval.
func TestFileFeedFollowsItsFile(t *testing.T) {
	e := newEnv(t)
	file := t.TempDir() + "/feed.txt"
	if err := os.WriteFile(file, []byte("46.9.9.1\n46.9.9.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddFeed(ctx(), schema.Actor{Name: "t"}, schema.FeedAdd{Name: "local", URL: file, Interval: "24h"}, true); err != nil {
		t.Fatal(err)
	}
	if got := e.edl("local"); !slices.Equal(got, []string{"46.9.9.1", "46.9.9.2"}) {
		t.Fatalf("feed %v", got)
	}
	time.Sleep(1100 * time.Millisecond) // the stored attempt time has whole seconds
	if err := os.WriteFile(file, []byte("46.9.9.2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.now = time.Now().UTC().Truncate(time.Second)
	if err := e.svc.RefreshFeeds(ctx(), false); err != nil {
		t.Fatal(err)
	}
	if got := e.edl("local"); !slices.Equal(got, []string{"46.9.9.2"}) {
		t.Fatalf("after the file changed: %v", got)
	}
}
