package ingest

import (
	"context"
	"strings"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

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

// importProgress returns the furthest import checkpoint of device for the
// file id, whatever device number it was recorded with.
func importProgress(ctx context.Context, q schema.Querier, device string, id tail.FileID) (schema.Checkpoint, bool, error) {
	cps, err := schema.DeviceCheckpoints(ctx, q, device)
	if err != nil {
		return schema.Checkpoint{}, false, err
	}
	var best schema.Checkpoint
	found := false
	for _, c := range cps {
		f, err := tail.ParseFileID(c.File)
		if err != nil || !strings.HasPrefix(c.Stream, "import:") || !sameFile(f, id) {
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
