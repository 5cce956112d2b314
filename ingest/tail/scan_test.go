package tail

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

// A last line without its newline is held back until the newline arrives,
// then returned whole with the right offsets.
func TestPartialLastLine(t *testing.T) {
	path := tempPath(t)
	w := openWriter(t, path)
	write(t, w, "one\ntw")
	f := Open(path, Position{}, testOptions(&recorder{}))
	defer f.Close()
	wantTexts(t, readN(t, f, 1), []string{"one"})
	expectNothing(t, f, 5*testPoll)
	write(t, w, "o")
	expectNothing(t, f, 5*testPoll)
	write(t, w, "\n")
	g := readN(t, f, 1)
	if g[0] != (got{Text: "two", File: g[0].File, Start: 4, End: 8}) {
		t.Fatalf("got %+v, want two at [4,8)", g[0])
	}
}

func TestCRLFAndEmptyLines(t *testing.T) {
	path := tempPath(t)
	content := "a\r\n\n\r\nb\r\r\nc\rd\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	f := Open(path, Position{}, testOptions(&recorder{}))
	defer f.Close()
	g := readN(t, f, 5)
	want := []got{
		{Text: "a", Start: 0, End: 3},
		{Text: "", Start: 3, End: 4},
		{Text: "", Start: 4, End: 6},
		{Text: "b\r", Start: 6, End: 10}, // only one "\r" is stripped
		{Text: "c\rd", Start: 10, End: 14},
	}
	for i := range want {
		want[i].File = g[0].File
		if g[i] != want[i] {
			t.Errorf("line %d = %+v, want %+v", i, g[i], want[i])
		}
	}
}

// tooLongCase writes chunks one by one, calling Next in between, and wants
// these lines back with MaxLineBytes 100 and ReadBuffer 64 (or buffer).
type tooLongCase struct {
	name   string
	chunks []string
	want   []got
	events int
	buffer int
}

func tooLongCases() []tooLongCase {
	const m = 100
	long := strings.Repeat("L", 5000)
	huge := strings.Repeat("H", 1<<20)
	return []tooLongCase{
		{name: "exactly MaxLineBytes is fine", chunks: []string{long[:m] + "\nok\n"},
			want: []got{{Text: long[:m], End: m + 1}, {Text: "ok", Start: m + 1, End: m + 4}}},
		{name: "MaxLineBytes plus CRLF is fine", chunks: []string{long[:m] + "\r\nok\n"},
			want: []got{{Text: long[:m], End: m + 2}, {Text: "ok", Start: m + 2, End: m + 5}}},
		{name: "one byte over, newline in the buffer", chunks: []string{long[:m+1] + "\nok\n"}, events: 1,
			want: []got{{Text: long[:m], End: m + 2, TooLong: true}, {Text: "ok", Start: m + 2, End: m + 5}}},
		{name: "far over, in one write", chunks: []string{"a\n" + long + "\r\nok\n"}, events: 1,
			want: []got{{Text: "a", End: 2}, {Text: long[:m], Start: 2, End: 5004, TooLong: true}, {Text: "ok", Start: 5004, End: 5007}}},
		{name: "far over, in pieces with waits at end of file", chunks: []string{long[:50], long[50:1000], long[1000:], "\n", "ok\n"},
			events: 1, want: []got{{Text: long[:m], End: 5001, TooLong: true}, {Text: "ok", Start: 5001, End: 5004}}},
		{name: "a megabyte line", chunks: []string{huge[:1<<19], huge[1<<19:] + "\nok\n"}, events: 1,
			want: []got{{Text: huge[:m], End: 1<<20 + 1, TooLong: true}, {Text: "ok", Start: 1<<20 + 1, End: 1<<20 + 4}}},
		{name: "two in a row with a large buffer", chunks: []string{long + "\n" + long + "\nok\n"}, events: 2, buffer: 64 << 10,
			want: []got{{Text: long[:m], End: 5001, TooLong: true}, {Text: long[:m], Start: 5001, End: 10002, TooLong: true},
				{Text: "ok", Start: 10002, End: 10005}}},
	}
}

// Over-long lines come back once, cut, with the right End, a too_long event,
// and buffers that never grow past their limits.
func TestTooLongLines(t *testing.T) {
	for _, tc := range tooLongCases() {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			opts := testOptions(rec)
			opts.MaxLineBytes, opts.ReadBuffer = 100, 64
			if tc.buffer > 0 {
				opts.ReadBuffer = tc.buffer
			}
			f, g := writeAndRead(t, tc.chunks, len(tc.want), opts)
			for i := range tc.want {
				tc.want[i].File = g[0].File
				if g[i] != tc.want[i] {
					t.Errorf("line %d = %+v\nwant %+v", i, short(g[i]), short(tc.want[i]))
				}
			}
			if n := countKind(rec, EventTooLong); n != tc.events {
				t.Errorf("%d too_long events, want %d", n, tc.events)
			}
			if limit := max(opts.ReadBuffer, opts.MaxLineBytes+2); cap(f.buf) > limit || cap(f.long) > opts.MaxLineBytes {
				t.Errorf("buffers grew to %d and %d bytes, limits %d and %d", cap(f.buf), cap(f.long), limit, opts.MaxLineBytes)
			}
		})
	}
}

