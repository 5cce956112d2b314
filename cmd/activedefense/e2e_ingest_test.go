package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
)

// lines is a generated log and the logs rows it must produce.
type lines struct {
	all  []pangen.Line
	want []string // expected rows as TSV, sorted
}

func genLines(n int, seed uint64) *lines {
	g := pangen.New(seed, time.Now().Add(-2*time.Hour).UTC().Truncate(time.Second), time.UTC)
	out := &lines{}
	for i := 0; i < n; i++ {
		l := g.Mix()
		out.all = append(out.all, l)
		if l.Stored() {
			out.want = append(out.want, expectRow(l))
		}
	}
	slices.Sort(out.want)
	return out
}

// rowQuery selects, per row, the values a check compares.
const rowQuery = `SELECT type, src_ip, src_port, dst_ip, dst_port, src_country, dst_country, action, severity, threat_id,
	toUnixTimestamp(ts) FROM logs WHERE device = 'fw1'`

func expectRow(l pangen.Line) string {
	return strings.Join([]string{l.Type, l.Src.String(), fmt.Sprint(l.SrcPort), l.Dst.String(), fmt.Sprint(l.DstPort),
		l.SrcCountry, l.DstCountry, l.Action, strings.ToLower(l.Severity), fmt.Sprint(l.ThreatID),
		fmt.Sprint(l.Time.Unix())}, "\t")
}

func writeLines(t *testing.T, path string, ls []pangen.Line) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, l := range ls {
		w.WriteString(l.Text)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func countRows(t *testing.T, dir string) int {
	t.Helper()
	out, err := cli(t, dir, "", "sql", "SELECT count() FROM logs WHERE device = 'fw1'")
	if err != nil {
		return -1
	}
	var n int
	fmt.Sscan(out, &n)
	return n
}

// waitCount polls until logs has want rows for fw1 or the deadline passes.
func waitCount(t *testing.T, dir string, want int, deadline time.Time) int {
	t.Helper()
	n := -1
	for time.Now().Before(deadline) {
		if n = countRows(t, dir); n >= want {
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
	return n
}

// checkRows compares every stored row with the generated values.
func checkRows(t *testing.T, dir string, ls *lines) {
	t.Helper()
	out := mustCLI(t, dir, "", "sql", rowQuery)
	got := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	slices.Sort(got)
	if len(got) != len(ls.want) {
		t.Fatalf("%d rows, want %d", len(got), len(ls.want))
	}
	for i := range got {
		if got[i] != ls.want[i] {
			t.Fatalf("row mismatch:\n got  %q\n want %q", got[i], ls.want[i])
		}
	}
}

func TestServeIngests200kLinesWithin60s(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	ls := genLines(200000, 1)
	path := filepath.Join(dir, "fw1.log")
	writeLines(t, path, ls.all)
	mustCLI(t, dir, "", "device", "add", "fw1", path)
	start := time.Now()
	srv := startServe(t, dir)
	if n := waitCount(t, dir, len(ls.want), start.Add(60*time.Second)); n != len(ls.want) {
		t.Fatalf("after 60s: %d rows, want %d\n%s", n, len(ls.want), srv.logs)
	}
	t.Logf("200k lines stored %s after serve started", time.Since(start).Round(100*time.Millisecond))
	checkRows(t, dir, ls)
	rejected := mustCLI(t, dir, "", "sql", "SELECT count() FROM rejected_lines WHERE device = 'fw1'")
	wantRej := 0
	for _, l := range ls.all {
		if l.Kind == pangen.Garbage {
			wantRej++
		}
	}
	if rejected != fmt.Sprintf("%d\n", wantRej) {
		t.Fatalf("rejected lines = %s, want %d", rejected, wantRej)
	}
	list := mustCLI(t, dir, "", "device", "list")
	if !strings.Contains(list, "200000") || !strings.Contains(list, fmt.Sprint(wantRej)) {
		t.Fatalf("device list does not show 200000 lines and %d rejects:\n%s", wantRej, list)
	}
	srv.stop(t)
}

// TestKill9DuringIngest kills serve with SIGKILL at random moments while
// it ingests (and while the file still grows), restarts it, and requires
// every line stored exactly once at the end.
func TestKill9DuringIngest(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	ls := genLines(200000, 2)
	path := filepath.Join(dir, "fw1.log")
	writeLines(t, path, ls.all[:80000])
	mustCLI(t, dir, "", "device", "add", "fw1", path)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	written := 80000
	for round := 0; round < 5; round++ {
		srv := startServe(t, dir, "--batch-rows", fmt.Sprint(5000+rng.IntN(20000)))
		if written < len(ls.all) {
			next := min(len(ls.all), written+30000)
			writeLines(t, path, ls.all[written:next])
			written = next
		}
		time.Sleep(time.Duration(100+rng.IntN(1500)) * time.Millisecond)
		if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-srv.done
		t.Logf("round %d: killed with %d rows stored", round, countRows(t, dir))
	}
	writeLines(t, path, ls.all[written:])
	srv := startServe(t, dir)
	if n := waitCount(t, dir, len(ls.want), time.Now().Add(90*time.Second)); n != len(ls.want) {
		t.Fatalf("after restarts: %d rows, want %d\n%s", n, len(ls.want), srv.logs)
	}
	time.Sleep(2 * time.Second) // nothing more may arrive
	checkRows(t, dir, ls)
	srv.stop(t)
}

func TestRenameMidStream(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	ls := genLines(60000, 3)
	path := filepath.Join(dir, "fw1.log")
	writeLines(t, path, ls.all[:20000])
	mustCLI(t, dir, "", "device", "add", "fw1", path)
	srv := startServe(t, dir)
	old, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(old) // the writer keeps its descriptor, as rsyslog does until its HUP
	for _, l := range ls.all[20000:30000] {
		w.WriteString(l.Text + "\n")
	}
	w.Flush()
	old.Close()
	writeLines(t, path, ls.all[30000:])
	if n := waitCount(t, dir, len(ls.want), time.Now().Add(60*time.Second)); n != len(ls.want) {
		t.Fatalf("%d rows, want %d\n%s", n, len(ls.want), srv.logs)
	}
	checkRows(t, dir, ls)
	srv.stop(t)
}

func TestImportCommandBothPathsExactlyOnce(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	ls := genLines(30000, 4)
	path := filepath.Join(dir, "backfill.log")
	writeLines(t, path, ls.all)
	out := mustCLI(t, dir, "", "import", path, "--device", "fw1")
	if !strings.Contains(out, "imported") {
		t.Fatalf("import output: %s", out)
	}
	checkRows(t, dir, ls)
	srv := startServe(t, dir)
	out = mustCLI(t, dir, "", "import", path, "--device", "fw1")
	if !strings.Contains(out, "already imported") || !strings.Contains(srv.logs.String(), "import done") {
		t.Fatalf("re-import through the server: %s\n%s", out, srv.logs)
	}
	checkRows(t, dir, ls)
	if _, err := cli(t, dir, "", "import", path); err == nil {
		t.Fatal("import without --device succeeded")
	}
	srv.stop(t)
}
