package tail

// These tests document, by running them, the defects of the tail libraries
// the design card names (github.com/hpcloud/tail) or allows
// (github.com/nxadm/tail, its maintained fork) that made us write our own
// follower. Each upstream test passes while the defect exists and fails,
// pointing to README "Why not hpcloud/tail", if upstream ever fixes it.

import (
	"runtime"
	"strings"
	"testing"
	"time"

	hpcloud "github.com/hpcloud/tail"
	nxadm "github.com/nxadm/tail"
)

const fixedUpstream = `the defect looks fixed upstream: revisit README "Why not hpcloud/tail" ` +
	`(ingest/tail/README.md) and doc.go, since the design card prefers github.com/hpcloud/tail`

// upstreamPoll is the libraries' default polling period (watch.POLL_DURATION,
// left untouched so that the libraries run as shipped).
const upstreamPoll = 250 * time.Millisecond

// lineSource is what the rename-rotation scenario needs from a follower.
type lineSource struct {
	recv func(timeout time.Duration) (string, bool) // next line, false on timeout
	stop func(t *testing.T)
}

// rotationResult is what one run of the scenario observed.
type rotationResult struct{ lost, newLines int }

// renameScenario is the rsyslog + logrotate rename rotation: write n lines
// and wait until the follower delivered them all (it is then at end of
// file); rename the file; append m lines to it through the writer's still
// open fd (half at once, half 25 ms later, as rsyslog does until its HUP);
// create a new file at the path and write k lines to it. It reports how many
// of the m lines never arrived.
func renameScenario(t *testing.T, start func(path string) lineSource, settle time.Duration) rotationResult {
	const n, m, k = 20, 10, 5
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("old", 0, n))
	src := start(path)
	defer src.stop(t)
	for i, want := range names("old", 0, n) {
		if got, ok := src.recv(5 * time.Second); !ok || got != want {
			t.Fatalf("precondition: line %d = %q, %v; want %q", i, got, ok, want)
		}
	}
	time.Sleep(settle) // parked at end of file, all first-poll notifications consumed
	mustRename(t, path, path+".1")
	write(t, w, lines("mid", 0, m/2))
	nw := openWriter(t, path)
	time.Sleep(25 * time.Millisecond)
	write(t, w, lines("mid", m/2, m-m/2))
	time.Sleep(25 * time.Millisecond) // the HUP: from now on rsyslog writes to the new file
	write(t, nw, lines("new", 0, k))

	res := rotationResult{lost: m}
	for res.newLines < k {
		got, ok := src.recv(5 * time.Second)
		if !ok {
			t.Fatalf("the new file's lines never arrived (%d of %d)", res.newLines, k)
		}
		switch {
		case strings.HasPrefix(got, "mid-"):
			res.lost--
		case strings.HasPrefix(got, "new-"):
			res.newLines++
		}
	}
	return res
}

func TestRenameRotationUpstreamLosesLines(t *testing.T) {
	tests := []struct {
		name  string
		start func(t *testing.T) func(path string) lineSource
	}{
		{"hpcloud/tail", startHpcloud},
		{"nxadm/tail", startNxadm},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// With polling, the libraries stat the path, never the renamed
			// file: once parked at EOF they learn of the rename from the
			// path and reopen it at once, so every line appended to the
			// renamed file after that EOF is lost. Only a scheduler stall
			// could let the poller's start-up "modified" notification reach
			// the reader after the rename; so up to 3 rounds are run and
			// one round with a loss proves the defect.
			for round := 1; round <= 3; round++ {
				res := renameScenario(t, tc.start(t), 3*upstreamPoll)
				t.Logf("round %d: %s lost %d of 10 lines appended to the renamed file", round, tc.name, res.lost)
				if res.lost > 0 {
					return
				}
			}
			t.Fatalf("%s delivered every line appended to the renamed file in 3 rounds: %s", tc.name, fixedUpstream)
		})
	}
}

// Our follower, through the very same scenario, loses nothing.
func TestRenameRotationFollowerKeepsLines(t *testing.T) {
	start := func(path string) lineSource {
		s := startStream(t, Open(path, Position{}, testOptions(&recorder{})))
		return lineSource{
			recv: func(timeout time.Duration) (string, bool) {
				select {
				case l := <-s.ch:
					return l.Text, true
				case <-time.After(timeout):
					return "", false
				}
			},
			stop: s.stop,
		}
	}
	for round := 1; round <= 3; round++ {
		if res := renameScenario(t, start, 5*testPoll); res.lost != 0 {
			t.Fatalf("round %d: lost %d lines appended to the renamed file", round, res.lost)
		}
	}
}

