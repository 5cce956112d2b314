package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

func pipelineConfig() ingest.Config {
	c := smallBatches()
	c.ReloadInterval = time.Hour // changes must come through Reload
	c.Tail = tail.Options{PollInterval: 20 * time.Millisecond, RotateGrace: 300 * time.Millisecond}
	return c
}

// runPipeline starts a pipeline and returns a stop function that waits for
// it to drain.
func runPipeline(t *testing.T, st schema.Store) (*ingest.Pipeline, func()) {
	t.Helper()
	return runPipelineWith(t, st, pipelineConfig())
}

func runPipelineWith(t *testing.T, st schema.Store, cfg ingest.Config) (*ingest.Pipeline, func()) {
	t.Helper()
	p := ingest.New(cfg, st, testLog())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("pipeline: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("pipeline did not stop within 30s")
		}
	}
	t.Cleanup(stop)
	return p, stop
}

func waitRows(t *testing.T, st schema.Store, device string, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got uint64
	for time.Now().Before(deadline) {
		got = count(t, st, "SELECT count() FROM logs WHERE device = {d:String}", schema.Params{"d": device})
		if got >= uint64(want) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got != uint64(want) {
		t.Fatalf("%s: %d rows, want %d", device, got, want)
	}
}

func addDevice(t *testing.T, st schema.Store, name, path string) {
	t.Helper()
	if err := schema.AddDevice(context.Background(), st, schema.Device{Name: name, Path: path, Enabled: true}); err != nil {
		t.Fatal(err)
	}
}

func TestPipelineFollowsRenameRotation(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(6000, 5, time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 2000))
	addDevice(t, st, "fw1", path)
	p, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", stored(c, 0, 2000))

	appendFile(t, path, c.text(2000, 3000))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", c.text(3000, 3500)) // rsyslog still writing to the old file before its HUP
	appendFile(t, path, c.text(3500, 6000))
	waitRows(t, st, "fw1", c.stored)
	stop()
	verify(t, st, "fw1", c)
	if s := p.Status(); len(s) != 0 {
		t.Fatalf("status after stop: %+v", s)
	}
}

func TestPipelineResumesFromCheckpoint(t *testing.T) {
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "fw1.log")
	c := generate(4000, 6, time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC))
	appendFile(t, path, c.text(0, 1500))
	addDevice(t, st, "fw1", path)
	_, stop := runPipeline(t, st)
	waitRows(t, st, "fw1", stored(c, 0, 1500))
	stop()
	appendFile(t, path, c.text(1500, 4000)) // written while stopped
	_, stop = runPipeline(t, st)
	waitRows(t, st, "fw1", c.stored)
	stop()
	verify(t, st, "fw1", c)
	cp, ok, err := schema.GetCheckpoint(context.Background(), st, "fw1")
	fi, _ := os.Stat(path)
	if err != nil || !ok || int64(cp.Offset) != fi.Size() || cp.PendingEnd != cp.Offset || cp.Lines != 4000 {
		t.Fatalf("checkpoint %+v (file size %d), %v", cp, fi.Size(), err)
	}
}

func TestPipelineDevicesAddedAndRemovedWhileRunning(t *testing.T) {
	st := newStore(t)
	dir := t.TempDir()
	p, stop := runPipeline(t, st)
	defer stop()
	c1 := generate(800, 7, time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC))
	c2 := generate(900, 8, time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC))
	p1, p2 := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	appendFile(t, p1, c1.text(0, 800))
	addDevice(t, st, "fwa", p1)
	addDevice(t, st, "fwb", p2) // file does not exist yet: the stream waits for it
	p.Reload()
	waitRows(t, st, "fwa", c1.stored)
	appendFile(t, p2, c2.text(0, 900))
	waitRows(t, st, "fwb", c2.stored)
	if s := p.Status(); len(s) != 2 || s[0].Device != "fwa" || s[0].Parsed != uint64(c1.stored) || s[0].Rejected != uint64(c1.rejected) {
		t.Fatalf("status = %+v", s)
	}
	if err := schema.RemoveDevice(context.Background(), st, "fwa"); err != nil {
		t.Fatal(err)
	}
	p.Reload()
	deadline := time.Now().Add(10 * time.Second)
	for len(p.Status()) != 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s := p.Status(); len(s) != 1 || s[0].Device != "fwb" {
		t.Fatalf("after removing fwa: %+v", s)
	}
	appendFile(t, p1, generate(100, 9, time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)).text(0, 100))
	time.Sleep(300 * time.Millisecond)
	if got := count(t, st, "SELECT count() FROM logs WHERE device = 'fwa'", nil); got != uint64(c1.stored) {
		t.Fatalf("removed device still ingested: %d rows", got)
	}
}

// stored counts the stored lines among c.lines[from:to].
func stored(c *corpus, from, to int) int {
	n := 0
	for _, l := range c.lines[from:to] {
		if l.Stored() {
			n++
		}
	}
	return n
}
