package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
	"github.com/activedefense/activedefense/web"
	"github.com/activedefense/activedefense/web/api"
	"github.com/activedefense/activedefense/web/auth"
)

// apiEnv is the real web server on the embedded engine, in process, with
// a token of each scope.
type apiEnv struct {
	t      *testing.T
	srv    *web.Server
	core   *core
	tokens map[string]string // scope -> secret
}

func newAPIEnv(t *testing.T) *apiEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the embedded engine")
	}
	st := chembedtest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if _, err := migrate(ctx, st, 0); err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	a := &app{log: log, logDir: t.TempDir()}
	a.g.dataDir = t.TempDir()
	c, err := a.newCore(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	deps := c.webDeps(func(ctx context.Context, days int) (schema.MigrateResult, error) { return migrate(ctx, st, days) })
	srv := web.New(web.Config{InsecureHTTP: true, Version: "test"}, deps, logrus.NewEntry(log))
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.EDL().Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	e := &apiEnv{t: t, srv: srv, core: c, tokens: map[string]string{}}
	for _, scope := range []string{schema.ScopeRead, schema.ScopeWrite, schema.ScopeHunt} {
		tok, err := c.tokens.Add(ctx, schema.Actor{Name: "test"}, auth.TokenAdd{Name: "t-" + scope, Scope: scope})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[scope] = tok.Secret
	}
	select {
	case <-srv.EDL().Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("EDL not built")
	}
	return e
}

