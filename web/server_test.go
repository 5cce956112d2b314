package web

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
)

func TestMain(m *testing.M) { chembedtest.VerifyMain(m) }

func TestHealthz(t *testing.T) {
	log, _ := test.NewNullLogger()
	for _, tc := range []struct {
		name   string
		health error
		code   int
		body   string
	}{
		{"healthy", nil, 200, `"status":"ok"`},
		{"store down", errors.New("engine gone"), 503, `"status":"unavailable"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{Version: "v1"}, Deps{Health: func(context.Context) error { return tc.health }}, logrus.NewEntry(log))
			resp, err := s.App().Test(httptest.NewRequest("GET", "/healthz", nil), -1)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.code || !strings.Contains(string(b), tc.body) || strings.Contains(string(b), "engine gone") {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
		})
	}
	s := New(Config{}, Deps{Health: func(context.Context) error { return nil }}, logrus.NewEntry(log))
	resp, _ := s.App().Test(httptest.NewRequest("GET", "/nope", nil), -1)
	if resp.StatusCode != 404 {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
}

// TestRunServesHTTPSWithSelfSignedCertificate starts the real listener.
func TestRunServesHTTPSWithSelfSignedCertificate(t *testing.T) {
	log, hook := test.NewNullLogger()
	dir := t.TempDir()
	s := New(Config{Listen: "127.0.0.1:0", TLSDir: dir}, Deps{Health: func(context.Context) error { return nil }}, logrus.NewEntry(log))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var addr string
	select {
	case addr = <-s.Ready():
	case err := <-done:
		t.Fatal(err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Fatalf("status %d, tls %v", resp.StatusCode, resp.TLS != nil)
	}
	if fi, err := os.Stat(filepath.Join(dir, "selfsigned.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("graceful stop: %v", err)
	}
	found := false
	for _, e := range hook.AllEntries() {
		if fp, ok := e.Data["sha256"].(string); ok && len(fp) == 95 {
			found = true
		}
	}
	if !found {
		t.Fatal("the certificate's SHA-256 fingerprint was not logged at start")
	}
}

// TestClientAddress: X-Forwarded-For counts only from a trusted proxy.
func TestClientAddress(t *testing.T) {
	log, _ := test.NewNullLogger()
	s := New(Config{TrustedProxies: []string{"0.0.0.0"}}, Deps{}, logrus.NewEntry(log))
	s.App().Get("/ip", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
	for _, tc := range []struct{ xff, want string }{
		{"", "0.0.0.0"},
		{"203.0.113.9", "203.0.113.9"},
		{"10.9.9.9, 203.0.113.9", "203.0.113.9"},
		{"garbage", "0.0.0.0"},
	} {
		req := httptest.NewRequest("GET", "/ip", nil)
		if tc.xff != "" {
			req.Header.Set("X-Forwarded-For", tc.xff)
		}
		resp, err := s.App().Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if string(b) != tc.want {
			t.Errorf("X-Forwarded-For %q: %q, want %q", tc.xff, b, tc.want)
		}
	}
	untrusted := New(Config{TrustedProxies: []string{"127.0.0.1"}}, Deps{}, logrus.NewEntry(log))
	untrusted.App().Get("/ip", func(c *fiber.Ctx) error { return c.SendString(c.IP()) })
	req := httptest.NewRequest("GET", "/ip", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, _ := untrusted.App().Test(req, -1)
	if b, _ := io.ReadAll(resp.Body); string(b) != "0.0.0.0" {
		t.Fatalf("an untrusted peer set the address: %q", b)
	}
}
