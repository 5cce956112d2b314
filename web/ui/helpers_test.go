package ui

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
	"golang.org/x/crypto/bcrypt"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
	"github.com/activedefense/activedefense/web/auth"
)

func TestMain(m *testing.M) { chembedtest.VerifyMain(m) }

// Passwords of the test users.
const (
	adminPW  = "admin-password-1"
	viewerPW = "viewer-password-1"
)

// env is the web application on a real store with fake operations.
type env struct {
	t      *testing.T
	st     schema.Store
	ui     *UI
	app    *fiber.App
	det    *fakeDetect
	devs   *fakeDevices
	hook   *test.Hook
	setup  string // the setup token ("" once a user exists)
	admin  string // session ids
	viewer string
	hunter string
	tokens map[string]string // CSRF token by session
}

// newEnv builds the application with an admin, a viewer and a viewer with
// the hunt right, logged in, and 500 log lines (plus hostile ones).
func newEnv(t *testing.T, withUsers bool) *env {
	t.Helper()
	st := chembedtest.Open(t)
	ctx := context.Background()
	if _, err := schema.Migrate(ctx, st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	set := schema.NewSettings(st, schema.NewKeyring([]byte("0123456789abcdef0123456789abcdef")))
	if err := set.Load(ctx); err != nil {
		t.Fatal(err)
	}
	log, hook := test.NewNullLogger()
	e := &env{t: t, st: st, det: newFakeDetect(set), devs: &fakeDevices{}, hook: hook, tokens: map[string]string{}}
	e.devs.devs = []schema.DeviceStatus{{Name: "fw1", Path: "/var/log/Firewall/fw1.log", State: "following", Lines: 500,
		Size: 123456, Offset: 123456, Newest: time.Now().Add(-time.Minute), LastLine: time.Now().Add(-time.Minute)},
		{Name: "fw2", Path: "/var/log/Firewall/fw2.log", State: "following", Silent: true, Newest: time.Now().Add(-2 * time.Hour)}}
	users, sessions := auth.NewUsers(st), auth.NewSessions(st)
	hunt, _ := st.(schema.RawQuerier)
	u, err := New(Config{LogDir: "/var/log/Firewall", Version: "test"}, Deps{Store: st, Hunt: hunt, Detect: e.det, Devices: e.devs,
		Jobs: fakeJobs{}, EDL: fakeEDL{}, Users: users, Sessions: sessions, Tokens: auth.NewTokens(st),
		SetupToken: func() string { return e.setup }}, logrus.NewEntry(log))
	if err != nil {
		t.Fatal(err)
	}
	e.ui = u
	e.app = fiber.New(fiber.Config{ErrorHandler: u.ErrorHandler, DisableStartupMessage: true})
	u.Register(e.app)
	seedLogs(t, st)
	if withUsers {
		// Stored directly with cheap hashes (the cost is part of the hash,
		// so Users.Check verifies them as any other): bcrypt at the real cost
		// takes seconds under -race.
		for _, x := range []schema.User{{Name: "admin", Role: schema.RoleAdmin, PasswordHash: cheapHash(adminPW)},
			{Name: "viewer", Role: schema.RoleViewer, PasswordHash: cheapHash(viewerPW)},
			{Name: "hunter", Role: schema.RoleViewer, Hunt: true, PasswordHash: cheapHash(viewerPW)}} {
			if err := schema.AddUser(ctx, st, x); err != nil {
				t.Fatal(err)
			}
		}
		e.admin, e.viewer, e.hunter = e.session("admin"), e.session("viewer"), e.session("hunter")
	}
	return e
}

var (
	hashMu sync.Mutex
	hashes = map[string]string{}
)

// cheapHash is a bcrypt hash of pw at the lowest cost, made once.
func cheapHash(pw string) string {
	hashMu.Lock()
	defer hashMu.Unlock()
	if h, ok := hashes[pw]; ok {
		return h
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		panic(err)
	}
	hashes[pw] = string(h)
	return hashes[pw]
}

func (e *env) session(user string) string {
	id, _, err := e.ui.d.Sessions.Create(context.Background(), user)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// hostileThreat is a stored value that must come back escaped.
const hostileThreat = `<script>alert("x")</script>' OR 1=1; DROP TABLE firewall_logs --`

// seedLogs stores 500 lines over the last ~8 hours from 20 sources, and
// one line with a hostile threat name.
func seedLogs(t *testing.T, st schema.Store) {
	t.Helper()
	err := st.Exec(context.Background(), `INSERT INTO firewall_logs (ts, device, type, subtype, src_ip, dst_ip, src_port, dst_port,
  src_country, dst_country, src_user, app, action, rule, threat_name, severity, session_id, src_edl)
SELECT now() - number * 60, if(number % 2 = 0, 'fw1', 'fw2'), if(number % 4 = 0, 'THREAT', 'TRAFFIC'), if(number % 4 = 0, 'vulnerability', 'end'),
  toIPv6(concat('203.0.113.', toString(number % 20))), toIPv6('192.0.2.1'), 40000 + number, [22, 80, 443, 3389][number % 4 + 1],
  'China', 'Germany', '', 'ssh', if(number % 3 = 0, 'allow', 'deny'), 'deny-edl', if(number % 4 = 0, 'SSH Brute Force', ''),
  if(number % 4 = 0, 'critical', ''), number, if(number % 3 = 0, '', 'ad-blacklist')
FROM numbers(500)`, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = st.Exec(context.Background(), `INSERT INTO firewall_logs (ts, device, type, src_ip, dst_ip, dst_port, action, threat_name, severity, rule)
SELECT now() - 30, 'fw1', 'THREAT', toIPv6('198.51.100.7'), toIPv6('192.0.2.2'), 443, 'alert', {t:String}, 'high', {t:String}`,
		schema.Params{"t": hostileThreat})
	if err != nil {
		t.Fatal(err)
	}
}

type resp struct {
	status int
	body   string
	header http.Header
}

// req sends a request as the session (or logged out with ""), with form
// values for POST.
func (e *env) req(method, path, session string, form url.Values) resp {
	e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if session != "" {
		r.AddCookie(&http.Cookie{Name: auth.CookieName(false), Value: session})
	}
	res, err := e.app.Test(r, -1)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return readResp(res)
}

// follow gets a redirect's target as a browser would, with the cookies
// the redirect set (the flash message).
func (e *env) follow(r resp, session string) resp {
	e.t.Helper()
	loc := r.header.Get("Location")
	if r.status != http.StatusSeeOther || loc == "" {
		e.t.Fatalf("not a redirect: %d %.2000s", r.status, r.body)
	}
	req := httptest.NewRequest(http.MethodGet, loc, nil)
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		req.AddCookie(c)
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName(false), Value: session})
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(res)
}

func readResp(res *http.Response) resp {
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return resp{status: res.StatusCode, body: string(b), header: res.Header}
}

func httptestForm(path string, f url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(f.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

func (e *env) get(path, session string) resp { return e.req(http.MethodGet, path, session, nil) }

// post sends a form with the session's CSRF token, read from a page as a
// browser would.
func (e *env) post(path, session string, form url.Values) resp {
	e.t.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	f.Set("csrf", e.csrf(session))
	return e.req(http.MethodPost, path, session, f)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token from the account page (once per session: it
// is derived from the session).
func (e *env) csrf(session string) string {
	e.t.Helper()
	if tok, ok := e.tokens[session]; ok {
		return tok
	}
	r := e.get("/account", session)
	m := csrfRE.FindStringSubmatch(r.body)
	if m == nil {
		e.t.Fatalf("no CSRF token on /account (%d)", r.status)
	}
	e.tokens[session] = m[1]
	return m[1]
}

func must(t *testing.T, r resp, status int, contains ...string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%.1500s", r.status, status, r.body)
	}
	for _, s := range contains {
		if !strings.Contains(r.body, s) {
			t.Fatalf("body lacks %.100q:\n%.3000s", s, r.body)
		}
	}
}