// do sends a request as scope ("" = no token) and returns status and body.
func (e *apiEnv) do(method, path, scope, body string, hdr ...string) (int, http.Header, string) {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if scope != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[scope])
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.srv.App().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestAPIRulesAndErrors: the API's rules, error codes and scopes.
func TestAPIRulesAndErrors(t *testing.T) {
	e := newAPIEnv(t)
	big := `{"ip":"` + strings.Repeat("1", 2<<20) + `"}`
	tests := []struct {
		name, method, path, scope, body string
		status                          int
		code, field                     string
	}{
		{"no token", "GET", "/api/v1/blacklist", "", "", 401, api.CodeUnauthorized, ""},
		{"bad token", "GET", "/api/v1/blacklist", "bogus", "", 401, api.CodeUnauthorized, ""},
		{"read lists", "GET", "/api/v1/blacklist", "read", "", 200, "", ""},
		{"read cannot add", "POST", "/api/v1/blacklist", "read", `{"ip":"45.9.9.9"}`, 403, api.CodeForbidden, ""},
		{"hunt cannot add", "POST", "/api/v1/blacklist", "hunt", `{"ip":"45.9.9.9"}`, 403, api.CodeForbidden, ""},
		{"write adds", "POST", "/api/v1/blacklist", "write", `{"ip":"45.9.9.9","reason":"honeypot"}`, 201, "", ""},
		{"again", "POST", "/api/v1/blacklist", "write", `{"ip":"45.9.9.9"}`, 409, api.CodeExists, ""},
		{"private", "POST", "/api/v1/blacklist", "write", `{"ip":"192.168.1.1"}`, 422, api.CodeProtected, ""},
		{"malformed address", "POST", "/api/v1/blacklist", "write", `{"ip":"1.2.3.400"}`, 400, api.CodeInvalid, "ip"},
		{"hostile address", "POST", "/api/v1/blacklist", "write", `{"ip":"1.2.3.4'; DROP TABLE blacklist; --"}`, 400, api.CodeInvalid, "ip"},
		{"wrong type", "POST", "/api/v1/blacklist", "write", `{"ip":12}`, 400, api.CodeInvalid, "ip"},
		{"unknown field", "POST", "/api/v1/blacklist", "write", `{"ip":"45.9.9.8","color":"red"}`, 400, api.CodeInvalid, "color"},
		{"malformed JSON", "POST", "/api/v1/blacklist", "write", `{"ip":`, 400, api.CodeInvalid, "body"},
		{"two objects", "POST", "/api/v1/blacklist", "write", `{"ip":"45.9.9.8"}{}`, 400, api.CodeInvalid, "body"},
		{"oversize body", "POST", "/api/v1/blacklist", "write", big, 413, api.CodeTooLarge, ""},
		{"reason too long", "POST", "/api/v1/blacklist", "write", `{"ip":"45.9.9.8","reason":"` + strings.Repeat("x", 300) + `"}`, 400, api.CodeInvalid, "reason"},
		{"not listed", "DELETE", "/api/v1/blacklist/45.1.2.3", "write", "", 404, api.CodeNotFound, ""},
		{"bad CIDR", "POST", "/api/v1/allowlist", "write", `{"cidr":"10.0.0.0/33"}`, 400, api.CodeInvalid, "cidr"},
		{"allow-list it", "POST", "/api/v1/allowlist", "write", `{"cidr":"45.8.0.0/16","note":"partner"}`, 201, "", ""},
		{"allow-listed refused", "POST", "/api/v1/blacklist", "write", `{"ip":"45.8.1.1"}`, 422, api.CodeProtected, ""},
		{"setting out of range", "PATCH", "/api/v1/settings", "write", `{"portscan.ports":0}`, 400, api.CodeInvalid, "portscan.ports"},
		{"unknown setting", "PATCH", "/api/v1/settings", "write", `{"portscan.colour":"red"}`, 400, api.CodeInvalid, "portscan.colour"},
		{"setting wrong type", "PATCH", "/api/v1/settings", "write", `{"portscan.ports":[1]}`, 400, api.CodeInvalid, "portscan.ports"},
		{"setting ok", "PATCH", "/api/v1/settings", "write", `{"portscan.ports":20,"system.enabled":true}`, 200, "", ""},
		{"read cannot set", "PATCH", "/api/v1/settings", "read", `{"portscan.ports":21}`, 403, api.CodeForbidden, ""},
		{"users need an admin", "GET", "/api/v1/users", "write", "", 403, api.CodeForbidden, ""},
		{"tokens need an admin", "POST", "/api/v1/tokens", "write", `{"name":"x","scope":"read"}`, 403, api.CodeForbidden, ""},
		{"no SQL over TCP", "POST", "/api/v1/sql", "write", `{"query":"SELECT 1"}`, 404, api.CodeNotFound, ""},
		{"no import over TCP", "POST", "/api/v1/import", "write", `{"path":"/etc/passwd","device":"x"}`, 404, api.CodeNotFound, ""},
		{"device outside the log dir", "POST", "/api/v1/devices", "write", `{"name":"fw9","path":"/etc/shadow"}`, 403, api.CodeForbidden, ""},
		{"device bad sender", "POST", "/api/v1/devices", "write", `{"name":"fw9","path":"/var/x","senders":["fw.example"]}`, 400, api.CodeInvalid, "senders"},
		{"feed file outside the log dir", "POST", "/api/v1/feeds", "write", `{"name":"f","url":"/etc/passwd"}`, 403, api.CodeForbidden, ""},
		{"feed bad interval", "POST", "/api/v1/feeds", "write", `{"name":"f","url":"https://example.org/x","interval":"1s"}`, 400, api.CodeInvalid, "interval"},
		{"feed reserved name", "POST", "/api/v1/feeds", "write", `{"name":"manual","url":"https://example.org/x"}`, 400, api.CodeInvalid, "name"},
		{"webhook bad URL", "POST", "/api/v1/webhooks", "write", `{"name":"w","url":"ftp://x"}`, 400, api.CodeInvalid, "url"},
		{"recipient bad address", "POST", "/api/v1/recipients", "write", `{"email":"not an address"}`, 400, api.CodeInvalid, "email"},
		{"detections bad action", "GET", "/api/v1/detections?action=exploded", "read", "", 400, api.CodeInvalid, "action"},
		{"backtest bad since", "POST", "/api/v1/detect/backtest", "write", `{"since":"forever"}`, 400, api.CodeInvalid, "since"},
		{"backtest bad override", "POST", "/api/v1/detect/backtest", "write", `{"since":"1d","set":{"sweep.hosts":"-1"}}`, 400, api.CodeInvalid, "sweep.hosts"},
		{"approve nothing", "POST", "/api/v1/detections/approve", "write", `{}`, 400, api.CodeInvalid, "ip"},
		{"unknown endpoint", "GET", "/api/v1/nope", "read", "", 404, api.CodeNotFound, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := e.do(tc.method, tc.path, tc.scope, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, body)
			}
			if tc.code == "" {
				return
			}
			var eb api.ErrorBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("not a JSON error: %.300s", body)
			}
			if eb.Error.Code != tc.code || eb.Error.Field != tc.field || eb.Error.Message == "" {
				t.Fatalf("error %+v, want code %s field %q", eb.Error, tc.code, tc.field)
			}
		})
	}
	// The write token's actor is in the audit trail.
	_, _, audit := e.do("GET", "/api/v1/audit", "read", "")
	if !strings.Contains(audit, `"actor":"token:t-write"`) {
		t.Fatalf("audit lacks the token: %.500s", audit)
	}
}

