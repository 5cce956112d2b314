package ui

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
)

var recordLinkRE = regexp.MustCompile(`href="(/records/view\?[^"]+)"`)

// TestSearchRecordBlacklist: search by source, open a record, blacklist
// its source, see it listed with its closed loop.
func TestSearchRecordBlacklist(t *testing.T) {
	e := newEnv(t, true)
	r := e.get("/records?src=203.0.113.5&range=24h", e.admin)
	must(t, r, 200, "203.0.113.5", "Export all matches as CSV")
	if strings.Contains(r.body, "203.0.113.6:") {
		t.Fatal("search by source shows another source")
	}
	m := recordLinkRE.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no record link:\n%.3000s", r.body)
	}
	link := html.UnescapeString(m[1])
	r = e.get(link, e.admin)
	must(t, r, 200, "All fields", "session_id", "Blacklist it", "203.0.113.5")
	key, _ := url.ParseQuery(strings.SplitN(link, "?", 2)[1])
	f := url.Values{"ip": {"203.0.113.5"}, "reason": {"seen scanning"}, "from": {"record"}}
	for k, v := range key {
		f[k] = v
	}
	r = e.post("/blacklist/add", e.admin, f)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/blacklist/view?ip=203.0.113.5") {
		t.Fatalf("blacklist it: %d %q %.2000s", r.status, r.header.Get("Location"), r.body)
	}
	r = e.get("/blacklist/view?ip=203.0.113.5", e.admin)
	must(t, r, 200, "Since it was listed", "seen scanning")
	must(t, e.get("/blacklist", e.admin), 200, "203.0.113.5", "Manual")
	// The same again is refused beside the address, on the record page.
	r = e.post("/blacklist/add", e.admin, f)
	must(t, r, http.StatusUnprocessableEntity, "All fields", "already listed")
	// A private address is refused with the reason.
	f.Set("ip", "10.1.2.3")
	must(t, e.post("/blacklist/add", e.admin, f), http.StatusUnprocessableEntity, "cannot be blocked", "not globally routable")

	// The closed loop of an entry with lines since listing.
	e.det.mu.Lock()
	old := e.det.bl[mustAddr("203.0.113.5")]
	old.Created = old.Created.Add(-24 * 3600e9)
	e.det.bl[old.IP] = old
	e.det.mu.Unlock()
	r = e.get("/blacklist/view?ip=203.0.113.5", e.admin)
	must(t, r, 200, "deny-edl", "ad-blacklist", "denied")
	r = e.get("/blacklist", e.admin)
	must(t, r, 200, "passed", "denied", "EDL ad-blacklist")
}

func TestRecordsCSV(t *testing.T) {
	e := newEnv(t, true)
	r := e.get("/records.csv?src=203.0.113.0/28&range=24h", e.admin)
	must(t, r, 200, "time_utc,device,type")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("content type %q", ct)
	}
	lines := strings.Split(strings.TrimSpace(r.body), "\n")
	if len(lines) != 1+16*25 { // 203.0.113.0-15 of 20 sources, 25 lines each
		t.Fatalf("%d CSV lines, want %d", len(lines), 1+16*25)
	}
	must(t, e.get("/records.csv?src=nonsense", e.admin), http.StatusUnprocessableEntity, "must be an IP address")
}

func TestRecordsFilters(t *testing.T) {
	e := newEnv(t, true)
	for _, tc := range []struct {
		query string
		rows  int
	}{
		{"src=203.0.113.5", 25},
		{"src=203.0.113.0/30&n=200", 100},
		{"dst=192.0.2.1&dport=22&n=200", 125},
		{"type=THREAT&severity=high&n=200", 126},
		{"type=THREAT&severity=critical&n=200", 125},
		{"action=allow&device=fw1&n=200", 84},
		{"threat=brute&n=200", 125},
		{"scountry=China&sport=40000", 1},
		{"rule=deny-edl&user=nobody", 0},
		{"range=custom&from=2000-01-01T00:00&to=2000-01-02T00:00", 0},
	} {
		r := e.get("/records?"+tc.query, e.admin)
		if r.status != 200 {
			t.Fatalf("%s: %d %.2000s", tc.query, r.status, r.body)
		}
		if n := len(recordLinkRE.FindAllString(r.body, -1)); n != min(tc.rows, 200) {
			t.Errorf("%s: %d rows, want %d", tc.query, n, tc.rows)
		}
	}
	r := e.get("/records", e.admin)
	must(t, r, 200, "older") // 501 lines: a next page
	must(t, e.get("/records?page=12", e.admin), 200, "No records match")
}

