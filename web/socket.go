package web

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// The CLI's socket lives in a directory only the service user may enter
// (0700), so no client can reach it before its own mode (0600) is set.
const (
	socketDir  = "run"
	socketName = "activedefense.sock"
)

// maxSocketPath is what fits in sockaddr_un.sun_path with its NUL.
const maxSocketPath = 107

// SocketFile returns where the socket of a data dir is.
func SocketFile(dataDir string) string { return filepath.Join(dataDir, socketDir, socketName) }

// SocketPath returns a name for the socket of dataDir that bind and connect
// accept. A Unix socket path is limited to 107 bytes; for a deeper data dir
// the socket is reached through /proc/self/fd/N, a short name for its
// directory held open (release closes it).
func SocketPath(dataDir string) (path string, release func(), err error) {
	dir := filepath.Join(dataDir, socketDir)
	p := filepath.Join(dir, socketName)
	if len(p) <= maxSocketPath {
		return p, func() {}, nil
	}
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, fmt.Errorf("opening socket dir %s: %w", dir, err)
	}
	short := "/proc/self/fd/" + strconv.Itoa(fd) + "/" + socketName
	if _, err := os.Stat(filepath.Dir(short)); err != nil {
		unix.Close(fd)
		return "", nil, fmt.Errorf("data dir path too long for a Unix socket (%d bytes) and no /proc: %w", len(p), err)
	}
	return short, func() { unix.Close(fd) }, nil
}

// ListenSocket creates the socket directory (0700) and listens on the
// socket (0600) in it, replacing a stale socket file: the caller holds the
// data dir lock, so no other server owns it.
func ListenSocket(dataDir string) (net.Listener, func(), error) {
	dir := filepath.Join(dataDir, socketDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating socket dir: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("restricting socket dir: %w", err)
	}
	path, release, err := SocketPath(dataDir)
	if err != nil {
		return nil, nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		release()
		return nil, nil, fmt.Errorf("removing stale socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		release()
		return nil, nil, fmt.Errorf("listening on socket %s: %w", SocketFile(dataDir), err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		release()
		return nil, nil, fmt.Errorf("restricting socket: %w", err)
	}
	return ln, func() {
		ln.Close()
		_ = os.Remove(path)
		release()
	}, nil
}
