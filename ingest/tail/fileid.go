package tail

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// headMax is how many bytes of a file's first line go into FileID.Head.
const headMax = 4096

// FileID identifies one file across renames: its device and inode numbers
// plus a hash of its first line. The hash tells a file apart from a later
// file that reuses the inode, or from the same inode after copytruncate and
// refill.
type FileID struct {
	Dev, Ino uint64
	// Head is the FNV-1a 64 hash of the file's first line including its
	// '\n', or of its first 4096 bytes when the first line is longer.
	// 0 means not yet known: the file holds no complete first line.
	Head uint64
}

// String returns the stable text form "dev:ino:head" in lowercase hex, with
// head always 16 digits. ParseFileID reverses it. The form is stored in
// ClickHouse and in deduplication tokens, so it must never change.
func (id FileID) String() string {
	return fmt.Sprintf("%x:%x:%016x", id.Dev, id.Ino, id.Head)
}

// IsZero reports whether id is the zero FileID (no file).
func (id FileID) IsZero() bool { return id == FileID{} }

// ParseFileID parses the form written by FileID.String.
func ParseFileID(s string) (FileID, error) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return FileID{}, fmt.Errorf("parsing file id %q: want dev:ino:head", s)
	}
	var v [3]uint64
	for i, p := range parts {
		n, err := strconv.ParseUint(p, 16, 64)
		if err != nil {
			return FileID{}, fmt.Errorf("parsing file id %q: %w", s, err)
		}
		v[i] = n
	}
	return FileID{Dev: v[0], Ino: v[1], Head: v[2]}, nil
}

// Identify computes the FileID of an open file. It reads at most the first
// 4096 bytes with ReadAt, so the file offset of fd is left unchanged.
func Identify(fd *os.File) (FileID, error) {
	fi, err := fd.Stat()
	if err != nil {
		return FileID{}, fmt.Errorf("identifying %s: %w", fd.Name(), err)
	}
	id, err := idOf(fi)
	if err != nil {
		return FileID{}, fmt.Errorf("identifying %s: %w", fd.Name(), err)
	}
	id.Head, err = headOf(fd, make([]byte, headMax))
	if err != nil {
		return FileID{}, fmt.Errorf("identifying %s: %w", fd.Name(), err)
	}
	return id, nil
}

// idOf returns the device and inode of fi, with a zero Head.
func idOf(fi os.FileInfo) (FileID, error) {
	dev, ino, ok := devIno(fi)
	if !ok {
		return FileID{}, errors.New("device and inode numbers unavailable on this platform")
	}
	return FileID{Dev: dev, Ino: ino}, nil
}

// sameInode reports whether a and b name the same device and inode.
func sameInode(a, b FileID) bool { return a.Dev == b.Dev && a.Ino == b.Ino }

// renumbered reports whether a is b on a file system whose device number
// changed: same inode and the same known first line.
func renumbered(a, b FileID) bool { return a.Ino == b.Ino && b.Head != 0 && a.Head == b.Head }

// headOf hashes the first line of fd, using scratch (len ≥ headMax) as the
// read buffer. It returns 0 when the file holds no complete first line yet.
func headOf(fd *os.File, scratch []byte) (uint64, error) {
	n, err := fd.ReadAt(scratch[:headMax], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("reading first line: %w", err)
	}
	return headHash(scratch[:n]), nil
}

// headHash returns the Head of a file that starts with b (at most headMax
// bytes of it): the hash of the first line, of all headMax bytes when no
// '\n' occurs in them, or 0 when b is shorter and holds no '\n'.
func headHash(b []byte) uint64 {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else if len(b) < headMax {
		return 0
	}
	return fnv1a(b)
}

// fnv1a is the 64-bit FNV-1a hash, never 0 so that 0 can mean "unknown".
func fnv1a(b []byte) uint64 {
	const (
		offset64 = 14695981039346656037
		prime64  = 1099511628211
	)
	h := uint64(offset64)
	for _, c := range b {
		h ^= uint64(c)
		h *= prime64
	}
	if h == 0 {
		h = 1
	}
	return h
}
