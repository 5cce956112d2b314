package ingest_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// Exactly once holds per device and file, whichever path reads the file:
// the follower and imports share their progress.

// TestImportWhileTheFollowerDrains imports a rotated file while the
// follower is still draining it: the import is refused, and once the
// follower has moved on it finds nothing left to do.
func TestImportWhileTheFollowerDrains(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(3000, 31, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 2000))
	addDevice(t, st, "fw1", path)
	cfg := pipelineConfig()
	cfg.Tail.RotateGrace = 3 * time.Second // the follower keeps the renamed file that long
	_, stop := runPipelineWith(t, st, cfg)
	waitRows(t, st, "fw1", stored(c, 0, 2000))
	rotate(t, path)
	appendFile(t, path+".1", c.text(2000, 2500))
	appendFile(t, path, c.text(2500, 3000))
	o := ingest.ImportOptions{Path: path + ".1", Device: "fw1"}
	res, err := ingest.Import(context.Background(), smallBatches(), st, testLog(), o)
	if !errors.Is(err, ingest.ErrFileInUse) {
		t.Fatalf("import of the file being drained: %+v, %v; want ErrFileInUse", res, err)
	}
	waitRows(t, st, "fw1", c.stored)
	stop()
	res, err = ingest.Import(context.Background(), smallBatches(), st, testLog(), o)
	if err != nil || !res.Already {
		t.Fatalf("import after the follower moved on: %+v, %v", res, err)
	}
	verify(t, st, "fw1", c)
}

// TestImportContinuesTheFollower imports, while nothing runs, the file the
// follower was reading: it starts where the follower stopped, and the
// follower then starts where the import stopped.
func TestImportContinuesTheFollower(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(4000, 32, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 1500))
	addDevice(t, st, "fw1", path)
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", stored(c, 0, 1500))
	stop()
	appendFile(t, path, c.text(1500, 3000))
	res, err := ingest.Import(context.Background(), smallBatches(), st, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"})
	if err != nil || res.Already || res.Parsed != uint64(stored(c, 1500, 3000)) {
		t.Fatalf("import: %+v, %v; want %d lines parsed", res, err, stored(c, 1500, 3000))
	}
	appendFile(t, path, c.text(3000, 4000))
	_, stop = runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	time.Sleep(300 * time.Millisecond) // nothing more may arrive
	stop()
	verify(t, st, "fw1", c)
}

// TestFollowerSkipsAnImportedFile: while nothing ran, the file was rotated
// and the new one imported; the follower drains the old file, then reads
// the new one only past what the import stored.
func TestFollowerSkipsAnImportedFile(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(4000, 33, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 1500))
	addDevice(t, st, "fw1", path)
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", stored(c, 0, 1500))
	stop()
	appendFile(t, path, c.text(1500, 2000))
	rotate(t, path)
	appendFile(t, path, c.text(2000, 3000))
	if _, err := ingest.Import(context.Background(), smallBatches(), st, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"}); err != nil {
		t.Fatal(err)
	}
	_, stop = runPipeline(t, st)
	appendFile(t, path, c.text(3000, 4000))
	waitRows(t, st, "fw1", c.stored)
	time.Sleep(300 * time.Millisecond) // nothing more may arrive
	stop()
	verify(t, st, "fw1", c)
}

// TestImportFinishesTheFollowersBatch: the follower died with a batch in
// flight whose rows reached the engine; an import of that file, while
// nothing runs, re-sends the batch under the follower's tokens and goes on.
func TestImportFinishesTheFollowersBatch(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(3000, 34, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 2000))
	addDevice(t, st, "fw1", path)
	fs := &faultStore{Store: st, failInsert: 2, afterInsert: true}
	_, stop := runPipeline(t, fs)
	deadline := time.Now().Add(30 * time.Second)
	for !fs.isDead() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	cp, _, err := schema.GetCheckpoint(context.Background(), st, "fw1")
	if err != nil || cp.PendingEnd <= cp.Offset {
		t.Fatalf("no batch in flight after the crash: %+v %v", cp, err)
	}
	appendFile(t, path, c.text(2000, 3000))
	if _, err := ingest.Import(context.Background(), smallBatches(), st, testLog(), ingest.ImportOptions{Path: path, Device: "fw1"}); err != nil {
		t.Fatal(err)
	}
	verify(t, st, "fw1", c)
	_, stop = runPipeline(t, st)
	time.Sleep(500 * time.Millisecond) // nothing more may arrive
	stop()
	verify(t, st, "fw1", c)
}