// TestValidationBesideField: refused values come back beside their field
// with 422, never a 500.
func TestValidationBesideField(t *testing.T) {
	e := newEnv(t, true)
	for _, tc := range []struct {
		path, field string
		form        url.Values
		msg         string
	}{
		{"/settings", "portscan.ports", url.Values{"portscan.ports": {"many"}}, "must be a whole number from 1 to 65535"},
		{"/settings", "detect.lookback", url.Values{"detect.lookback": {"1y"}}, "must be a duration"},
		{"/settings", "our.networks", url.Values{"our.networks": {"10.0.0.0/33"}}, "is not an address or CIDR"},
		{"/settings", "release.max_months", url.Values{"release.max_months": {"1"}, "release.months": {"3"}}, "must be at least"},
		{"/settings/backtest", "days", url.Values{"days": {"99"}}, "from 1 to 30"},
		{"/blacklist/add", "ip", url.Values{"ip": {"300.1.1.1"}}, "is not an IP address"},
		{"/allowlist/add", "cidr", url.Values{"cidr": {"1.2.3.4/99"}}, "not an address or CIDR"},
		{"/system/smtp", "smtp.from", url.Values{"smtp.from": {"not-an-email"}}, "is not an e-mail address"},
		{"/system/smtp", "smtp.port", url.Values{"smtp.port": {"70000"}}, "from 1 to 65535"},
		{"/system/recipients/add", "email", url.Values{"email": {"nobody"}}, "is not an e-mail address"},
		{"/system/webhooks/add", "url", url.Values{"name": {"h"}, "url": {"ftp://x"}}, "http or https"},
		{"/devices/save", "path", url.Values{"name": {"fw9"}, "path": {"/etc/shadow"}}, "must be a file under /var/log/Firewall"},
		{"/devices/save", "timezone", url.Values{"name": {"fw9"}, "path": {"/var/log/Firewall/a.log"}, "timezone": {"Mars/Base"}}, "IANA"},
		{"/devices/save", "name", url.Values{"name": {"fw1"}, "path": {"/var/log/Firewall/a.log"}}, "already exists"},
		{"/users/add", "password", url.Values{"name": {"bob"}, "password": {"short"}}, "at least 8"},
		{"/users/add", "name", url.Values{"name": {"bad name!"}, "password": {"long-enough-1"}}, "use 1-64"},
		{"/tokens/add", "scope", url.Values{"name": {"t"}, "scope": {"root"}}, "must be read, write or hunt"},
		{"/account/password", "current", url.Values{"current": {"wrong"}, "password": {"x"}}, "is not your current password"},
	} {
		t.Run(tc.path+" "+tc.field, func(t *testing.T) {
			r := e.post(tc.path, e.admin, tc.form)
			must(t, r, http.StatusUnprocessableEntity)
			// The message sits in the field's label, after its input.
			if got := besideField(r.body, tc.field); !strings.Contains(got, tc.msg) {
				t.Fatalf("beside %s: %q, want %q:\n%.6000s", tc.field, got, tc.msg, r.body)
			}
		})
	}
	must(t, e.get("/records?src=1.2.3&sport=x&severity=huge&range=custom&from=yesterday", e.admin), http.StatusUnprocessableEntity,
		"must be an IP address or a CIDR", "must be a port number", "must be one of informational", "must be a date and time")
}

