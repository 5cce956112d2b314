package ingest_test

import (
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// oneBatch keeps a whole test file in one batch, so the batch in flight at
// a crash is all of it.
func oneBatch() ingest.Config {
	return ingest.Config{BatchRows: 1 << 20, FlushInterval: time.Minute, DrainTimeout: time.Second,
		RetryMin: 10 * time.Millisecond, RetryMax: 50 * time.Millisecond}
}

// crashAfterInserts runs an import whose inserts all reach the engine but
// whose commit is lost, as when the process dies right after inserting.
func crashAfterInserts(t *testing.T, st schema.Store, o ingest.ImportOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fs := &faultStore{Store: st, onFail: cancel, failCommit: 1}
	if _, err := ingest.Import(ctx, oneBatch(), fs, testLog(), o); err == nil || !fs.dead {
		t.Fatalf("the crash was not injected: %v", err)
	}
}

// logHook calls fn for every log entry.
type logHook func(*logrus.Entry)

func (logHook) Levels() []logrus.Level       { return logrus.AllLevels }
func (h logHook) Fire(e *logrus.Entry) error { h(e); return nil }

// TestInterruptedResendIsNotShortened stops a restart while it re-reads the
// batch that was in flight at the crash. Written short under the tokens of
// the whole batch, that batch would lose or double lines; it must be left
// for the next start instead.
func TestInterruptedResendIsNotShortened(t *testing.T) {
	st := newStore(t)
	c := generate(8000, 7, time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "fw.log")
	// An over-long line half-way: its event is the moment the stop arrives.
	appendFile(t, path, c.text(0, 4000)+strings.Repeat("x", 70<<10)+"\n"+c.text(4000, len(c.lines)))
	c.rejected++
	o := ingest.ImportOptions{Path: path, Device: "fw1"}
	crashAfterInserts(t, st, o)

	ctx, cancel := context.WithCancel(context.Background())
	l := logrus.New()
	l.SetOutput(io.Discard)
	l.AddHook(logHook(func(e *logrus.Entry) {
		if e.Data["event"] == "too_long" {
			cancel()
		}
	}))
	if _, err := ingest.Import(ctx, oneBatch(), st, logrus.NewEntry(l), o); err == nil {
		t.Fatal("the stopped re-run reported success")
	}
	cp, _, err := schema.GetCheckpoint(context.Background(), st, "file:fw1:"+fileID(t, path))
	if err != nil || cp.PendingEnd <= cp.Offset || cp.Offset != 0 {
		t.Fatalf("the pending batch did not survive the interrupted re-send: %+v %v", cp, err)
	}
	if _, err := ingest.Import(context.Background(), oneBatch(), st, testLog(), o); err != nil {
		t.Fatal(err)
	}
	verify(t, st, "fw1", c)
}

// TestResendUsesTheZoneOfTheFirstAttempt changes the time zone between the
// crash and the restart: rows of the re-sent batch must land on the days
// (and so under the tokens) of the first attempt.
func TestResendUsesTheZoneOfTheFirstAttempt(t *testing.T) {
	st := newStore(t)
	c := generate(3000, 3, time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "fw.log")
	appendFile(t, path, c.text(0, len(c.lines)))
	crashAfterInserts(t, st, ingest.ImportOptions{Path: path, Device: "fw1", Timezone: "UTC"})
	if _, err := ingest.Import(context.Background(), oneBatch(), st, testLog(),
		ingest.ImportOptions{Path: path, Device: "fw1", Timezone: "America/Los_Angeles"}); err != nil {
		t.Fatal(err)
	}
	verify(t, st, "fw1", c) // the generated times are UTC, as first parsed
}

// TestDeviceMovedToANewPathResumes re-registers a device under a new path
// that names the same file (a moved log directory): it resumes, it does not
// read the file again.
func TestDeviceMovedToANewPathResumes(t *testing.T) {
	st := newStore(t)
	dir := t.TempDir()
	c := generate(3000, 9, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	old := filepath.Join(dir, "a", "fw1.log")
	if err := os.MkdirAll(filepath.Dir(old), 0o755); err != nil {
		t.Fatal(err)
	}
	appendFile(t, old, c.text(0, 2000))
	addDevice(t, st, "fw1", old)
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", stored(c, 0, 2000))
	stop()
	moved := filepath.Join(dir, "b")
	if err := os.Rename(filepath.Dir(old), moved); err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(moved, "fw1.log"), c.text(2000, 3000))
	if err := schema.RemoveDevice(context.Background(), st, "fw1"); err != nil {
		t.Fatal(err)
	}
	addDevice(t, st, "fw1", filepath.Join(moved, "fw1.log"))
	_, stop = runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	time.Sleep(300 * time.Millisecond) // nothing more may arrive
	stop()
	verify(t, st, "fw1", c)
}

func fileID(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := tailIdentify(f)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestDeviceNumberChangedAcrossRestart: the file system's device number
// changed while the service was down (LVM, btrfs and NFS can renumber it
// at boot). The checkpointed file must still be resumed, not read again.
func TestDeviceNumberChangedAcrossRestart(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(3000, 24, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 2000))
	addDevice(t, st, "fw1", path)
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", stored(c, 0, 2000))
	stop()
	cp, ok, err := schema.GetCheckpoint(ctx, st, "fw1")
	if err != nil || !ok || cp.PendingEnd != cp.Offset || cp.Offset == 0 {
		t.Fatalf("checkpoint %+v %v %v", cp, ok, err)
	}
	dev, rest, _ := strings.Cut(cp.File, ":")
	cp.File = dev + "0:" + rest // another device number, same inode and first line
	cp.Updated = time.Time{}
	if err := schema.SaveCheckpoint(ctx, st, cp); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, c.text(2000, 3000))
	_, stop = runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	time.Sleep(300 * time.Millisecond) // nothing more may arrive
	stop()
	verify(t, st, "fw1", c)
}

