//go:build !unix

package tail

import "os"

// devIno is unavailable where os.FileInfo carries no device and inode.
func devIno(os.FileInfo) (dev, ino uint64, ok bool) { return 0, 0, false }
