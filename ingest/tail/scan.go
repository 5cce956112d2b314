package tail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// fill appends the complete lines available in the current file to out,
// reading when the buffer holds none. It returns out unchanged at end of file.
// Reading only happens while out is empty, because making room in the buffer
// would move the bytes that earlier lines' Text points to.
func (f *Follower) fill(out []Line, maxLines, maxBytes int) ([]Line, error) {
	size := 0
	for {
		for maxLines <= 0 || len(out) < maxLines {
			ln, next, ok := f.peek(len(out) == 0)
			if !ok || (len(out) > 0 && maxBytes > 0 && size+len(ln.Text) > maxBytes) {
				break
			}
			if f.src.id.Head == 0 {
				if err := f.learnHead(ln, next); err != nil {
					return out, err
				}
			}
			out = append(out, f.commit(ln, next))
			size += len(ln.Text)
		}
		if len(out) > 0 {
			return out, nil
		}
		if n, err := f.readMore(); err != nil || n == 0 {
			return out, err
		}
	}
}

// peek returns the next complete line in the buffer without consuming it,
// and the buffer index just after it. An over-long line without its '\n' in
// the buffer switches to skipping mode, but only when empty is true (no line
// of this batch points into the buffer).
func (f *Follower) peek(empty bool) (Line, int, bool) {
	limit := f.opts.MaxLineBytes
	i := bytes.IndexByte(f.buf[f.r:f.w], '\n')
	if f.skipping {
		if i < 0 {
			f.r = f.w // discard the middle of the over-long line
			return Line{}, 0, false
		}
		next := f.r + i + 1
		return Line{Text: f.long, Start: f.skipStart, End: f.base + int64(next), TooLong: true}, next, true
	}
	if i < 0 {
		if empty && f.w-f.r >= limit+2 { // no '\n' within limit+2 bytes: too long
			if f.long == nil {
				f.long = make([]byte, limit)
			}
			copy(f.long, f.buf[f.r:f.r+limit])
			f.skipping, f.skipStart = true, f.base+int64(f.r)
			f.r = f.w
		}
		return Line{}, 0, false
	}
	next := f.r + i + 1
	text := f.buf[f.r : next-1]
	if n := len(text); n > 0 && text[n-1] == '\r' {
		text = text[:n-1]
	}
	ln := Line{Text: text, Start: f.base + int64(f.r), End: f.base + int64(next)}
	if len(text) > limit {
		ln.Text, ln.TooLong = text[:limit], true
	}
	return ln, next, true
}

// commit consumes the line peek returned and records it as the resume point.
func (f *Follower) commit(ln Line, next int) Line {
	f.r = next
	f.skipping = false
	ln.File = f.src.id
	f.pos = Position{File: f.src.id, Offset: ln.End}
	if ln.TooLong {
		f.emit(Event{
			Kind: EventTooLong, Path: f.src.path, File: f.src.id, Offset: ln.Start,
			Detail: fmt.Sprintf("line of %d bytes cut to %d", ln.End-ln.Start, len(ln.Text)),
		})
	}
	return ln
}

// learnHead computes the current file's Head when a line is about to be
// returned and the Head is still unknown, so that no returned line and no
// Position carries a zero Head. For the first line it hashes the buffered
// bytes, which are exactly what was read; otherwise it reads the file.
func (f *Follower) learnHead(ln Line, next int) error {
	if ln.Start == 0 && !f.skipping {
		f.setHead(headHash(f.buf[f.r:min(next, f.r+headMax)]))
		return nil
	}
	h, err := headOf(f.src.fd, f.scratch)
	if err != nil {
		return fmt.Errorf("identifying %s: %w", f.src.path, err)
	}
	f.setHead(h)
	return nil
}

// setHead records the newly known Head of the current file.
func (f *Follower) setHead(h uint64) {
	if f.pos.File == f.src.id {
		f.pos.File.Head = h
	}
	f.src.id.Head = h
}

// readMore reads the next bytes of the current file into the buffer and
// returns how many it got (0 at end of file). At most once per PollInterval
// it first checks the file for truncation or replacement.
func (f *Follower) readMore() (int, error) {
	if err := f.verify(); err != nil {
		return 0, err
	}
	f.makeRoom()
	end := min(len(f.buf), f.w+f.opts.ReadBuffer)
	n, err := f.src.fd.ReadAt(f.buf[f.w:end], f.base+int64(f.w))
	f.w += n
	if n > 0 {
		f.lastData = time.Now()
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, fmt.Errorf("reading %s at offset %d: %w", f.src.path, f.base+int64(f.w), err)
	}
	return n, nil
}

// makeRoom moves unconsumed bytes to the front of the buffer and grows it,
// up to max(ReadBuffer, MaxLineBytes+2), when it is full.
func (f *Follower) makeRoom() {
	if f.buf == nil {
		f.buf = make([]byte, f.opts.ReadBuffer)
	}
	if f.r > 0 {
		f.w = copy(f.buf, f.buf[f.r:f.w])
		f.base += int64(f.r)
		f.r = 0
	}
	if f.w < len(f.buf) {
		return
	}
	limit := max(f.opts.ReadBuffer, f.opts.MaxLineBytes+2)
	grown := min(2*len(f.buf), limit)
	if grown <= len(f.buf) {
		panic("BUG: tail: buffer full without a line end or an over-long line")
	}
	nb := make([]byte, grown)
	copy(nb, f.buf[:f.w])
	f.buf = nb
}

// resetBuffer empties the buffer so that reading continues at off.
func (f *Follower) resetBuffer(off int64) {
	f.base, f.r, f.w = off, 0, 0
	f.skipping = false
}
