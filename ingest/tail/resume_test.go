package tail

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// whileDownCase sets up a file "old" of 10 lines, checkpoints after 3 of
// them, runs rotate, writes a new file of 3 lines at the path (after the old
// file was drained if newLater) and follows from the checkpoint.
type whileDownCase struct {
	name       string
	rotate     func(t *testing.T, path string, w *os.File) // w: the old file's writer
	newLater   bool
	wantOld    int // lines old-0003… expected from the old file
	wantEvents string
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func whileDownCases() []whileDownCase {
	return []whileDownCase{
		{name: "renamed to .1, then appended to", rotate: func(t *testing.T, path string, w *os.File) {
			mustRename(t, path, path+".1")
			write(t, w, lines("old", 10, 2))
		}, wantOld: 9, wantEvents: "[resumed:fw1.log.1 rotated:fw1.log]"},
		{name: "dateext name among other siblings", rotate: func(t *testing.T, path string, _ *os.File) {
			writeFile(t, path+".1", lines("older", 0, 3))
			writeFile(t, path+".2.gz", "not really gzip\n")
			writeFile(t, path+"-other.log", lines("other", 0, 3))
			mustRename(t, path, path+"-20261128")
		}, wantOld: 7, wantEvents: "[resumed:fw1.log-20261128 rotated:fw1.log]"},
		{name: "only a compressed name holds the inode: skipped", rotate: func(t *testing.T, path string, _ *os.File) {
			if err := os.Link(path, path+".1.gz"); err != nil {
				t.Fatal(err)
			}
			remove(t, path)
		}, wantEvents: "[checkpoint_file_missing:fw1.log opened:fw1.log]"},
		{name: "a sibling has the inode but another first line", rotate: func(t *testing.T, path string, _ *os.File) {
			mustRename(t, path, path+".1")
			truncate(t, path+".1", 0)
			write(t, openWriter(t, path+".1"), lines("other", 0, 20))
		}, wantEvents: "[checkpoint_file_missing:fw1.log opened:fw1.log]"},
		{name: "deleted", rotate: func(t *testing.T, path string, _ *os.File) { remove(t, path) },
			wantEvents: "[checkpoint_file_missing:fw1.log opened:fw1.log]"},
		{name: "renamed, no new file yet", rotate: func(t *testing.T, path string, _ *os.File) { mustRename(t, path, path+".1") },
			newLater: true, wantOld: 7, wantEvents: "[resumed:fw1.log.1 waiting:fw1.log rotated:fw1.log]"},
		{name: "deleted, no new file yet", rotate: func(t *testing.T, path string, _ *os.File) { remove(t, path) },
			newLater: true, wantEvents: "[checkpoint_file_missing:fw1.log waiting:fw1.log opened:fw1.log]"},
	}
}

// The file was rotated while we were down: the start position's file is
// looked for among rotated siblings, matching device, inode and first line.
// If found it is read from the checkpoint to its end, then the path's file
// from 0; if not, checkpoint_file_missing and the path's file from 0.
func TestRotationWhileDown(t *testing.T) {
	for _, tc := range whileDownCases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tempPath(t)
			w := openWriter(t, path)
			write(t, w, lines("old", 0, 10))
			pos := checkpointAfter(t, path, 3)
			tc.rotate(t, path, w)
			if !tc.newLater {
				writeFile(t, path, lines("new", 0, 3))
			}
			rec := &recorder{}
			s := startStream(t, Open(path, pos, testOptions(rec)))
			g := s.take(t, tc.wantOld)
			if tc.newLater {
				time.Sleep(2 * testGrace)
				writeFile(t, path, lines("new", 0, 3))
			}
			g = append(g, s.take(t, 3)...)
			wantTexts(t, g, append(names("old", 3, tc.wantOld), names("new", 0, 3)...))
			if (tc.wantOld > 0 && g[0].Start != pos.Offset) || g[tc.wantOld].Start != 0 {
				t.Fatalf("old file resumed at %d (want %d), new file read from %d", g[0].Start, pos.Offset, g[tc.wantOld].Start)
			}
			checkOffsets(t, g, nil)
			if ev := eventSummary(rec); ev != tc.wantEvents {
				t.Fatalf("events %s, want %s", ev, tc.wantEvents)
			}
		})
	}
}

// checkpointAfter reads n lines of path and returns the Position after them.
func checkpointAfter(t *testing.T, path string, n int) Position {
	t.Helper()
	f := Open(path, Position{}, testOptions(&recorder{}))
	defer f.Close()
	readN(t, f, n)
	return f.Position()
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// eventSummary lists events as kind:basename.
func eventSummary(r *recorder) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.evs))
	for i, ev := range r.evs {
		out[i] = ev.Kind + ":" + filepath.Base(ev.Path)
	}
	return fmt.Sprint(out)
}

// A relative path searches the working directory for rotated siblings.
func TestRotationWhileDownRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	write(t, openWriter(t, "fw1.log"), lines("old", 0, 5))
	pos := checkpointAfter(t, "fw1.log", 2)
	mustRename(t, "fw1.log", "fw1.log.1")
	writeFile(t, "fw1.log", lines("new", 0, 1))
	rec := &recorder{}
	s := startStream(t, Open("fw1.log", pos, testOptions(rec)))
	wantTexts(t, s.take(t, 4), append(names("old", 2, 3), "new-0000"))
	if ev, _ := rec.find(EventResumed); ev.Path != "fw1.log.1" {
		t.Fatalf("resumed event %+v, want path fw1.log.1", ev)
	}
}

// The device number of a file system can change across a reboot (LVM,
// btrfs, NFS): a start position whose device number no longer matches is
// still found by inode and first line, at the path or among siblings.
func TestRotationWhileDownDeviceNumberChanged(t *testing.T) {
	cases := []struct {
		name       string
		rotate     func(t *testing.T, path string)
		wantOld    int
		wantEvents string
	}{
		{name: "still at the path", rotate: func(*testing.T, string) {}, wantOld: 7,
			wantEvents: "[resumed:fw1.log]"},
		{name: "renamed to .1", rotate: func(t *testing.T, path string) {
			mustRename(t, path, path+".1")
			writeFile(t, path, lines("new", 0, 3))
		}, wantOld: 7, wantEvents: "[resumed:fw1.log.1 rotated:fw1.log]"},
		{name: "same inode, another first line", rotate: func(t *testing.T, path string) {
			truncate(t, path, 0)
			write(t, openWriter(t, path), lines("new", 0, 3))
		}, wantEvents: "[checkpoint_file_missing:fw1.log opened:fw1.log]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := tempPath(t)
			write(t, openWriter(t, path), lines("old", 0, 10))
			pos := checkpointAfter(t, path, 3)
			pos.File.Dev++ // as read back after a reboot that renumbered the file system
			tc.rotate(t, path)
			rec := &recorder{}
			s := startStream(t, Open(path, pos, testOptions(rec)))
			want := names("old", 3, tc.wantOld)
			if tc.name != "still at the path" {
				want = append(want, names("new", 0, 3)...)
			}
			g := s.take(t, len(want))
			wantTexts(t, g, want)
			if tc.wantOld > 0 && g[0].Start != pos.Offset {
				t.Fatalf("resumed at %d, want %d", g[0].Start, pos.Offset)
			}
			if ev := eventSummary(rec); ev != tc.wantEvents {
				t.Fatalf("events %s, want %s", ev, tc.wantEvents)
			}
		})
	}
}
