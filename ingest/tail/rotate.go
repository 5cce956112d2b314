package tail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// verify checks, at most once per PollInterval, that the current file was
// not truncated below what was read (copytruncate) and that its first line
// is unchanged (truncated and refilled past the read offset). Either way
// reading restarts at offset 0.
func (f *Follower) verify() error {
	now := time.Now()
	if now.Sub(f.checked) < f.opts.PollInterval {
		return nil
	}
	f.checked = now
	fi, err := f.src.fd.Stat()
	if err != nil {
		return fmt.Errorf("checking %s for truncation: %w", f.src.path, err)
	}
	if readOff := f.base + int64(f.w); fi.Size() < readOff {
		return f.restart(EventTruncated, fmt.Sprintf("size %d is below read offset %d", fi.Size(), readOff))
	}
	head, err := headOf(f.src.fd, f.scratch)
	if err != nil {
		return fmt.Errorf("checking %s for truncation: %w", f.src.path, err)
	}
	switch {
	case f.src.id.Head == 0:
		f.setHead(head)
	case head != f.src.id.Head:
		return f.restart(EventReplaced, fmt.Sprintf("first line changed (head %016x, was %016x)", head, f.src.id.Head))
	}
	return nil
}

// restart rereads the current file from offset 0 after it was truncated or
// replaced in place, and reports kind.
func (f *Follower) restart(kind, detail string) error {
	head, err := headOf(f.src.fd, f.scratch)
	if err != nil {
		return fmt.Errorf("identifying %s: %w", f.src.path, err)
	}
	readOff := f.base + int64(f.w)
	f.src.id.Head = head
	f.resetBuffer(0)
	f.pos = Position{File: f.src.id, Offset: 0}
	f.emit(Event{Kind: kind, Path: f.src.path, File: f.src.id, Offset: readOff, Detail: detail + "; restarting at 0"})
	return nil
}

// checkRotation runs at end of file. When the path names another file (or
// none), the current file is drained: the follower keeps reading it until it
// has been idle for RotateGrace since both the last data and the moment the
// change was seen, then moves to the path's file.
func (f *Follower) checkRotation(now time.Time) (bool, error) {
	fi, err := os.Stat(f.path)
	missing := errors.Is(err, fs.ErrNotExist)
	if err != nil && !missing {
		return false, fmt.Errorf("checking %s for rotation: %w", f.path, err)
	}
	if !missing {
		id, err := idOf(fi)
		if err != nil {
			return false, fmt.Errorf("checking %s for rotation: %w", f.path, err)
		}
		if sameInode(id, f.src.id) {
			f.pendingSince = time.Time{}
			return false, nil
		}
	}
	if f.pendingSince.IsZero() {
		f.pendingSince = now
	}
	idle := now.Sub(f.pendingSince)
	if f.lastData.After(f.pendingSince) {
		idle = now.Sub(f.lastData)
	}
	if idle < f.opts.RotateGrace {
		return false, nil
	}
	if missing {
		f.noteWaiting("drained the old file; waiting for the path to reappear")
		return false, nil
	}
	return f.rotate()
}

// rotate closes the drained file and opens the path's new file at offset 0.
func (f *Follower) rotate() (bool, error) {
	src, err := f.openSource(f.path)
	if err != nil || src == nil {
		return false, err
	}
	if sameInode(src.id, f.src.id) { // the path came back to our file
		src.close()
		f.pendingSince = time.Time{}
		return false, nil
	}
	detail := fmt.Sprintf("drained %s (%s) up to offset %d", f.src.path, f.src.id, f.pos.Offset)
	if lost := f.incomplete(); lost > 0 {
		detail += fmt.Sprintf("; dropped %d bytes of an unterminated last line", lost)
	}
	f.setSource(src, 0)
	f.emit(Event{Kind: EventRotated, Path: f.path, File: src.id, Offset: 0, Detail: detail})
	return true, nil
}

// incomplete returns how many bytes after the resume point were read but
// belong to no complete line.
func (f *Follower) incomplete() int64 {
	if f.skipping {
		return f.base + int64(f.w) - f.skipStart
	}
	return int64(f.w - f.r)
}

// setSource makes src the current file, closing the previous one, and
// positions reading at off.
func (f *Follower) setSource(src *source, off int64) {
	if f.src != src {
		f.src.close()
	}
	f.src = src
	f.resetBuffer(off)
	f.pos = Position{File: src.id, Offset: off}
	now := time.Now()
	f.checked, f.lastData, f.pendingSince = now, now, time.Time{}
	f.waited = false
}

// noteWaiting emits EventWaiting once per wait.
func (f *Follower) noteWaiting(detail string) {
	if f.waited {
		return
	}
	f.waited = true
	f.emit(Event{Kind: EventWaiting, Path: f.path, File: f.pos.File, Offset: f.pos.Offset, Detail: detail})
}