// Over-long lines: both libraries cut a line longer than MaxLineSize into
// several "lines" instead of rejecting it, so one log line would become
// several bogus rows.
func TestOverlongLineUpstreamSplits(t *testing.T) {
	long := strings.Repeat("x", 40)
	tests := []struct {
		name  string
		start func(t *testing.T, path string) lineSource
	}{
		{"hpcloud/tail", func(t *testing.T, path string) lineSource {
			return hpcloudSource(t, path, hpcloud.Config{MaxLineSize: 16, Logger: hpcloud.DiscardingLogger})
		}},
		{"nxadm/tail", func(t *testing.T, path string) lineSource {
			return nxadmSource(t, path, nxadm.Config{MaxLineSize: 16, Logger: nxadm.DiscardingLogger})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			writeFile(t, path, "short\n"+long+"\nafter\n")
			src := tc.start(t, path)
			defer src.stop(t)
			var got []string
			for l, ok := src.recv(5 * time.Second); ok; l, ok = src.recv(5 * time.Second) {
				got = append(got, l)
			}
			t.Logf("%s returned %d lines for 3: %q", tc.name, len(got), got)
			if len(got) <= 3 {
				t.Fatalf("%s no longer splits an over-long line (%q): %s", tc.name, got, fixedUpstream)
			}
		})
	}
}

// A last line without its newline: nxadm/tail (without its CompleteLines
// option) returns it as a line and the rest later as another; hpcloud/tail
// in follow mode backs up and waits, which is what we need too.
func TestPartialLineUpstream(t *testing.T) {
	tests := []struct {
		name         string
		start        func(t *testing.T, path string) lineSource
		wantFragment bool
	}{
		{"hpcloud/tail", func(t *testing.T, path string) lineSource {
			return hpcloudSource(t, path, hpcloud.Config{Follow: true, Poll: true, Logger: hpcloud.DiscardingLogger})
		}, false},
		{"nxadm/tail", func(t *testing.T, path string) lineSource {
			return nxadmSource(t, path, nxadm.Config{Follow: true, Poll: true, Logger: nxadm.DiscardingLogger})
		}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			w := openWriter(t, path)
			write(t, w, "complete\nparti")
			src := tc.start(t, path)
			defer src.stop(t)
			if l, ok := src.recv(5 * time.Second); !ok || l != "complete" {
				t.Fatalf("first line %q, %v", l, ok)
			}
			l, ok := src.recv(3 * upstreamPoll)
			t.Logf("%s: partial last line returned as a line: %v %q", tc.name, ok, l)
			switch {
			case tc.wantFragment && !ok:
				t.Fatalf("%s held the partial line back: %s", tc.name, fixedUpstream)
			case !tc.wantFragment && ok:
				t.Fatalf("%s now returns a partial line (%q): add it to README \"Why not hpcloud/tail\"", tc.name, l)
			}
		})
	}
}

func startHpcloud(t *testing.T) func(string) lineSource {
	return func(path string) lineSource {
		return hpcloudSource(t, path, hpcloud.Config{Follow: true, ReOpen: true, Poll: true, Logger: hpcloud.DiscardingLogger})
	}
}

func startNxadm(t *testing.T) func(string) lineSource {
	return func(path string) lineSource {
		return nxadmSource(t, path, nxadm.Config{Follow: true, ReOpen: true, Poll: true, Logger: nxadm.DiscardingLogger})
	}
}

func hpcloudSource(t *testing.T, path string, cfg hpcloud.Config) lineSource {
	tl, err := hpcloud.TailFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return lineSource{
		recv: func(timeout time.Duration) (string, bool) {
			select {
			case l, ok := <-tl.Lines:
				if !ok {
					return "", false
				}
				return l.Text, true
			case <-time.After(timeout):
				return "", false
			}
		},
		stop: func(t *testing.T) {
			tl.Kill(nil)
			for range tl.Lines { // hpcloud sends lines without watching Dying
			}
			_ = tl.Wait()
			tl.Cleanup()
			waitGone(t, "github.com/hpcloud/tail.(*Tail)", "github.com/hpcloud/tail/watch.(*PollingFileWatcher)")
		},
	}
}

func nxadmSource(t *testing.T, path string, cfg nxadm.Config) lineSource {
	tl, err := nxadm.TailFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return lineSource{
		recv: func(timeout time.Duration) (string, bool) {
			select {
			case l, ok := <-tl.Lines:
				if !ok {
					return "", false
				}
				return l.Text, true
			case <-time.After(timeout):
				return "", false
			}
		},
		stop: func(t *testing.T) {
			tl.Kill(nil)
			for range tl.Lines {
			}
			_ = tl.Wait()
			tl.Cleanup()
			waitGone(t, "github.com/nxadm/tail.(*Tail)", "github.com/nxadm/tail/watch.(*PollingFileWatcher)")
		},
	}
}

// waitGone waits until no goroutine runs a function whose name starts with
// one of prefixes: a stopped tail's poller exits after its current sleep.
func waitGone(t *testing.T, prefixes ...string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		stacks := string(buf[:runtime.Stack(buf, true)])
		left := ""
		for _, p := range prefixes {
			if strings.Contains(stacks, p) {
				left = p
			}
		}
		if left == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("a %s goroutine still runs 5s after Stop", left)
			return
		}
	}
}
