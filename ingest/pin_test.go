package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// TestRotatedBeforeTheFirstRead registers a device while nothing runs, then
// rotates its file by rename and writes a new one before the pipeline ever
// starts: the renamed file must still be read, then the new one.
func TestRotatedBeforeTheFirstRead(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(3000, 21, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 2000))
	d := schema.Device{Name: "fw1", Path: path, Enabled: true}
	if err := ingest.PinDevice(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
	if err := schema.AddDevice(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
	rotate(t, path)
	appendFile(t, path, c.text(2000, 3000))
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	stop()
	verify(t, st, "fw1", c)
}

// TestRotatedAfterAStartThatWroteNothing starts the pipeline on a new
// device and kills it before its first batch is written; the file is then
// rotated while nothing runs. The first open must have pinned the file.
func TestRotatedAfterAStartThatWroteNothing(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(3000, 22, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 2000))
	addDevice(t, st, "fw1", path)
	fs := &faultStore{Store: st, failIntent: 1} // dies at the first batch
	_, stop := runPipeline(t, fs)
	deadline := time.Now().Add(30 * time.Second)
	for !fs.isDead() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if !fs.isDead() {
		t.Fatal("the first batch was never attempted")
	}
	rotate(t, path)
	appendFile(t, path, c.text(2000, 3000))
	_, stop = runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	stop()
	verify(t, st, "fw1", c)
}

// TestPinDeviceKeepsProgress: pinning a device that has a checkpoint, or
// whose file does not exist, changes nothing.
func TestPinDeviceKeepsProgress(t *testing.T) {
	st := newStore(t)
	ctx := context.Background()
	dir := t.TempDir()
	missing := schema.Device{Name: "fw2", Path: filepath.Join(dir, "none.log"), Enabled: true}
	if err := ingest.PinDevice(ctx, st, missing); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := schema.GetCheckpoint(ctx, st, "fw2"); err != nil || ok {
		t.Fatalf("checkpoint for a missing file: %v %v", ok, err)
	}
	path := filepath.Join(dir, "fw1.log")
	c := generate(500, 23, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 500))
	d := schema.Device{Name: "fw1", Path: path, Enabled: true}
	if err := ingest.PinDevice(ctx, st, d); err != nil {
		t.Fatal(err)
	}
	cp, ok, err := schema.GetCheckpoint(ctx, st, "fw1")
	if err != nil || !ok || cp.File != fileID(t, path) || cp.Offset != 0 || cp.PendingEnd != 0 {
		t.Fatalf("pinned checkpoint %+v %v %v, want file %s at 0", cp, ok, err, fileID(t, path))
	}
	if err := schema.AddDevice(ctx, st, d); err != nil {
		t.Fatal(err)
	}
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	stop()
	if err := ingest.PinDevice(ctx, st, d); err != nil {
		t.Fatal(err)
	}
	cp, _, err = schema.GetCheckpoint(ctx, st, "fw1")
	if err != nil || cp.Offset == 0 {
		t.Fatalf("pinning again moved the checkpoint back: %+v %v", cp, err)
	}
	if err := ingest.PinDevice(ctx, st, schema.Device{Name: "bad name", Path: path}); err == nil {
		t.Fatal("pinned an invalid device name")
	}
}

// rotate renames path to path.1, as logrotate does.
func rotate(t *testing.T, path string) {
	t.Helper()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
}
