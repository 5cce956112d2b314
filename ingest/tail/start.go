package tail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// compressedSuffixes mark rotated siblings that cannot hold the start
// position's file: compressing writes a new inode.
var compressedSuffixes = []string{".gz", ".bz2", ".xz", ".zst"}

// ensureOpen opens a file to read if none is open: on the first call it
// resolves the start position, later it polls for the path to appear. It
// reports whether a file is open.
func (f *Follower) ensureOpen() (bool, error) {
	if f.src != nil {
		return true, nil
	}
	if !f.resolved {
		return f.resolveStart()
	}
	return f.openPath()
}

// resolveStart finds where to begin. A zero start position means offset 0 of
// the path's file. Otherwise the start file is looked for at the path, then
// among rotated siblings (it was rotated while we were down); a sibling is
// drained before the path's file is read from 0. When the start file is
// gone, EventCheckpointFileMissing is emitted and the path's file is read
// from 0.
func (f *Follower) resolveStart() (bool, error) {
	src, err := f.openSource(f.path)
	if err != nil {
		return false, err
	}
	want := f.start.File
	if want.IsZero() {
		f.resolved = true
		return f.use(src)
	}
	found, err := f.findStart(src, want)
	if err != nil {
		src.close()
		return false, err
	}
	f.resolved = true
	switch {
	case found == src && src != nil:
		return true, f.resumeAt(src)
	case found != nil:
		src.close()
		err := f.resumeAt(found)
		f.pendingSince = time.Now() // drain it, then move to the path
		return true, err
	}
	f.emit(Event{
		Kind: EventCheckpointFileMissing, Path: f.path, File: want, Offset: f.start.Offset,
		Detail: "the start position's file is neither at the path nor among rotated siblings; its unread lines are lost",
	})
	f.pos = Position{}
	return f.use(src)
}

// findStart returns the start position's file: src (the path's file, may be
// nil), a rotated sibling, or nil. It matches device and inode first; as the
// device number can change across a reboot (LVM, btrfs, NFS), it then falls
// back to the inode and the first line.
func (f *Follower) findStart(src *source, want FileID) (*source, error) {
	if src != nil && sameInode(src.id, want) {
		return src, nil
	}
	sib, err := f.findSibling(want, false)
	if err != nil || sib != nil || want.Head == 0 {
		return sib, err
	}
	if src != nil && renumbered(src.id, want) {
		return src, nil
	}
	return f.findSibling(want, true)
}

// resumeAt starts reading src, which holds the start position's inode, at
// the start offset, unless the file was truncated or replaced since.
func (f *Follower) resumeAt(src *source) error {
	want, off := f.start.File, f.start.Offset
	f.setSource(src, 0)
	fi, err := src.fd.Stat()
	if err != nil {
		return fmt.Errorf("resuming %s: %w", src.path, err)
	}
	ev := Event{Kind: EventResumed, Path: src.path, File: src.id, Offset: off}
	if src.id.Dev != want.Dev {
		ev.Detail = fmt.Sprintf("found by inode and first line; the device number changed from %x to %x", want.Dev, src.id.Dev)
	}
	switch {
	case want.Head != 0 && src.id.Head != want.Head:
		ev.Kind, ev.Detail = EventReplaced, fmt.Sprintf("first line changed since the checkpoint (%s): "+
			"refilled in place, or the file is gone and its inode reused; restarting at 0", want)
	case fi.Size() < off:
		ev.Kind, ev.Detail = EventTruncated, fmt.Sprintf("size %d is below the checkpoint offset; restarting at 0", fi.Size())
	default:
		f.setSource(src, off)
	}
	f.emit(ev)
	return nil
}

// use starts reading src at offset 0, or waits for the path if src is nil.
func (f *Follower) use(src *source) (bool, error) {
	if src == nil {
		f.noteWaiting("the path does not exist")
		return false, nil
	}
	f.setSource(src, 0)
	f.emit(Event{Kind: EventOpened, Path: src.path, File: src.id})
	return true, nil
}

// openPath polls for the path to appear.
func (f *Follower) openPath() (bool, error) {
	src, err := f.openSource(f.path)
	if err != nil {
		return false, err
	}
	return f.use(src)
}

// openSource opens and identifies path; it returns nil if path is missing.
func (f *Follower) openSource(path string) (*source, error) {
	fd, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	id, err := Identify(fd)
	if err != nil {
		_ = fd.Close()
		return nil, err
	}
	return &source{fd: fd, path: path, id: id}, nil
}

// findSibling looks in the path's directory for the file want among rotated
// siblings: names that start with the path's base name (fw1.log.1,
// fw1.log-20261128), compressed ones excepted. It must match want's inode
// and Head, and its device unless anyDev is set. It returns nil if there is
// none.
func (f *Follower) findSibling(want FileID, anyDev bool) (*source, error) {
	dir, base := filepath.Split(f.path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("searching %s for rotated %s: %w", dir, base, err)
	}
	for _, e := range entries {
		name := e.Name()
		if name == base || !strings.HasPrefix(name, base) || compressed(name) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			continue
		} else if id, err := idOf(fi); err != nil || id.Ino != want.Ino || !anyDev && id.Dev != want.Dev {
			continue
		}
		src, err := f.openSource(p)
		if err != nil {
			return nil, err
		}
		if src != nil && (want.Head == 0 || src.id.Head == want.Head) {
			return src, nil
		}
		src.close()
	}
	return nil, nil
}

// compressed reports whether name ends in a compression suffix.
func compressed(name string) bool {
	for _, s := range compressedSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}
