package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// backendWait bounds how long a CLI command waits for a data dir that is
// locked by a server still starting up (or by another CLI command).
const backendWait = 60 * time.Second

// backend returns where a CLI command runs: the running server's control
// socket when one answers in the data dir; otherwise a store opened here
// (the embedded engine under the data dir lock, or the configured server).
// A store opened here is migrated first, so commands work on a fresh dir.
func (a *app) backend(ctx context.Context) (backend, error) {
	if r, ok := dialControl(ctx, a.g.dataDir); ok {
		return r, nil
	}
	if a.g.dsn != "" {
		return a.localBackend(ctx, nil)
	}
	deadline := time.Now().Add(backendWait)
	for {
		lock, err := tryLockDataDir(ctx, a.g.dataDir)
		if err == nil {
			return a.localBackend(ctx, lock)
		}
		if !errors.Is(err, schema.ErrDataDirInUse) {
			return nil, err
		}
		if r, ok := dialControl(ctx, a.g.dataDir); ok {
			return r, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waiting %s for the data dir: %w", backendWait, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (a *app) localBackend(ctx context.Context, lock *dataLock) (backend, error) {
	st, err := a.openStore(ctx)
	if err != nil {
		lock.release()
		return nil, err
	}
	closeAll := func() error {
		err := st.Close()
		lock.release()
		return err
	}
	if _, err := migrate(ctx, st, 0); err != nil {
		closeAll()
		return nil, err
	}
	return &localOps{st: st, log: a.log.WithField("component", "cli"), close: closeAll}, nil
}
