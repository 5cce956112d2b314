package ingest

import (
	"context"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// resume returns where to start reading and the batch in flight to re-send
// first, if any. A device stream loads its checkpoint first (loadDevice);
// an import's caller has done the same for its file.
func (s *stream) resume(ctx context.Context) (tail.Position, *schema.Checkpoint, error) {
	if s.until == nil {
		if err := s.loadDevice(ctx); err != nil {
			return tail.Position{}, nil, err
		}
	}
	cp := s.cp
	s.base = countsOf(cp)
	s.stats.update(func(st *Status) {
		st.Lines, st.Parsed, st.Skipped, st.Rejected = cp.Lines, cp.Parsed, cp.Skipped, cp.Rejected
		st.Committed = cp.Offset
	})
	id, err := tail.ParseFileID(cp.File)
	if err != nil || id.IsZero() {
		return tail.Position{}, nil, nil
	}
	// Even when the device now names another path, the checkpointed file is
	// looked for there (and among its rotated siblings): a file that moved
	// is resumed, not read again; another file is read from its start.
	pos := tail.Position{File: id, Offset: int64(cp.Offset)}
	if cp.PendingEnd > cp.Offset && s.from != nil {
		s.log.WithFields(logrus.Fields{"offset": cp.Offset, "pending_end": cp.PendingEnd, "stream": s.from.Stream}).
			Warn("re-sending the batch in flight at the last stop")
		return pos, s.from, nil
	}
	return pos, nil, nil
}

// loadDevice loads a device stream's checkpoint, pinning the path's file
// when there is none, holds that file, and takes the furthest progress
// recorded for it (an import may have gone further).
func (s *stream) loadDevice(ctx context.Context) error {
	own, ok, err := schema.GetCheckpoint(ctx, s.st, s.name)
	if err != nil {
		return err
	}
	s.cp = schema.Checkpoint{Stream: s.name, Device: s.device, Path: s.path}
	if ok {
		s.cp = own
		s.cp.Device, s.cp.Path = s.device, s.path
	}
	id, err := tail.ParseFileID(s.cp.File)
	if err != nil || id.IsZero() {
		if id, err = s.pinFirst(ctx); err != nil {
			return err
		}
	}
	if err := s.hold(ctx, id); err != nil {
		return err
	}
	p, found, err := fileProgress(ctx, s.st, s.device, id)
	if err != nil || !found {
		return err
	}
	fromProgress(&s.cp, p)
	s.from = &p
	return nil
}

// hold takes the file id for this stream's device, waiting while an import
// reads it.
func (s *stream) hold(ctx context.Context, id tail.FileID) error {
	c, err := files.hold(ctx, s.device, id, s.name)
	if err != nil {
		return err
	}
	s.claim = c
	return nil
}

// pinFirst waits for the path's file, then pins it at offset 0 before
// anything is read: if it is rotated before the first batch is written,
// the next start still finds it.
func (s *stream) pinFirst(ctx context.Context) (tail.FileID, error) {
	poll := s.cfg.Tail.PollInterval
	if poll <= 0 {
		poll = tail.DefaultPollInterval
	}
	waiting := false
	for {
		id, err := pin(ctx, s.st, s.cp)
		if err != nil || !id.IsZero() {
			if err == nil {
				s.cp.File = id.String()
			}
			return id, err
		}
		if !waiting {
			waiting = true
			s.stats.state("waiting", "file missing")
			s.log.Info("waiting for the file")
		}
		if !sleep(ctx, poll) {
			return tail.FileID{}, ctx.Err()
		}
	}
}

// handOff records how far this stream got in the file it is leaving under
// that file's own name, so that whoever reads the file next (an import)
// starts there. A batch in flight that is another reader's and was not
// re-sent stays recorded where it is.
func (s *stream) handOff(ctx context.Context) error {
	id, err := tail.ParseFileID(s.cp.File)
	if err != nil || s.claim == nil || !sameFile(id, s.claim.id) || s.cp.Offset == 0 || s.cp.PendingEnd > s.cp.Offset {
		return nil
	}
	h := s.cp
	h.Stream, h.Updated = fileStream(s.device, id), time.Time{}
	h.Lines, h.Parsed = s.cp.Lines-s.base.lines, s.cp.Parsed-s.base.parsed
	h.Skipped, h.Rejected = s.cp.Skipped-s.base.skipped, s.cp.Rejected-s.base.rejected
	return schema.SaveCheckpoint(ctx, s.st, h)
}

// countsOf returns a checkpoint's counters.
func countsOf(c schema.Checkpoint) counts {
	return counts{lines: c.Lines, parsed: c.Parsed, skipped: c.Skipped, rejected: c.Rejected}
}
