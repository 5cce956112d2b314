package ui

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's chromium headless through chromedp against
// the pages served on a real 127.0.0.1 listener. Screenshots of every page
// (laptop and phone sizes) go to $AD_ARTIFACTS/web-ui when set, else to
// the test's temporary directory (its path is logged).

// browserPath finds chromium; without it the test skips, except under
// CI=true, where it fails.
func browserPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium not installed (apt-get install chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

// browser is one headless chromium for the test, with the flags known to
// work as root on a closed network.
func browser(t *testing.T) context.Context {
	path := browserPath(t)
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900)}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

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

// watcher records console errors and warnings, uncaught exceptions, log
// errors (CSP violations, failed loads) and failed responses of a tab.
type watcher struct {
	mu       sync.Mutex
	problems []string
}

func watch(t *testing.T, ctx context.Context) *watcher {
	w := &watcher{}
	err := chromedp.Listen(ctx, func(ev any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				w.problems = append(w.problems, "console "+string(ev.Type)+": "+strings.Join(args, " "))
			}
		case *runtime.EventExceptionThrown:
			w.problems = append(w.problems, "exception: "+ev.ExceptionDetails.Text)
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				w.problems = append(w.problems, fmt.Sprintf("log %s %s: %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventResponseReceived:
			if ev.Response.Status >= 400 {
				w.problems = append(w.problems, fmt.Sprintf("%s answered %d", ev.Response.URL, ev.Response.Status))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, enable := range []func() error{
		func() error { _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); return err },
		func() error { _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); return err },
		func() error { _, err := chromedp.Call(ctx, runtime.Enable, cdp.Empty{}); return err },
	} {
		if err := enable(); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

// take returns and clears what was recorded.
func (w *watcher) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.problems
	w.problems = nil
	return p
}

func artifactsDir(t *testing.T) string {
	dir := t.TempDir()
	if d := os.Getenv("AD_ARTIFACTS"); d != "" {
		dir = filepath.Join(d, "web-ui")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

var unsafeName = regexp.MustCompile(`[^a-z0-9]+`)

// TestBrowser logs in through the login form as an admin, crawls every
// page reachable from the navigation (and the detail pages they link to)
// with no error status and no console error (CSP violations are console
// errors), takes screenshots at laptop and phone sizes, and uses the pages
// as a person would: search, open a record, blacklist it, change a
// threshold and watch the sentence, run a console query, log out.
func TestBrowser(t *testing.T) {
	bctx := browser(t)
	e := newEnv(t, true)
	base := serve(t, e)
	dir := artifactsDir(t)
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	w := watch(t, ctx)
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
		for _, pr := range w.take() {
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
	for _, pr := range w.take() {
		t.Error(pr)
	}
}
