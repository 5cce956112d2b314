package ingest_test

import (
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

func testLog() *logrus.Entry {
	l := logrus.New()
	l.SetLevel(logrus.WarnLevel)
	l.SetOutput(io.Discard)
	return logrus.NewEntry(l)
}

// smallBatches makes a few thousand lines span many batches.
func smallBatches() ingest.Config {
	return ingest.Config{BatchRows: 700, FlushInterval: 50 * time.Millisecond, DrainTimeout: 200 * time.Millisecond,
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
}

func TestImportExactlyOnceAndRerun(t *testing.T) {
	st := newStore(t)
	c := generate(5000, 1, time.Date(2026, 11, 27, 23, 59, 58, 0, time.UTC)) // crosses midnight: two partitions
	path := filepath.Join(t.TempDir(), "old.log")
	appendFile(t, path, c.text(0, len(c.lines)))
	res, err := ingest.Import(context.Background(), smallBatches(), st, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Already || res.Lines != uint64(len(c.lines)) || res.Parsed != uint64(c.stored) || res.Rejected != uint64(c.rejected) {
		t.Fatalf("first import: %+v (want %d lines, %d parsed, %d rejected)", res, len(c.lines), c.stored, c.rejected)
	}
	verify(t, st, "fw1", c)
	again, err := ingest.Import(context.Background(), smallBatches(), st, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"})
	if err != nil || !again.Already {
		t.Fatalf("second import: %+v, %v", again, err)
	}
	verify(t, st, "fw1", c)
	parts := count(t, st, `SELECT uniqExact(partition) FROM system.parts
		WHERE database = currentDatabase() AND table = 'firewall_logs' AND active`, nil)
	if parts != 2 {
		t.Fatalf("partitions = %d, want 2 (the batch crossing midnight is split per day)", parts)
	}
}

func TestImportOverlongAndUnterminatedLines(t *testing.T) {
	st := newStore(t)
	c := generate(51, 2, time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC))
	for !c.lines[len(c.lines)-1].Stored() { // end on a stored line, written without its newline
		c = generate(len(c.lines)+1, 2, time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC))
	}
	last := c.lines[len(c.lines)-1]
	path := filepath.Join(t.TempDir(), "odd.log")
	long := strings.Repeat("x", 70<<10)
	appendFile(t, path, c.text(0, len(c.lines)-1)+long+"\r\n\n"+last.Text)
	o := ingest.ImportOptions{Path: path, Device: "fw9"}
	res, err := ingest.Import(context.Background(), ingest.Config{}, st, testLog(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Parsed != uint64(c.stored-1) || res.Rejected != uint64(c.rejected+1) || res.Unterminated != int64(len(last.Text)) {
		t.Fatalf("import: %+v, want %d parsed, %d rejected, %d bytes unterminated", res, c.stored-1, c.rejected+1, len(last.Text))
	}
	if n := count(t, st, "SELECT count() FROM rejected_lines WHERE reason = 'line_too_long' AND length(line) = 4096", nil); n != 1 {
		t.Fatalf("over-long line stored %d times with a 4 KiB prefix", n)
	}
	appendFile(t, path, "\n") // the writer finishes the last line
	res, err = ingest.Import(context.Background(), ingest.Config{}, st, testLog(), o)
	if err != nil || res.Already || res.Unterminated != 0 {
		t.Fatalf("import after the line was completed: %+v %v", res, err)
	}
	again, err := ingest.Import(context.Background(), ingest.Config{}, st, testLog(), o)
	if err != nil || !again.Already {
		t.Fatalf("third import: %+v %v", again, err)
	}
	c.rejected++ // the over-long line
	verify(t, st, "fw9", c)
}

// TestCrashAtEveryStep kills an import (as far as the store can tell) at
// each step of the protocol, then re-runs it on the real store: every line
// must end up stored exactly once.
func TestCrashAtEveryStep(t *testing.T) {
	cases := []struct {
		name                               string
		failInsert, failCommit, failIntent int
		afterInsert                        bool
	}{
		{name: "insert fails before reaching the engine", failInsert: 3},
		{name: "insert reached the engine, answer lost", failInsert: 3, afterInsert: true},
		{name: "second partition of a batch fails", failInsert: 2},
		{name: "intent of the next batch lost after the inserts", failIntent: 2},
		{name: "first intent lost", failIntent: 1},
		{name: "final commit lost", failCommit: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := newStore(t)
			c := generate(3000, 3, time.Date(2026, 11, 27, 23, 59, 58, 0, time.UTC))
			path := filepath.Join(t.TempDir(), "fw.log")
			appendFile(t, path, c.text(0, len(c.lines)))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			fs := faultStore{Store: st, onFail: cancel, failInsert: tc.failInsert, afterInsert: tc.afterInsert,
				failCommit: tc.failCommit, failIntent: tc.failIntent}
			cfg := smallBatches()
			if _, err := ingest.Import(ctx, cfg, &fs, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"}); err == nil {
				t.Fatal("import through the failing store succeeded")
			}
			if !fs.dead {
				t.Fatal("the fault was never injected")
			}
			res, err := ingest.Import(context.Background(), cfg, st, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"})
			if err != nil {
				t.Fatal(err)
			}
			if res.Already {
				t.Fatal("re-run found nothing to do after a crash")
			}
			verify(t, st, "fw1", c)
		})
	}
}

func TestStoreOutageIsRetried(t *testing.T) {
	st := newStore(t)
	c := generate(2000, 4, time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "fw.log")
	appendFile(t, path, c.text(0, len(c.lines)))
	fs := &flakyStore{Store: st, failures: 5}
	res, err := ingest.Import(context.Background(), smallBatches(), fs, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"})
	if err != nil {
		t.Fatal(err)
	}
	if fs.failed != 5 || res.Parsed != uint64(c.stored) {
		t.Fatalf("failed %d times, result %+v", fs.failed, res)
	}
	verify(t, st, "fw1", c)
}

// flakyStore fails the first n inserts, then works: a store outage.
type flakyStore struct {
	schema.Store
	failures, failed int
}

func (f *flakyStore) Insert(ctx context.Context, b *schema.Block, o schema.InsertOptions) error {
	if f.failed < f.failures {
		f.failed++
		return errInjected
	}
	return f.Store.Insert(ctx, b, o)
}

func TestImportErrors(t *testing.T) {
	st := newStore(t)
	for _, o := range []ingest.ImportOptions{
		{Path: filepath.Join(t.TempDir(), "missing.log"), Device: "fw1"},
		{Path: os.DevNull, Device: "bad name"},
		{Path: os.DevNull, Device: "fw1", Timezone: "Mars/Base"},
	} {
		if _, err := ingest.Import(context.Background(), ingest.Config{}, st, testLog(), o); err == nil {
			t.Errorf("import %+v succeeded", o)
		}
	}
}

// TestImportStoresEDLNames: the External Dynamic Lists a PAN-OS 10+ line
// names land in src_edl and dst_edl.
func TestImportStoresEDLNames(t *testing.T) {
	st := newStore(t)
	cols := make([]string, 105)
	for pos, v := range map[int]string{1: "1", 2: "2026/11/28 10:00:00", 3: "012801096514", 4: "TRAFFIC", 5: "drop",
		6: "2562", 7: "2026/11/28 10:00:00", 8: "203.0.113.77", 9: "10.1.2.3", 25: "51515", 26: "22", 30: "tcp",
		31: "deny", 96: "activedefense-blacklist", 97: "edl-known-c2"} {
		cols[pos-1] = v
	}
	kv := "SrcIP=198.51.100.9; DstIP=10.1.2.3; SrcEDL=activedefense-blacklist; TimeReceived=2026/11/28 10:00:01; Type=TRAFFIC;"
	path := filepath.Join(t.TempDir(), "edl.log")
	appendFile(t, path, strings.Join(cols, ",")+"\n"+kv+"\n")
	if _, err := ingest.Import(context.Background(), ingest.Config{}, st, testLog(),
		ingest.ImportOptions{Path: path, Device: "fw1", Timezone: "UTC"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	err := schema.QueryEach(context.Background(), st, "SELECT src_ip, src_edl, dst_edl FROM logs", nil, func(r schema.Rows) error {
		var ip, src, dst string
		if err := r.Scan(&ip, &src, &dst); err != nil {
			return err
		}
		got[ip] = src + "|" + dst
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"203.0.113.77": "activedefense-blacklist|edl-known-c2", "198.51.100.9": "activedefense-blacklist|"}
	if !maps.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}
