package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// maxSocketPath is what fits in sockaddr_un.sun_path with its NUL.
const maxSocketPath = 107

// socketPath returns a name for the control socket in dir that bind and
// connect accept. A Unix socket path is limited to 107 bytes; for a deeper
// data dir the socket is reached through /proc/self/fd/N, a short name for
// the directory held open (release closes it).
func socketPath(dir string) (path string, release func(), err error) {
	p := filepath.Join(dir, socketName)
	if len(p) <= maxSocketPath {
		return p, func() {}, nil
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("opening data dir %s: %w", dir, err)
	}
	short := "/proc/self/fd/" + strconv.Itoa(fd) + "/" + socketName
	if _, err := os.Stat(filepath.Dir(short)); err != nil {
		unix.Close(fd)
		return "", nil, fmt.Errorf("data dir path too long for a Unix socket (%d bytes) and no /proc: %w", len(p), err)
	}
	return short, func() { unix.Close(fd) }, nil
}
