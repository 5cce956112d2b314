package ingest

import (
	"context"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// follow makes a device stream hold the file a line comes from. When the
// follower moved on to another file (rotation, or a start file that was
// gone), the batches of the file it leaves are written first and its
// progress recorded for whoever reads it next (handOff); then the new file
// is held, waiting while an import reads it, and read from its furthest
// recorded progress. It returns false when ctx ended or a flush failed.
func (r *reader) follow(ctx context.Context, id tail.FileID) bool {
	held := r.s.claim.id
	if sameFile(id, held) {
		if id != held {
			files.update(r.s.claim, id) // its first line or current device number is known now
		}
		return true
	}
	r.hand()
	if !r.idle(ctx) || r.s.failed.Load() || !r.retry(ctx, r.s.handOff) {
		return false
	}
	files.release(r.s.claim)
	r.s.claim = nil
	if err := r.s.hold(ctx, id); err != nil {
		return false
	}
	r.s.base = countsOf(r.s.cp)
	var p schema.Checkpoint
	var found bool
	if !r.retry(ctx, func(ctx context.Context) (err error) {
		p, found, err = fileProgress(ctx, r.s.st, r.s.device, id)
		return err
	}) {
		return false
	}
	r.skipTo, r.lastEnd = 0, 0
	r.setPending(nil)
	if found {
		r.skipTo = int64(p.Offset)
		if p.PendingEnd > p.Offset {
			r.setPending(&p)
		}
		r.s.log.WithFields(logrus.Fields{"offset": p.Offset, "pending_end": p.PendingEnd, "stream": p.Stream}).
			Info("file read before: continuing from its recorded progress")
	}
	return true
}

// idle waits until the flusher has written every batch handed to it: both
// batches are back in the pool (or in the reader's hands).
func (r *reader) idle(ctx context.Context) bool {
	n := 2
	if r.b != nil {
		n = 1
	}
	got := make([]*batch, 0, n)
	defer func() {
		for _, b := range got {
			r.pool <- b
		}
	}()
	for len(got) < n {
		select {
		case b := <-r.pool:
			got = append(got, b)
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// retry runs fn until it succeeds, backing off while the store fails, or
// until ctx ends.
func (r *reader) retry(ctx context.Context, fn func(context.Context) error) bool {
	wait := r.s.cfg.RetryMin
	for {
		err := fn(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		r.s.log.WithError(err).WithField("retry_in", wait.String()).Warn("recording file progress failed")
		r.s.stats.state("retrying", err.Error())
		if !sleep(ctx, wait) {
			return false
		}
		wait = min(wait*2, r.s.cfg.RetryMax)
	}
}
