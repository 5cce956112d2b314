package ui

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// pages are every GET page from the navigation, with a query where the
// page needs one.
var pages = []string{"/", "/?range=7d", "/dashboard/data", "/records", "/records?src=203.0.113.5&range=24h",
	"/blacklist", "/allowlist", "/detections", "/detections?action=held", "/settings", "/system", "/system/status",
	"/devices", "/devices/status", "/devices/rejected", "/hunt", "/audit", "/account", "/users", "/tokens"}

// writes are every state-changing route with a valid form.
var writes = []struct {
	path string
	form url.Values
}{
	{"/blacklist/add", url.Values{"ip": {"203.0.113.200"}, "reason": {"test"}}},
	{"/blacklist/remove", url.Values{"ip": {"198.51.100.99"}}},
	{"/allowlist/add", url.Values{"cidr": {"198.51.100.0/24"}}},
	{"/allowlist/remove", url.Values{"cidr": {"8.8.8.8"}}},
	{"/detections/decide", url.Values{"ip": {"198.51.100.99"}, "decision": {"approve"}}},
	{"/settings", url.Values{"portscan.ports": {"20"}}},
	{"/system/enabled", url.Values{"enabled": {"false"}}},
	{"/system/run", url.Values{}},
	{"/system/smtp", url.Values{"smtp.host": {"mail.example.net"}}},
	{"/system/smtp/test", url.Values{}},
	{"/system/recipients/add", url.Values{"email": {"a@example.net"}}},
	{"/system/recipients/remove", url.Values{"email": {"soc@example.net"}}},
	{"/system/webhooks/add", url.Values{"name": {"hook"}, "url": {"https://hooks.example.net/x"}}},
	{"/system/webhooks/remove", url.Values{"name": {"hook"}}},
	{"/system/feeds/add", url.Values{"feed_name": {"f"}, "feed_url": {"https://feeds.example.net/x"}}},
	{"/system/feeds/remove", url.Values{"feed_name": {"spamhaus"}}},
	{"/system/feeds/refresh", url.Values{}},
	{"/devices/save", url.Values{"name": {"fw9"}, "path": {"/var/log/Firewall/fw9.log"}}},
	{"/devices/remove", url.Values{"name": {"fw1"}}},
	{"/users/add", url.Values{"name": {"bob"}, "password": {"bob-password-1"}, "role": {"viewer"}}},
	{"/users/change", url.Values{"user": {"viewer"}, "role": {"admin"}}},
	{"/users/remove", url.Values{"user": {"viewer"}}},
	{"/tokens/add", url.Values{"name": {"script"}, "scope": {"read"}}},
	{"/tokens/remove", url.Values{"name": {"script"}}},
}

func TestEmbed(t *testing.T) {
	for _, p := range []string{"templates/layout.html", "templates/parts.html", "static/app.css", "static/app.js",
		"static/vendor/uplot/uPlot.iife.min.js", "static/vendor/uplot/uPlot.min.css", "static/vendor/uplot/LICENSE",
		"static/vendor/uplot/VERSION"} {
		if b, err := fs.ReadFile(files, p); err != nil || len(b) == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
	u := (&UI{})
	u.assets, _ = hashAssets()
	got, err := u.parseTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"login", "setup", "error", "account", "dashboard", "records", "record", "blacklist", "entry",
		"allowlist", "detections", "settings", "system", "devices", "rejected", "hunt", "audit", "users", "tokens"} {
		if got[name] == nil {
			t.Errorf("no template %s", name)
		}
	}
}

// TestLoggedOut: every page but login and setup sends visitors to the
// login page; every write without a session and token is refused.
func TestLoggedOut(t *testing.T) {
	e := newEnv(t, false)
	for _, p := range append(pages, "/records/view?ts=1", "/blacklist/view?ip=1.2.3.4", "/records.csv", "/no/such/page") {
		r := e.get(p, "")
		if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
			t.Errorf("GET %s logged out: %d %q", p, r.status, r.header.Get("Location"))
		}
	}
	must(t, e.get("/login", ""), 200, "Log in", `name="csrf"`)
	must(t, e.get("/static/app.css", ""), 200)
	if r := e.get("/setup", ""); r.status != http.StatusSeeOther {
		t.Errorf("setup without a setup token: %d", r.status)
	}
	for _, w := range append(writes, struct {
		path string
		form url.Values
	}{"/logout", url.Values{}}, struct {
		path string
		form url.Values
	}{"/login", url.Values{"name": {"admin"}, "password": {"x"}}}) {
		if r := e.req(http.MethodPost, w.path, "", w.form); r.status != http.StatusForbidden {
			t.Errorf("POST %s logged out without a token: %d", w.path, r.status)
		}
	}
	if r := e.get("/login?next=/records", ""); !strings.Contains(r.body, `value="/records"`) {
		t.Error("login does not keep where to go next")
	}
	if r := e.get("/login?next=//evil.example/x", ""); strings.Contains(r.body, "evil.example") {
		t.Error("login keeps an off-site next link")
	}
}