// TestEDLServing: format, headers, 200 when empty, 304, gzip, auth, source
// allowlist, cap and categories.
func TestEDLServing(t *testing.T) {
	e := newAPIEnv(t)
	status, hdr, body := e.do("GET", "/files/blacklist.txt", "", "")
	if status != 200 || body != "" || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") || hdr.Get("ETag") == "" {
		t.Fatalf("empty EDL: %d %v %q", status, hdr, body)
	}
	for _, ip := range []string{"45.9.9.9", "45.1.0.1", "2a01:4f8::7"} {
		if s, _, b := e.do("POST", "/api/v1/blacklist", "write", `{"ip":"`+ip+`"}`); s != 201 {
			t.Fatalf("add %s: %d %s", ip, s, b)
		}
	}
	want := "45.1.0.1\n45.9.9.9\n2a01:4f8::7\n"
	body = e.waitEDL("/files/blacklist.txt", want)
	_, hdr, _ = e.do("GET", "/edl/blacklist.txt", "", "")
	etag, lastMod := hdr.Get("ETag"), hdr.Get("Last-Modified")
	if s, _, b := e.do("GET", "/files/blacklist.txt", "", "", "If-None-Match", etag); s != 304 || b != "" {
		t.Fatalf("If-None-Match: %d %q", s, b)
	}
	if s, _, _ := e.do("GET", "/files/blacklist.txt", "", "", "If-Modified-Since", lastMod); s != 304 {
		t.Fatalf("If-Modified-Since: %d", s)
	}
	s, hdr, gz := e.do("GET", "/files/blacklist.txt", "", "", "Accept-Encoding", "gzip")
	if s != 200 || hdr.Get("Content-Encoding") != "gzip" || gunzip(t, gz) != want {
		t.Fatalf("gzip: %d %v", s, hdr)
	}
	if got := e.waitEDL("/edl/manual.txt", want); got != body {
		t.Fatalf("manual list %q", got)
	}
	if _, _, scan := e.do("GET", "/edl/scan.txt", "", ""); scan != "" {
		t.Fatalf("scan list holds manual entries: %q", scan)
	}
	if s, _, b := e.do("GET", "/edl/not-yet.txt", "", ""); s != 200 || b != "" {
		t.Fatalf("a list not built (yet): %d %q", s, b)
	}
	if s, _, _ := e.do("GET", "/edl/bad!name.txt", "", ""); s != 404 {
		t.Fatalf("an impossible list name: %d", s)
	}
	// Basic auth.
	e.set(`{"edl.user":"fw","edl.password":"poll-secret"}`)
	e.waitStatus("/files/blacklist.txt", 401)
	if s, _, b := e.do("GET", "/files/blacklist.txt", "", "", "Authorization", "Basic Znc6cG9sbC1zZWNyZXQ="); s != 200 || b != want {
		t.Fatalf("with credentials: %d %q", s, b)
	}
	if s, _, _ := e.do("GET", "/files/blacklist.txt", "", "", "Authorization", "Basic Znc6d3Jvbmc="); s != 401 {
		t.Fatalf("wrong password: %d", s)
	}
	e.set(`{"edl.user":"","edl.password":""}`)
	// Source allowlist (app.Test clients come from 0.0.0.0).
	e.set(`{"edl.allow":"10.0.0.0/8"}`)
	e.waitStatus("/files/blacklist.txt", 403)
	e.set(`{"edl.allow":"0.0.0.0/8"}`)
	e.waitStatus("/files/blacklist.txt", 200)
	// Cap: the most severe and most recent entries stay; the API says so.
	// Which two stay depends on the seconds the adds took (the most recent
	// wins; detect's unit test pins the order): two of the three.
	e.set(`{"edl.max_entries":2}`)
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, capped := e.do("GET", "/files/blacklist.txt", "", "")
		lines := strings.Fields(capped)
		if len(lines) == 2 && strings.Contains(want, lines[0]+"\n") && strings.Contains(want, lines[1]+"\n") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("capped list %q", capped)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, _, lists := e.do("GET", "/api/v1/edl", "read", "")
	if !strings.Contains(lists, `"name":"blacklist","path":"/edl/blacklist.txt","entries":2,"dropped":1`) {
		t.Fatalf("API does not show the cap: %s", lists)
	}
	// Poll tracking.
	_, _, clients := e.do("GET", "/api/v1/edl/clients", "read", "")
	if !strings.Contains(clients, `"client":"0.0.0.0","list":"blacklist"`) {
		t.Fatalf("polls not tracked: %s", clients)
	}
}

func (e *apiEnv) set(body string) {
	e.t.Helper()
	if s, _, b := e.do("PATCH", "/api/v1/settings", "write", body); s != 200 {
		e.t.Fatalf("settings %s: %d %s", body, s, b)
	}
}

// waitEDL waits up to 5s for the list at path to be want.
func (e *apiEnv) waitEDL(path, want string) string {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, body := e.do("GET", path, "", "")
		if body == want {
			return body
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s is %q, want %q", path, body, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *apiEnv) waitStatus(path string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, _, _ := e.do("GET", path, "", "")
		if s == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s answers %d, want %d", path, s, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func gunzip(t *testing.T, s string) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader([]byte(s)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
