package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/activedefense/activedefense/web/ui/uitest"
)

// The browser test drives Debian's chromium headless through chromedp
// against the real binary, as a person would. Screenshots of every page go
// to $AD_ARTIFACTS/e2e-browser when set, else to a temporary directory
// named in the test log.

const (
	e2eAdminPW  = "admin password 1"
	e2eViewerPW = "viewer password 1"
	manualIP    = "45.20.20.20" // below every threshold: listed only by hand
)

// TestBrowserEndToEnd: serve with a followed firewall file, an admin and a
// viewer made with `user add`; in chromium the admin logs in, searches the
// records by source address, opens one and blacklists it (the address
// reaches /files/blacklist.txt), changes a threshold and sees the sentence
// follow, changes a device, runs a console query, and crawls every page of
// the navigation with no error status and no console error; the viewer's
// change is refused.
func TestBrowserEndToEnd(t *testing.T) {
	needEngine(t)
	bctx := uitest.Browser(t)
	start := time.Now()
	dir, logs := t.TempDir(), t.TempDir()
	srv := startServe(t, dir, "--log-dir", logs)
	s := newScenario(12)
	base := time.Now().UTC().Add(-30 * time.Minute)
	s.noise(base, 200)
	s.scan(base, 5*time.Minute, "45.1.1.1", "198.18.0.10", 20)
	s.scan(base, 5*time.Minute, manualIP, "198.18.0.10", 8)
	s.threat(base.Add(time.Minute), "45.3.3.1", "vulnerability", "critical")
	file := filepath.Join(logs, "fw1.log")
	if err := os.WriteFile(file, []byte(s.text()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustCLI(t, dir, "", "device", "add", "fw1", file, "--timezone", "UTC", "--sender", "192.0.2.1")
	mustCLI(t, dir, e2eAdminPW+"\n", "user", "add", "ada", "--role", "admin")
	mustCLI(t, dir, e2eViewerPW+"\n", "user", "add", "vic", "--role", "viewer")
	waitRows(t, dir, len(s.lines))
	mustCLI(t, dir, "", "detect")

	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	b := &tab{t: t, ctx: ctx, base: srv.url, w: uitest.Watch(t, ctx), shots: uitest.Artifacts(t, "e2e-browser")}
	b.login("ada", e2eAdminPW)
	record := b.searchAndBlacklist()
	waitEDL(t, srv.url+"/files/blacklist.txt", []string{manualIP, "45.1.1.1", "45.3.3.1"}, nil)
	b.changeThreshold()
	if v := mustCLI(t, dir, "", "settings", "show"); !regexp.MustCompile(`(?m)^portscan\.ports\s+33\b`).MatchString(v) {
		t.Fatalf("portscan.ports not saved:\n%s", v)
	}
	b.editDevice()
	if a := mustCLI(t, dir, "", "audit", "list"); !strings.Contains(a, "senders 192.0.2.1,192.0.2.9") {
		t.Fatalf("the device change is not in the audit trail:\n%s", a)
	}
	b.console("SELECT count() AS lines FROM logs", fmt.Sprint(len(s.lines)))
	b.crawl(record, "/blacklist/view?ip="+manualIP, "/blacklist/view?ip=45.1.1.1", "/devices?edit=fw1", "/devices/rejected")
	b.logout()
	b.login("vic", e2eViewerPW)
	b.viewerRefused(record)
	if v := mustCLI(t, dir, "", "settings", "show"); !regexp.MustCompile(`(?m)^portscan\.ports\s+33\b`).MatchString(v) {
		t.Fatalf("the viewer changed portscan.ports:\n%s", v)
	}
	srv.stop(t)
	t.Logf("browser end-to-end test took %s after chromium started", time.Since(start).Round(time.Millisecond))
}

// tab is the browser tab and the server it talks to.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	w     *uitest.Watcher
	shots string
}

func css(s string) chromedp.CSS { return chromedp.CSS(s) }

func (b *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(css(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func evalIn[T any](b *tab, js string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		b.t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// clean fails the test with what the tab recorded since the last call.
func (b *tab) clean(where string) {
	b.t.Helper()
	for _, p := range b.w.Take() {
		b.t.Errorf("%s: %s", where, p)
	}
}

// login goes to the dashboard, is sent to the login form, and fills it in.
func (b *tab) login(name, pw string) {
	b.t.Helper()
	b.do("log in as "+name, chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(css(`input[name="password"]`)),
		chromedp.SendKeys(css(`input[name="name"]`), name), chromedp.SendKeys(css(`input[name="password"]`), pw),
		chromedp.Submit(css(`input[name="password"]`)), chromedp.WaitVisible(css(`nav[aria-label="Main"]`)))
	if me := b.text(".me a"); me != name {
		b.t.Fatalf("logged in as %q, want %s", me, name)
	}
	b.clean("login")
}

func (b *tab) logout() {
	b.t.Helper()
	b.do("log out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`input[name="password"]`)))
	b.clean("logout")
}

// searchAndBlacklist searches the records by source address with the
// search form, opens the first record, blacklists its source and returns
// the record's path.
func (b *tab) searchAndBlacklist() string {
	b.t.Helper()
	b.do("search by source", chromedp.Navigate(b.base+"/records"), chromedp.WaitVisible(css(`form.filters input[name="src"]`)),
		chromedp.SendKeys(css(`form.filters input[name="src"]`), manualIP), chromedp.Click(css(`form.filters .actions button`)))
	// The unfiltered page already has records: wait for the search's page.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		if strings.Contains(loc, "src="+manualIP) {
			break
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("the search is not in the address: %s", loc)
		}
	}
	b.do("search results", chromedp.WaitVisible(css(`table.data tbody a`)))
	srcs := evalIn[[]string](b, `Array.from(document.querySelectorAll("table.data tbody td:nth-child(4)")).map(td => td.textContent)`)
	if len(srcs) != 8 {
		b.t.Fatalf("search by %s found %d records, want 8: %v", manualIP, len(srcs), srcs)
	}
	for _, s := range srcs {
		if !strings.HasPrefix(s, manualIP+":") {
			b.t.Fatalf("record from %s in a search for %s", s, manualIP)
		}
	}
	record := evalIn[string](b, `document.querySelector("table.data tbody a").getAttribute("href")`)
	b.do("open a record", chromedp.Click(css(`table.data tbody a`)), chromedp.WaitVisible(css(`form[action="/blacklist/add"] button`)))
	if ip := evalIn[string](b, `document.querySelector('input[name="ip"]').value`); ip != manualIP {
		b.t.Fatalf("record detail offers to blacklist %q", ip)
	}
	b.do("blacklist it", chromedp.Click(css(`form[action="/blacklist/add"] button`)), chromedp.WaitVisible(css(`.flash`)))
	if f := b.text(".flash"); !strings.Contains(f, manualIP+" is blacklisted") {
		b.t.Fatalf("after blacklisting: %q", f)
	}
	b.clean("search and blacklist")
	return record
}

// changeThreshold types a port-scan threshold, sees the sentence follow,
// and saves it.
func (b *tab) changeThreshold() {
	b.t.Helper()
	const sentence = `.sentence[data-case="portscan"]`
	b.do("open settings", chromedp.Navigate(b.base+"/settings"), chromedp.WaitVisible(css(`input[name="portscan.ports"]`)))
	if s := b.text(sentence); !strings.Contains(s, "more than 15 ports") {
		b.t.Fatalf("default sentence: %q", s)
	}
	evalIn[bool](b, `(document.querySelector('input[name="portscan.ports"]').value = "", true)`)
	b.do("type a threshold", chromedp.SendKeys(css(`input[name="portscan.ports"]`), "33"))
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](`document.querySelector('`+sentence+`').textContent.includes("33 ports")`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		b.t.Fatalf("the sentence did not follow the typed value: %v (%q)", err, b.text(sentence))
	}
	b.do("save", chromedp.Click(css(`#settings-form > button`)), chromedp.WaitVisible(css(`.flash`)))
	if s := b.text(sentence); !strings.Contains(s, "more than 33 ports") {
		b.t.Fatalf("sentence after saving: %q", s)
	}
	b.clean("settings")
}

// editDevice adds a sender address to fw1 on its edit form; the name
// cannot be edited.
func (b *tab) editDevice() {
	b.t.Helper()
	b.do("edit a device", chromedp.Navigate(b.base+"/devices?edit=fw1"), chromedp.WaitVisible(css(`input[name="senders"]`)))
	if !evalIn[bool](b, `document.querySelector('form[action="/devices/save"] input[name="name"]').readOnly`) {
		b.t.Fatal("a device's name is editable")
	}
	b.do("save the device", chromedp.SetValue(css(`input[name="senders"]`), "192.0.2.1, 192.0.2.9"),
		chromedp.Click(css(`form[action="/devices/save"] button`)), chromedp.WaitVisible(css(`.flash`)))
	if f, row := b.text(".flash"), b.text("table.data tbody"); !strings.Contains(f, "Device fw1 changed") || !strings.Contains(row, "192.0.2.9") {
		b.t.Fatalf("after changing the device: %q, %q", f, row)
	}
	b.clean("device edit")
}

// console runs a query in the hunting console and wants its one cell.
func (b *tab) console(sql, want string) {
	b.t.Helper()
	b.do("console", chromedp.Navigate(b.base+"/hunt"), chromedp.SetValue(css(`#sql`), sql),
		chromedp.Click(css(`form[action="/hunt"] button:not([name])`)), chromedp.WaitVisible(css(`table.data td`)))
	if cell := b.text("table.data td"); cell != want {
		b.t.Fatalf("console: %s gave %q, want %s", sql, cell, want)
	}
	b.clean("console")
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// crawl visits every link of the header, then extra pages, wanting 200,
// no console error, and a screenshot of each.
func (b *tab) crawl(extra ...string) {
	b.t.Helper()
	b.do("dashboard", chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(css(`.chart canvas`)))
	links := evalIn[[]string](b, `Array.from(document.querySelectorAll("header a")).map(a => a.getAttribute("href"))`)
	if len(links) < 12 {
		b.t.Fatalf("navigation links: %v", links)
	}
	seen := map[string]bool{}
	for _, p := range append(links, extra...) {
		if seen[p] {
			continue
		}
		seen[p] = true
		resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+p))
		if err != nil {
			b.t.Fatalf("visit %s: %v", p, err)
		}
		if resp.Status != 200 {
			b.t.Errorf("%s answered %d", p, resp.Status)
		}
		b.do("wait for "+p, chromedp.WaitReady(css("footer")), chromedp.Sleep(150*time.Millisecond))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatal(err)
		}
		first, _, _ := strings.Cut(p, "&") // a record's first key field is enough of a name
		name := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(first), "-"), "-")
		if name == "" {
			name = "dashboard"
		}
		if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
		b.clean(p)
	}
}

