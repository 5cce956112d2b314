package ui

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/activedefense/activedefense/web/ui/uitest"
)

// Browser tests drive Debian's chromium headless through chromedp against
// the pages served on a real 127.0.0.1 listener. Screenshots of every page
// (laptop and phone sizes) go to $AD_ARTIFACTS/web-ui when set, else to
// the test's temporary directory (its path is logged).

// serve runs the app on a 127.0.0.1 listener until the test ends.
func serve(t *testing.T, e *env) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- e.app.Listener(ln) }()
	t.Cleanup(func() {
		_ = e.app.ShutdownWithTimeout(5 * time.Second)
		<-done
	})
	return "http://" + ln.Addr().String()
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// TestBrowser logs in through the login form as an admin, crawls every
// page reachable from the navigation (and the detail pages they link to)
// with no error status and no console error (CSP violations are console
// errors), takes screenshots at laptop and phone sizes, and uses the pages
// as a person would: search, open a record, blacklist it, change a
// threshold and watch the sentence, run a console query, log out.
func TestBrowser(t *testing.T) {
	bctx := uitest.Browser(t)
	e := newEnv(t, true)
	base := serve(t, e)
	dir := uitest.Artifacts(t, "web-ui")
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	w := uitest.Watch(t, ctx)
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do("log in", chromedp.Navigate(base+"/records?src=203.0.113.5"),
		chromedp.WaitVisible(css(`input[name="name"]`)), chromedp.SendKeys(css(`input[name="name"]`), "admin"),
		chromedp.SendKeys(css(`input[name="password"]`), adminPW), chromedp.Submit(css(`input[name="password"]`)),
		chromedp.WaitVisible(css(`table.data`)))
	if loc := location(); !strings.HasSuffix(loc, "/records?src=203.0.113.5") {
		t.Fatalf("after login at %s, want the page asked for", loc)
	}

	do("dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(css(`.chart canvas`)))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("header a")).map(a => a.getAttribute("href"))`))
	if err != nil || len(links) < 12 {
		t.Fatalf("navigation links: %v %v", links, err)
	}
	do("records", chromedp.Navigate(base+"/records?range=24h"), chromedp.WaitVisible(css(`table.data`)))
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("table.data a").getAttribute("href")`))
	if err != nil || !strings.HasPrefix(first, "/records/view?") {
		t.Fatalf("first record link %q: %v", first, err)
	}
	seen := map[string]bool{}
	for _, p := range append(links, first, "/blacklist/view?ip=198.51.100.99", "/devices/rejected", "/devices?edit=fw1",
		"/detections?action=held", "/?range=7d") {
		if seen[p] {
			continue
		}
		seen[p] = true
		name := strings.Trim(unsafeName.ReplaceAllString(strings.ToLower(p), "-"), "-")
		if name == "" {
			name = "dashboard"
		}
		for _, size := range []struct {
			name string
			w, h int64
		}{{"laptop", 1280, 900}, {"phone", 390, 844}} {
			do("visit "+p, chromedp.EmulateViewport(size.w, size.h), chromedp.Navigate(base+p),
				chromedp.WaitReady(css("footer")), chromedp.Sleep(150*time.Millisecond))
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, size.name)), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, pr := range w.Take() {
			t.Errorf("%s: %s", p, pr)
		}
	}

	// Blacklist the source of a record, then find it on the blacklist.
	do("blacklist it", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+first),
		chromedp.WaitVisible(css(`input[name="reason"]`)), chromedp.Click(css(`form[action="/blacklist/add"] button`)),
		chromedp.WaitVisible(css(`.flash`)))
	if f := text(".flash"); !strings.Contains(f, "is blacklisted") {
		t.Fatalf("after blacklisting: %q", f)
	}
	do("blacklist", chromedp.Navigate(base+"/blacklist"), chromedp.WaitVisible(css("table.data")))
	if listed := text("table.data tbody"); !strings.Contains(listed, "203.0.113.") || !strings.Contains(listed, "Manual") {
		t.Fatalf("blacklist page: %q", listed)
	}

	// The sentence follows a threshold as it is typed; saving keeps it.
	do("open settings", chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(css(`input[name="portscan.ports"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(document.querySelector('input[name="portscan.ports"]').value = "", true)`)); err != nil {
		t.Fatal(err)
	}
	do("type a threshold", chromedp.SendKeys(css(`input[name="portscan.ports"]`), "33"))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector(".sentence[data-case=portscan]").textContent.includes("33 ports")`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("sentence did not follow the typed value: %v (%q)", err, text(`.sentence[data-case="portscan"]`))
	}
	do("save", chromedp.Click(css(`#settings-form > button`)), chromedp.WaitVisible(css(`.flash`)))
	if s := text(`.sentence[data-case="portscan"]`); !strings.Contains(s, "more than 33 ports") {
		t.Fatalf("sentence after saving: %q", s)
	}

	// The console runs a query and shows the table.
	do("console", chromedp.Navigate(base+"/hunt"), chromedp.SetValue(css(`#sql`), "SELECT count() AS lines FROM logs"),
		chromedp.Click(css(`form[action="/hunt"] button:not([name])`)), chromedp.WaitVisible(css(`table.data td`)))
	if cell := text("table.data td"); cell != "501" {
		t.Fatalf("console result %q, want 501", cell)
	}

	// Logging out ends the session: pages go back to the login form.
	do("log out", chromedp.Click(css(`form[action="/logout"] button`)), chromedp.WaitVisible(css(`input[name="password"]`)),
		chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(css(`input[name="password"]`)))
	if loc := location(); !strings.Contains(loc, "/login") {
		t.Fatalf("after logout /settings is at %s", loc)
	}
	for _, pr := range w.Take() {
		t.Error(pr)
	}
}