// TestHostileInput sends quotes, script tags, SQL fragments, 100 KB values
// and wrong types to every field of every form and search: never a 500,
// never reflected unescaped.
func TestHostileInput(t *testing.T) {
	e := newEnv(t, true)
	payloads := []string{`"><script>alert(1)</script>`, `' OR '1'='1`, `1; DROP TABLE firewall_logs; --`,
		strings.Repeat("A", 100<<10), "-1", "1e99", "\x00\r\n", "../../etc/passwd", "{x:String}", "🙂"}
	fields := map[string][]string{}
	for _, w := range writes {
		for k := range w.form {
			fields[w.path] = append(fields[w.path], k)
		}
	}
	fields["/settings"] = append(fields["/settings"], "detect.mode", "smtp.password", "edl.allow", "unknown.key")
	fields["/settings/backtest"] = []string{"days", "portscan.minutes"}
	fields["/hunt"] = []string{"sql", "format"}
	fields["/account/password"] = []string{"current", "password", "password2"}
	for path, fs := range fields {
		for _, f := range fs {
			for _, p := range payloads {
				r := e.post(path, e.admin, url.Values{f: {p}})
				if r.status >= 500 || strings.Contains(r.body, "<script>alert(1)") {
					t.Errorf("POST %s %s=%.40q: %d %.300q", path, f, p, r.status, r.body)
				}
			}
		}
	}
	payloads[3] = strings.Repeat("A", 2000) // longer URLs are refused by the server's header limit
	for _, q := range []string{"src", "dst", "sport", "dport", "scountry", "dcountry", "user", "severity", "action", "type", "rule",
		"threat", "range", "from", "to", "page", "n", "at", "device"} {
		for _, p := range payloads {
			r := e.get("/records?"+q+"="+url.QueryEscape(p), e.admin)
			if r.status >= 500 || strings.Contains(r.body, "<script>alert(1)") {
				t.Errorf("GET /records %s=%.40q: %d", q, p, r.status)
			}
		}
	}
	for _, p := range []string{"/blacklist/view?ip=%3Cscript%3E", "/records/view?ts=abc", "/records/view?ts=1&src=x",
		"/detections?action=%27&ip=x", "/audit?range=x&q=%3Cscript%3Ealert(1)", "/?range=%3Cx", "/settings/describe?portscan.ports=-5",
		"/devices?edit=%3Cscript%3E", "/devices/rejected?device=%27", "/blacklist?q=%3Cscript%3Ealert(1)&state=x&page=-1"} {
		r := e.get(p, e.admin)
		if r.status >= 500 || strings.Contains(r.body, "<script>alert(1)") {
			t.Errorf("GET %s: %d %.300s", p, r.status, r.body)
		}
	}
	// A hostile value stored in the logs is shown escaped.
	r := e.get("/records?src=198.51.100.7", e.admin)
	must(t, r, 200, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
	if strings.Contains(r.body, hostileThreat) {
		t.Fatal("stored hostile value reflected unescaped")
	}
	for _, entry := range e.hook.AllEntries() {
		if entry.Level <= 2 { // error or worse
			t.Errorf("logged an error: %s %v", entry.Message, entry.Data)
		}
	}
}

// TestSettingsSentence: saving a threshold changes the sentence; the
// describe endpoint follows typed values; the backtest shows what the
// values would have listed.
func TestSettingsSentence(t *testing.T) {
	e := newEnv(t, true)
	must(t, e.get("/settings", e.admin), 200, "Block a source that reaches more than 15 ports on one host within 10 minutes.")
	r := e.post("/settings", e.admin, url.Values{"portscan.ports": {"25"}, "portscan.mode": {"monitor"}})
	must(t, e.follow(r, e.admin), 200, "Saved: portscan.ports, portscan.mode",
		"Record, without blocking (monitor mode), a source that reaches more than 25 ports")
	r = e.get("/settings/describe?sweep.hosts=40&sweep.minutes=5&vuln.level=2", e.admin)
	var d struct {
		Sentences map[string]string `json:"sentences"`
		Errors    map[string]string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(r.body), &d); err != nil {
		t.Fatal(err)
	}
	if d.Sentences["sweep"] != "Block a source that reaches more than 40 hosts on one port within 5 minutes." ||
		!strings.Contains(d.Sentences["vuln"], "critical or high") || len(d.Errors) != 0 {
		t.Fatalf("describe: %+v", d)
	}
	r = e.get("/settings/describe?portscan.ports=0", e.admin)
	if err := json.Unmarshal([]byte(r.body), &d); err != nil || d.Errors["portscan.ports"] == "" {
		t.Fatalf("describe with a bad value: %s", r.body)
	}
	must(t, e.post("/settings/backtest", e.admin, url.Values{"portscan.ports": {"5"}, "days": {"7"}}), 200,
		"Backtest: 1 address(es)", "203.0.113.50", "6 ports on 192.0.2.1", `value="5"`)
	if v := e.det.set.Values().Get(schema.PortscanPorts); v != "25" {
		t.Fatalf("backtest changed the setting to %s", v)
	}
}

func TestAdminPages(t *testing.T) {
	e := newEnv(t, true)
	must(t, e.get("/", e.admin), 200, "log lines", "Top attacking sources", "203.0.113.", "fw2", "silent")
	must(t, e.get("/?range=24h&part=1", e.admin), 200, "Top targeted ports", "3389")
	r := e.get("/dashboard/data?range=24h", e.admin)
	var charts map[string]chart
	if err := json.Unmarshal([]byte(r.body), &charts); err != nil || len(charts["events"].Series) != 3 {
		t.Fatalf("charts: %v %.500s", err, r.body)
	}
	var total float64
	for _, s := range charts["events"].Series {
		for _, v := range s.Values {
			total += v
		}
	}
	if total != 501 {
		t.Fatalf("events chart sums to %v, want 501", total)
	}
	must(t, e.get("/detections?action=held", e.admin), 200, "198.51.100.99", "Approve all")
	must(t, e.follow(e.post("/detections/decide", e.admin, url.Values{"ip": {"all"}, "decision": {"approve"}}), e.admin), 200,
		"Approved (now in the EDL): 1 held")
	must(t, e.get("/system", e.admin), 200, "Detection is", "last pulled 4 min ago", "spamhaus", "soc@example.net")
	e.det.mailErr = schema.Invalid("smtp.host", "dial tcp: connection refused")
	must(t, e.post("/system/smtp/test", e.admin, nil), http.StatusUnprocessableEntity, "connection refused")
	must(t, e.follow(e.post("/system/enabled", e.admin, url.Values{"enabled": {"false"}}), e.admin), 200,
		"Detection, expiry and feeds are off", "Detection is <strong class=\"warn\">off</strong>")
	testDeviceEdit(t, e)
	must(t, e.get("/audit", e.admin), 200, "system.enabled", "user:admin")
	r = e.post("/tokens/add", e.admin, url.Values{"name": {"script"}, "scope": {"hunt"}})
	must(t, r, 200, "will not be shown again", "adt_")
	if r = e.get("/tokens", e.admin); strings.Contains(r.body, "adt_") {
		t.Fatal("token secret shown again")
	}
	must(t, e.post("/users/add", e.admin, url.Values{"name": {"bob"}, "password": {"bob-password-1"}, "role": {"viewer"}}), http.StatusSeeOther)
	bob := e.session("bob")
	must(t, e.get("/", bob), 200)
	must(t, e.post("/users/remove", e.admin, url.Values{"user": {"bob"}}), http.StatusSeeOther)
	if r := e.get("/", bob); r.status != http.StatusSeeOther {
		t.Fatalf("a removed user's session still works: %d", r.status)
	}
	must(t, e.post("/users/remove", e.admin, url.Values{"user": {"admin"}}), http.StatusUnprocessableEntity, "cannot remove yourself")
}

func TestHunt(t *testing.T) {
	e := newEnv(t, true)
	must(t, e.get("/hunt", e.admin), 200, "src_ip6", "Examples")
	must(t, e.post("/hunt", e.admin, url.Values{"sql": {"SELECT src_ip, count() AS n FROM logs GROUP BY src_ip ORDER BY n DESC, src_ip LIMIT 3"}}),
		200, "3 row(s)", "203.0.113.0", "<th title=\"UInt64\">n</th>")
	must(t, e.post("/hunt", e.admin, url.Values{"sql": {"SELEC nonsense"}}), http.StatusUnprocessableEntity, "Syntax error")
	must(t, e.post("/hunt", e.admin, url.Values{"sql": {"DROP TABLE firewall_logs"}}), http.StatusUnprocessableEntity, "not read-only")
	r := e.post("/hunt", e.admin, url.Values{"sql": {"SELECT 1 AS a, 'x,y' AS b"}, "format": {"csv"}})
	must(t, r, 200, "\"a\",\"b\"\n1,\"x,y\"")
	if n, _ := schemaCount(e); n != 501 {
		t.Fatalf("logs after hunting: %d", n)
	}
}

// besideField returns the error text inside the label of a field's input.
func besideField(body, field string) string {
	for _, chunk := range strings.Split(body, "<label")[1:] {
		chunk, _, _ = strings.Cut(chunk, "</label>")
		if !strings.Contains(chunk, `name="`+field+`"`) || !strings.Contains(chunk, "invalid") {
			continue
		}
		if _, after, ok := strings.Cut(chunk, `class="field-error"`); ok {
			_, after, _ = strings.Cut(after, ">")
			msg, _, _ := strings.Cut(after, "<")
			return html.UnescapeString(msg)
		}
	}
	return ""
}

func schemaCount(e *env) (uint64, error) {
	return schema.Count(e.t.Context(), e.st, "SELECT count() FROM firewall_logs", nil)
}

// TestLoginThrottleSetup: the setup page creates the first admin once;
// login sets a hardened cookie; failures are throttled per user.
func TestLoginThrottleSetup(t *testing.T) {
	e := newEnv(t, false)
	e.setup = "setup-token-123"
	r := e.get("/login", "")
	must(t, r, 200, "the setup page")
	pre := preCookieOf(t, r)
	post := func(path string, f url.Values) resp {
		f.Set("csrf", tokenFor("pre:"+pre))
		return e.reqCookie(path, f, "ad_pre", pre)
	}
	must(t, post("/setup", url.Values{"token": {"wrong"}, "name": {"root"}, "password": {"root-password"}, "password2": {"root-password"}}),
		http.StatusUnprocessableEntity, "is not the setup token")
	r = post("/setup", url.Values{"token": {"setup-token-123"}, "name": {"root"}, "password": {"root-password"}, "password2": {"root-password"}})
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Set-Cookie"), auth.CookieName(false)) {
		t.Fatalf("setup: %d %v", r.status, r.header)
	}
	e.setup = ""
	if r := e.get("/setup", ""); r.status != http.StatusSeeOther {
		t.Fatalf("setup page still open: %d", r.status)
	}
	// Throttling, on a user with a cheap hash.
	if err := schema.AddUser(t.Context(), e.st, schema.User{Name: "alice", Role: schema.RoleAdmin, PasswordHash: cheapHash("alice-password")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		must(t, post("/login", url.Values{"name": {"alice"}, "password": {"wrong-password"}}), http.StatusUnauthorized, "Wrong user name or password")
	}
	must(t, post("/login", url.Values{"name": {"alice"}, "password": {"alice-password"}}), http.StatusTooManyRequests, "Too many failed logins")
	e.ui.throttle = newThrottle()
	r = post("/login", url.Values{"name": {"alice"}, "password": {"alice-password"}, "next": {"/records"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/records" {
		t.Fatalf("login: %d %q", r.status, r.header.Get("Location"))
	}
	var sess string
	for _, v := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, auth.CookieName(false)+"=") {
			sess = strings.ToLower(v)
		}
	}
	if !strings.Contains(sess, "httponly") || !strings.Contains(sess, "samesite=lax") {
		t.Fatalf("session cookie %q", sess)
	}
	// Per address: twenty failures from one address block every user.
	e.ui.throttle = newThrottle()
	for i := 0; i < maxFailsPerAddr; i++ {
		e.ui.throttle.fail(time.Now(), fmt.Sprintf("u%d", i), "0.0.0.0")
	}
	must(t, post("/login", url.Values{"name": {"alice"}, "password": {"alice-password"}}), http.StatusTooManyRequests)
}

func preCookieOf(t *testing.T, r resp) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "ad_pre" {
			return c.Value
		}
	}
	t.Fatal("no pre-session cookie")
	return ""
}