// renumberStore makes a store look, afterwards, as if the file had had
// another device number while it was written to it: the file identity from
// is written as to in deduplication tokens and checkpoints.
type renumberStore struct {
	schema.Store
	from, to string
}

func (r *renumberStore) Insert(ctx context.Context, b *schema.Block, o schema.InsertOptions) error {
	// A token starts with a hash of the stream name, which names the file.
	streamHash := func(s string) string {
		h := fnv.New64a()
		h.Write([]byte("file:fw1:" + s))
		return "ad" + strconv.FormatUint(h.Sum64(), 36)
	}
	o.DedupToken = strings.ReplaceAll(o.DedupToken, streamHash(r.from), streamHash(r.to))
	o.DedupToken = strings.ReplaceAll(o.DedupToken, r.from, r.to)
	return r.Store.Insert(ctx, b, o)
}

func (r *renumberStore) Exec(ctx context.Context, q string, p schema.Params) error {
	if strings.Contains(q, "INSERT INTO ingest_checkpoints") {
		p = maps.Clone(p)
		p["stream"] = strings.ReplaceAll(p["stream"].(string), r.from, r.to)
		p["file"] = strings.ReplaceAll(p["file"].(string), r.from, r.to)
	}
	return r.Store.Exec(ctx, q, p)
}

// TestImportAfterDeviceNumberChanged: a file imported (whole, or up to a
// crash) while its file system had another device number is not imported
// twice.
func TestImportAfterDeviceNumberChanged(t *testing.T) {
	for _, crash := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashed=%v", crash), func(t *testing.T) {
			st := newStore(t)
			c := generate(3000, 25, time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC))
			path := filepath.Join(t.TempDir(), "fw.log")
			appendFile(t, path, c.text(0, len(c.lines)))
			id := fileID(t, path)
			dev, rest, _ := strings.Cut(id, ":")
			before := &renumberStore{Store: st, from: id, to: dev + "0:" + rest}
			o := ingest.ImportOptions{Path: path, Device: "fw1"}
			if crash {
				crashAfterInserts(t, before, o)
			} else if _, err := ingest.Import(context.Background(), oneBatch(), before, testLog(), o); err != nil {
				t.Fatal(err)
			}
			res, err := ingest.Import(context.Background(), oneBatch(), st, testLog(), o)
			if err != nil || res.Already == crash {
				t.Fatalf("import after renumbering: %+v %v", res, err)
			}
			verify(t, st, "fw1", c)
		})
	}
}