// TestCSRF: a write without its token is refused with 403 (never a
// redirect), with a wrong or another session's token too; with the token
// from a page it succeeds.
func TestCSRF(t *testing.T) {
	e := newEnv(t, true)
	form := url.Values{"cidr": {"198.51.100.0/24"}, "note": {"ours"}}
	for name, tok := range map[string]string{"none": "", "wrong": "abc", "other session's": e.csrf(e.viewer)} {
		f := url.Values{"cidr": form["cidr"]}
		if tok != "" {
			f.Set("csrf", tok)
		}
		r := e.req(http.MethodPost, "/allowlist/add", e.admin, f)
		if r.status != http.StatusForbidden || r.header.Get("Location") != "" || !strings.Contains(r.body, "CSRF") {
			t.Errorf("%s token: %d %q", name, r.status, r.header.Get("Location"))
		}
	}
	if es, _ := e.det.ListAllowlist(t.Context()); len(es) != 1 {
		t.Fatalf("refused writes changed the allowlist: %v", es)
	}
	r := e.post("/allowlist/add", e.admin, form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("with the token: %d %s", r.status, r.body)
	}
	if es, _ := e.det.ListAllowlist(t.Context()); len(es) != 2 {
		t.Fatalf("allowlist after the add: %v", es)
	}
	// The token also works as a header (fetch).
	req := url.Values{"cidr": {"192.0.2.0/24"}}
	r = e.req(http.MethodPost, "/allowlist/add", e.admin, req)
	if r.status != http.StatusForbidden {
		t.Fatalf("header-less: %d", r.status)
	}
}

// TestRoles: a viewer sees every page but users and tokens, and every
// write is refused without changing anything.
func TestRoles(t *testing.T) {
	e := newEnv(t, true)
	for _, p := range pages {
		want := http.StatusOK
		if p == "/users" || p == "/tokens" || p == "/hunt" {
			want = http.StatusForbidden
		}
		if r := e.get(p, e.viewer); r.status != want {
			t.Errorf("viewer GET %s: %d, want %d", p, r.status, want)
		}
		if r := e.get(p, e.admin); r.status != http.StatusOK {
			t.Errorf("admin GET %s: %d\n%.2000s", p, r.status, r.body)
		}
	}
	must(t, e.get("/hunt", e.hunter), 200, "Hunting console")
	if r := e.get("/", e.viewer); strings.Contains(r.body, `href="/users"`) || strings.Contains(r.body, `href="/hunt"`) {
		t.Error("viewer's navigation shows users or hunt")
	}
	before := e.det.set.Values().Map()
	for _, w := range writes {
		r := e.post(w.path, e.viewer, w.form)
		if r.status != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d", w.path, r.status)
		}
	}
	if after := e.det.set.Values().Map(); after["portscan.ports"] != before["portscan.ports"] || after["system.enabled"] != "true" {
		t.Errorf("a viewer changed settings: %v", after)
	}
	if es, _ := e.det.ListAllowlist(t.Context()); len(es) != 1 {
		t.Errorf("a viewer changed the allowlist: %v", es)
	}
	if r := e.get("/settings", e.viewer); !strings.Contains(r.body, "Viewers cannot change settings") || strings.Contains(r.body, "Save settings") {
		t.Error("viewer's settings page offers saving")
	}
	must(t, e.post("/hunt", e.viewer, url.Values{"sql": {"SELECT 1"}}), http.StatusForbidden)
	must(t, e.post("/hunt", e.hunter, url.Values{"sql": {"SELECT 41 + 1 AS answer"}}), 200, "answer", "42")
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, true)
	for _, p := range []string{"/login", "/", "/static/app.js"} {
		r := e.get(p, e.admin)
		csp := r.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s CSP %q", p, csp)
		}
		if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("Referrer-Policy") == "" ||
			r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s headers %v", p, r.header)
		}
	}
	for _, p := range []string{"/", "/records", "/settings", "/hunt", "/login"} {
		body := e.get(p, e.admin).body
		if strings.Contains(body, "<script>") || strings.Contains(body, " style=") || strings.Contains(body, "<style") ||
			strings.Contains(body, " onclick=") {
			t.Errorf("%s has inline script or style", p)
		}
	}
}
