package ingest

import (
	"context"
	"strings"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// Progress is kept per device and file, whichever path reads the file: a
// device's follower checkpoints under the device's name (the file it is
// on), an import under fileStream(device, file), and the follower writes
// that per-file record too when it leaves a file. Whoever reads a file
// next starts from the furthest of the device's records for that file
// (fileProgress), re-sending its batch in flight, if any, under the tokens
// it was first written with. The follower and imports never read one file
// for one device at the same time (files), so the furthest record is
// always the latest.

// fileStream names the per-file checkpoint of device's file id.
func fileStream(device string, id tail.FileID) string { return "file:" + device + ":" + id.String() }

// perFile reports whether stream names a per-file checkpoint (imports
// before per-file records were shared were named "import:…").
func perFile(stream string) bool {
	return strings.HasPrefix(stream, "file:") || strings.HasPrefix(stream, "import:")
}

// sameFile reports whether a and b identify the same file. The device
// number can change across a reboot (LVM, btrfs, NFS), so a different one
// still matches when the inode and a known first line do; with the same
// device number an unknown first line (a pinned empty file) matches too.
func sameFile(a, b tail.FileID) bool {
	if a.Ino != b.Ino {
		return false
	}
	if a.Dev == b.Dev {
		return a.Head == b.Head || a.Head == 0 || b.Head == 0
	}
	return a.Head != 0 && a.Head == b.Head
}

// frontier is how far a checkpoint's file is known to be handled: its
// pending end when a batch was in flight, else its offset.
func frontier(c schema.Checkpoint) uint64 { return max(c.Offset, c.PendingEnd) }

// fileProgress returns the furthest of device's checkpoints for the file
// id, whatever device number it was recorded with.
func fileProgress(ctx context.Context, q schema.Querier, device string, id tail.FileID) (schema.Checkpoint, bool, error) {
	cps, err := schema.DeviceCheckpoints(ctx, q, device)
	if err != nil {
		return schema.Checkpoint{}, false, err
	}
	var best schema.Checkpoint
	found := false
	for _, c := range cps {
		f, err := tail.ParseFileID(c.File)
		if err != nil || !sameFile(f, id) {
			continue
		}
		// Furthest first; at the same frontier a committed one beats a
		// pending one (whoever committed it re-sent that batch).
		if !found || frontier(c) > frontier(best) || frontier(c) == frontier(best) && c.Offset > best.Offset {
			best, found = c, true
		}
	}
	return best, found, nil
}

// fromProgress sets the position fields of c (file, offsets, and the zone
// and time of a batch in flight) from p, keeping c's name and counters.
func fromProgress(c *schema.Checkpoint, p schema.Checkpoint) {
	c.File, c.Offset, c.PendingEnd, c.Timezone, c.Updated = p.File, p.Offset, p.PendingEnd, p.Timezone, p.Updated
}
