package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/schema/chserver"
)

const (
	lockName   = "activedefense.lock"
	socketName = "activedefense.sock"
)

// dataLock is an exclusive flock on the data dir. It tells a CLI command
// and a server apart from a second server: the embedded engine admits one
// process per data dir, and this lock makes that rule ours instead of
// chDB's "Cannot lock file".
type dataLock struct{ f *os.File }

// lockDataDir takes the lock, waiting up to wait for another holder.
func lockDataDir(ctx context.Context, dir string, wait time.Duration) (*dataLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("creating data dir %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return &dataLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking data dir %s: %w", dir, err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("data dir %s is held by process %s: %w", dir, lockHolder(dir), schema.ErrDataDirInUse)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tryLockDataDir takes the lock only if it is free.
func tryLockDataDir(ctx context.Context, dir string) (*dataLock, error) {
	return lockDataDir(ctx, dir, 0)
}

func lockHolder(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, lockName))
	if err != nil || len(strings.TrimSpace(string(b))) == 0 {
		return "(unknown)"
	}
	return strings.TrimSpace(string(b))
}

func (l *dataLock) release() {
	if l != nil && l.f != nil {
		_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
		l.f.Close()
	}
}

// openStore opens the configured engine: a ClickHouse server when a DSN is
// set, else the embedded engine on the data dir. The caller holds the data
// dir lock for the embedded engine.
func (a *app) openStore(ctx context.Context) (schema.Store, error) {
	if a.g.dsn != "" {
		return chserver.Open(ctx, chserver.Options{DSN: a.g.dsn, Cluster: a.g.cluster})
	}
	if a.g.cluster != "" {
		return nil, fmt.Errorf("%w: --clickhouse-cluster needs --clickhouse-dsn", errUsage)
	}
	plan := planMemory(a.g.memoryLimit)
	plan.applyGo(a.env)
	return chembed.Open(ctx, chembed.Options{LibPath: a.g.chdbLib, Path: filepath.Join(a.g.dataDir, "clickhouse"), Engine: plan.engine})
}

// engineVersion asks the store for the engine's version.
func engineVersion(ctx context.Context, st schema.Store) string {
	var v string
	if err := schema.QueryRow(ctx, st, "SELECT version()", nil, &v); err != nil {
		return "unknown"
	}
	return v
}