// viewerRefused: a viewer sees no way to change anything, and a change
// posted with the viewer's own valid CSRF token is refused with 403.
func (b *tab) viewerRefused(record string) {
	b.t.Helper()
	b.do("viewer opens a record", chromedp.Navigate(b.base+record), chromedp.WaitReady(css("footer")))
	if evalIn[bool](b, `document.querySelector('form[action="/blacklist/add"]') !== null`) {
		b.t.Fatal("a viewer is offered \"Blacklist it\"")
	}
	b.do("viewer opens settings", chromedp.Navigate(b.base+"/settings"), chromedp.WaitVisible(css(`input[name="portscan.ports"]`)))
	if evalIn[bool](b, `document.querySelector("#settings-form > button") !== null`) {
		b.t.Fatal("a viewer is offered to save settings")
	}
	status := evalIn[int](b, `(() => {
		const f = new FormData(document.getElementById("settings-form"));
		f.set("portscan.ports", "40");
		return fetch("/settings", {method: "POST", body: new URLSearchParams(f)}).then(r => r.status);
	})()`, chromedp.EvalAwaitPromise)
	if status != 403 {
		b.t.Fatalf("a viewer's settings change answered %d, want 403", status)
	}
	if p := b.w.Take(); !strings.Contains(strings.Join(p, "\n"), "/settings answered 403") {
		b.t.Fatalf("the refused change was not seen by the browser: %v", p)
	}
}
