package tail

import (
	"hash/fnv"
	"io"
	"math"
	"os"
	"strings"
	"testing"
)

func TestFileIDStringRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		id   FileID
		want string
	}{
		{"zero", FileID{}, "0:0:0000000000000000"},
		{"typical", FileID{Dev: 0x803, Ino: 0x1a2b, Head: 0xdeadbeef}, "803:1a2b:00000000deadbeef"},
		{"max", FileID{math.MaxUint64, math.MaxUint64, math.MaxUint64}, "ffffffffffffffff:ffffffffffffffff:ffffffffffffffff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if s := tc.id.String(); s != tc.want {
				t.Fatalf("String() = %q, want %q", s, tc.want)
			}
			back, err := ParseFileID(tc.want)
			if err != nil || back != tc.id {
				t.Fatalf("ParseFileID(%q) = %v, %v; want %v", tc.want, back, err, tc.id)
			}
			if back.IsZero() != (tc.id == FileID{}) {
				t.Fatalf("IsZero() = %v", back.IsZero())
			}
		})
	}
}

func TestParseFileIDErrors(t *testing.T) {
	tests := []struct{ in, wantErr string }{
		{"", "want dev:ino:head"},
		{"1:2", "want dev:ino:head"},
		{"1:2:3:4", "want dev:ino:head"},
		{"1:x:3", "invalid syntax"},
		{"1:2:10000000000000000", "value out of range"},
		{"-1:2:3", "invalid syntax"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseFileID(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("ParseFileID(%q) error = %v, want it to contain %q", tc.in, err, tc.wantErr)
			}
		})
	}
}

func fnvOf(s string) uint64 {
	h := fnv.New64a()
	_, _ = io.WriteString(h, s)
	return h.Sum64()
}

func TestIdentifyHead(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name    string
		content string
		want    uint64
	}{
		{"empty file", "", 0},
		{"first line incomplete", "abc", 0},
		{"one line", "abc\n", fnvOf("abc\n")},
		{"only the first line counts", "abc\ndef\n", fnvOf("abc\n")},
		{"CRLF is hashed as written", "abc\r\ndef", fnvOf("abc\r\n")},
		{"empty first line", "\nabc\n", fnvOf("\n")},
		{"4095 bytes, no newline yet", long[:4095], 0},
		{"line of exactly 4096 bytes with newline", long[:4095] + "\n", fnvOf(long[:4095] + "\n")},
		{"4096 bytes, no newline", long[:4096], fnvOf(long[:4096])},
		{"long first line uses 4096 bytes", long + "\n", fnvOf(long[:4096])},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tempPath(t)
			writeFile(t, path, tc.content)
			checkIdentify(t, path, tc.want)
		})
	}
}

// checkIdentify checks the Head Identify computes for path, and that
// Identify leaves the file offset alone.
func checkIdentify(t *testing.T, path string, want uint64) {
	t.Helper()
	fd, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fd.Close()
	if _, err := fd.Seek(1, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	id, err := Identify(fd)
	if err != nil {
		t.Fatal(err)
	}
	if id.Head != want || id.Ino == 0 {
		t.Fatalf("Identify = %v, want Head %016x and an inode", id, want)
	}
	if off, _ := fd.Seek(0, io.SeekCurrent); off != 1 {
		t.Fatalf("Identify moved the file offset to %d", off)
	}
}

func TestFileIDStableAcrossRenameAndAppend(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, lines("a", 0, 3))
	before := identify(t, path)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(t, w, lines("a", 3, 3))
	if after := identify(t, path+".1"); after != before {
		t.Fatalf("identity changed across rename and append: %v → %v", before, after)
	}
}

// A file whose first line is incomplete has Head 0, and so has Position, but
// once a line was returned neither the line nor Position carries a zero Head.
func TestHeadKnownOnceALineIsReturned(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, "first")
	f := Open(path, Position{}, testOptions(&recorder{}))
	defer f.Close()
	expectNothing(t, f, 5*testPoll)
	if p := f.Position(); p.File.Head != 0 || p.File.Ino == 0 || p.Offset != 0 {
		t.Fatalf("Position before the first line = %+v, want the file at 0 with Head 0", p)
	}
	write(t, w, " line\nsecond\n")
	g := readN(t, f, 2)
	want := identify(t, path)
	if want.Head != fnvOf("first line\n") {
		t.Fatalf("Identify Head = %016x", want.Head)
	}
	for _, l := range g {
		if l.File != want {
			t.Fatalf("line %q File = %v, want %v", l.Text, l.File, want)
		}
	}
	if p := f.Position(); p != (Position{File: want, Offset: int64(len("first line\nsecond\n"))}) {
		t.Fatalf("Position = %+v", p)
	}
}

// The Head is learned from the file when the first line returned is an
// over-long one (its bytes are not kept).
func TestHeadKnownAfterOverlongFirstLine(t *testing.T) {
	path := tempPath(t)
	if err := os.WriteFile(path, []byte(strings.Repeat("y", 300)+"\nok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(&recorder{})
	opts.MaxLineBytes, opts.ReadBuffer = 10, 16
	f := Open(path, Position{}, opts)
	defer f.Close()
	g := readN(t, f, 2)
	if want := identify(t, path); g[0].File != want || !g[0].TooLong || f.Position().File != want {
		t.Fatalf("line %+v, Position %+v; want File %v", g[0], f.Position(), want)
	}
}