// reqCookie posts a form with one cookie.
func (e *env) reqCookie(path string, f url.Values, name, value string) resp {
	e.t.Helper()
	r := httptestForm(path, f)
	r.AddCookie(&http.Cookie{Name: name, Value: value})
	res, err := e.app.Test(r, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	return readResp(res)
}

// testDeviceEdit: the edit form keeps the name; a change is one
// ChangeDevice call; refused values, a rename and a device gone are shown
// on the form and leave the device as it was.
func testDeviceEdit(t *testing.T, e *env) {
	t.Helper()
	must(t, e.get("/devices?edit=fw1", e.admin), 200, "Change fw1", `name="original" value="fw1"`, `value="fw1" readonly`)
	must(t, e.follow(e.post("/devices/save", e.admin, url.Values{"original": {"fw1"}, "name": {"fw1"},
		"path": {"/var/log/Firewall/fw1b.log"}, "timezone": {"Europe/Berlin"}, "senders": {"192.0.2.7, 192.0.2.8"}}), e.admin),
		200, "Device fw1 changed.", "fw1b.log", "Europe/Berlin", "192.0.2.7, 192.0.2.8")
	e.devs.mu.Lock()
	changes, devs := e.devs.changes, e.devs.devs
	e.devs.mu.Unlock()
	if changes != 1 || len(devs) != 2 || devs[0].Name != "fw1" || devs[0].Lines != 500 {
		t.Fatalf("the change was not one update in place: %d changes, %+v", changes, devs)
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"original": {"fw1"}, "name": {"fw1"}, "path": {"/etc/passwd"}}, "must be a file under"},
		{url.Values{"original": {"fw1"}, "name": {"fw1"}, "path": {"/var/log/Firewall/x.log"}, "timezone": {"Mars/Base"}}, "IANA"},
		{url.Values{"original": {"fw1"}, "name": {"fw2"}, "path": {"/var/log/Firewall/x.log"}}, "cannot be renamed"},
		{url.Values{"original": {"fw9"}, "name": {"fw9"}, "path": {"/var/log/Firewall/x.log"}}, "device fw9: not found"},
	} {
		must(t, e.post("/devices/save", e.admin, tc.form), http.StatusUnprocessableEntity, tc.want)
	}
	must(t, e.get("/devices", e.admin), 200, "fw1b.log", "Europe/Berlin")
	e.devs.mu.Lock()
	defer e.devs.mu.Unlock()
	if e.devs.changes != 1 {
		t.Fatalf("refused changes were made: %d changes", e.devs.changes)
	}
}