// writeAndRead writes chunks to a new file, calling Next after each, and
// returns the Follower and the first n lines it returned.
func writeAndRead(t *testing.T, chunks []string, n int, opts Options) (*Follower, []got) {
	t.Helper()
	path := tempPath(t)
	w := openWriter(t, path)
	f := Open(path, Position{}, opts)
	t.Cleanup(func() { _ = f.Close() })
	var g []got
	for _, c := range chunks {
		write(t, w, c)
		ctx, cancel := context.WithTimeout(context.Background(), 3*testPoll)
		lines, _ := f.Next(ctx, nil, 0, 0)
		cancel()
		g = append(g, copyLines(lines)...)
	}
	if len(g) < n {
		g = append(g, readN(t, f, n-len(g))...)
	}
	return f, g
}

func short(g got) got {
	if len(g.Text) > 12 {
		g.Text = fmt.Sprintf("%s…(%d bytes)", g.Text[:12], len(g.Text))
	}
	return g
}

func countKind(r *recorder, kind string) int {
	n := 0
	for _, k := range r.kinds() {
		if k == kind {
			n++
		}
	}
	return n
}

func TestBatchLimits(t *testing.T) {
	path := tempPath(t)
	// ten lines of 10 bytes of Text each
	if err := os.WriteFile(path, []byte(strings.Repeat("0123456789\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name          string
		max, maxBytes int
		want          []int // batch sizes
	}{
		{"no limits", 0, 0, []int{10}},
		{"max lines", 4, 0, []int{4, 4, 2}},
		{"max bytes", 0, 35, []int{3, 3, 3, 1}},
		{"max bytes below one line still returns one", 0, 5, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		{"both", 2, 35, []int{2, 2, 2, 2, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Open(path, Position{}, testOptions(&recorder{}))
			defer f.Close()
			var sizes []int
			var buf []Line
			for range tc.want {
				var err error
				if buf, err = f.Next(context.Background(), buf, tc.max, tc.maxBytes); err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(buf))
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tc.want) {
				t.Fatalf("batch sizes %v, want %v", sizes, tc.want)
			}
		})
	}
}

// TestOffsetsProperty writes random lines (CRLF, empty, over-long, crossing
// every buffer boundary) in random pieces and reads them back with random
// buffer sizes and batch limits. Every line must come back once, in order,
// with End == Start + its raw length, contiguous, and cut only if too long.
func TestOffsetsProperty(t *testing.T) {
	for seed := range uint64(300) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			checkRandomFile(t, rand.New(rand.NewPCG(seed, 0x5eed)))
		})
	}
}

func checkRandomFile(t *testing.T, rng *rand.Rand) {
	raw := randomLines(rng)
	opts := testOptions(&recorder{})
	opts.ReadBuffer = 1 + rng.IntN(300)
	opts.MaxLineBytes = 1 + rng.IntN(250)
	path := tempPath(t)
	w := openWriter(t, path)
	f := Open(path, Position{}, opts)
	defer f.Close()

	all := []byte(strings.Join(raw, ""))
	var g []got
	for written := 0; written < len(all); {
		n := min(len(all)-written, 1+rng.IntN(400))
		write(t, w, string(all[written:written+n]))
		written += n
		complete := bytes.Count(all[:written], []byte("\n"))
		for len(g) < complete { // Next must not block: a line is there
			lines, err := f.Next(context.Background(), nil, rng.IntN(5), rng.IntN(300))
			if err != nil {
				t.Fatal(err)
			}
			g = append(g, copyLines(lines)...)
		}
	}
	checkAgainstRaw(t, g, raw, opts)
	if p := f.Position(); p.Offset != int64(len(all)) || p.File != g[0].File {
		t.Fatalf("Position = %+v, want offset %d", p, len(all))
	}
}

// checkAgainstRaw compares the lines read with the raw lines written.
func checkAgainstRaw(t *testing.T, g []got, raw []string, opts Options) {
	t.Helper()
	if len(g) != len(raw) {
		t.Fatalf("got %d lines, want %d", len(g), len(raw))
	}
	var off int64
	for i, r := range raw {
		want := got{Text: strings.TrimSuffix(strings.TrimSuffix(r, "\n"), "\r"), File: g[0].File, Start: off, End: off + int64(len(r))}
		if len(want.Text) > opts.MaxLineBytes {
			want.Text, want.TooLong = want.Text[:opts.MaxLineBytes], true
		}
		if g[i] != want {
			t.Fatalf("line %d (buffer %d, max %d): got %+v, want %+v", i, opts.ReadBuffer, opts.MaxLineBytes, short(g[i]), short(want))
		}
		off = want.End
	}
}

// randomLines returns 1–80 raw lines, each ending in "\n" or "\r\n".
func randomLines(rng *rand.Rand) []string {
	out := make([]string, 1+rng.IntN(80))
	for i := range out {
		n := rng.IntN(300)
		if rng.IntN(10) == 0 {
			n = 0
		}
		b := make([]byte, n)
		for j := range b {
			b[j] = "abcdefghij \t\r"[rng.IntN(13)]
		}
		if rng.IntN(3) == 0 {
			b = append(b, '\r')
		}
		out[i] = string(append(b, '\n'))
	}
	return out
}
