package tail

import (
	"os"
	"strings"
	"testing"
	"time"
)

// Rename-and-create rotation as logrotate does it, while rsyslog keeps
// appending to the renamed file until its HUP: the follower finishes the old
// file, including lines written well after the new file appeared, then
// reads the new one from 0. Nothing is lost or duplicated.
func TestRenameRotation(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("old", 0, 20))
	rec := &recorder{}
	s := startStream(t, Open(path, Position{}, testOptions(rec)))
	g := s.take(t, 20)
	oldID := identify(t, path)

	mustRename(t, path, path+".1")
	write(t, w, lines("old", 20, 5)) // before the new file exists
	nw := openWriter(t, path)
	write(t, nw, lines("new", 0, 5))
	for i := range 3 { // the follower has seen the new file by now
		time.Sleep(testGrace / 4)
		write(t, w, lines("old", 25+5*i, 5))
	}
	write(t, nw, lines("new", 5, 5))

	g = append(g, s.take(t, 30)...)
	wantTexts(t, g, append(names("old", 0, 40), names("new", 0, 10)...))
	newID := identify(t, path)
	for _, l := range g {
		if want := map[bool]FileID{true: oldID, false: newID}[strings.HasPrefix(l.Text, "old")]; l.File != want {
			t.Fatalf("%q File = %v, want %v", l.Text, l.File, want)
		}
	}
	if g[40].Start != 0 {
		t.Fatalf("new file read from %d", g[40].Start)
	}
	checkOffsets(t, g, nil)
	ev := rec.waitFor(t, EventRotated)
	if ev.File != newID || ev.Path != path {
		t.Fatalf("rotated event %+v", ev)
	}
	s.stop(t)
	if p := s.f.Position(); p.File != newID || p.Offset != g[49].End {
		t.Fatalf("Position = %+v", p)
	}
}

// Deleted and recreated: the old file is drained through the still-open fd,
// then the new file is read from 0.
func TestDeleteAndRecreate(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("old", 0, 10))
	rec := &recorder{}
	s := startStream(t, Open(path, Position{}, testOptions(rec)))
	g := s.take(t, 10)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(t, w, lines("old", 10, 5))
	time.Sleep(testGrace / 2) // the follower sees no file at the path meanwhile
	write(t, w, lines("old", 15, 5))
	write(t, openWriter(t, path), lines("new", 0, 5))
	g = append(g, s.take(t, 15)...)
	wantTexts(t, g, append(names("old", 0, 20), names("new", 0, 5)...))
	if g[20].Start != 0 {
		t.Fatalf("new file read from %d", g[20].Start)
	}
	rec.waitFor(t, EventRotated)
}

// copytruncate: same inode, shrunk below the read offset.
func TestCopyTruncate(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("a", 0, 50))
	rec := &recorder{}
	s := startStream(t, Open(path, Position{}, testOptions(rec)))
	s.take(t, 50)
	truncate(t, path, 0)
	write(t, w, lines("b", 0, 3)) // O_APPEND: lands at the new end
	g := s.take(t, 3)
	wantTexts(t, g, names("b", 0, 3))
	if g[0].Start != 0 {
		t.Fatalf("after truncation read from %d", g[0].Start)
	}
	if ev := rec.waitFor(t, EventTruncated); ev.Offset != 50*int64(len("a-0000\n")) {
		t.Fatalf("truncated event %+v", ev)
	}
}

// Truncated and refilled past our offset before we looked: the size check
// cannot tell, the first line can. Next is driven step by step so that the
// refill surely happens while the follower is not looking.
func TestTruncatedAndRefilled(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("a", 0, 5))
	rec := &recorder{}
	f := Open(path, Position{}, testOptions(rec))
	defer f.Close()
	readN(t, f, 5)
	truncate(t, path, 0)
	write(t, w, lines("b", 0, 8))
	time.Sleep(2 * testPoll) // the check runs at most once per PollInterval
	g := readN(t, f, 8)
	wantTexts(t, g, names("b", 0, 8))
	if g[0].Start != 0 || g[0].File != identify(t, path) {
		t.Fatalf("first line after refill: %+v", g[0])
	}
	if k := rec.kinds(); len(k) != 2 || k[1] != EventReplaced {
		t.Fatalf("events %v, want [opened replaced]", k)
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// An unterminated last line in the old file is never returned; the rotated
// event says how many bytes were dropped.
func TestRotationDropsUnterminatedLine(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("old", 0, 2)+"no newline")
	rec := &recorder{}
	s := startStream(t, Open(path, Position{}, testOptions(rec)))
	g := s.take(t, 2)
	mustRename(t, path, path+".1")
	writeFile(t, path, lines("new", 0, 2))
	g = append(g, s.take(t, 2)...)
	wantTexts(t, g, append(names("old", 0, 2), names("new", 0, 2)...))
	if ev := rec.waitFor(t, EventRotated); !strings.Contains(ev.Detail, "dropped 10 bytes") {
		t.Fatalf("rotated event detail %q does not report the 10 dropped bytes", ev.Detail)
	}
}
