package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/activedefense/activedefense/ingest/panos"
	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// reader is the reading half of a stream: it fills batches from the
// follower and hands them to the flusher.
type reader struct {
	s       *stream
	f       *tail.Follower
	pool    chan *batch
	queue   chan *batch
	pending *schema.Checkpoint // the batch to re-send first, if any
	b       *batch
	parser  *panos.Parser
	// recParser parses a re-sent batch in the time zone it was first parsed
	// in, so its rows fall on the same days and get the same tokens.
	recParser *panos.Parser
	rec       panos.Record
	buf       []tail.Line
	// skipTo drops the lines of the current file that end at or before it:
	// another reader stored them. lastEnd is the end of the last line seen.
	skipTo, lastEnd int64
}

// loop reads until ctx is done or an import reaches its end. Returning
// hands the partial batch to the flusher; lines read but not yet in a
// submitted batch are simply read again at the next start.
func (r *reader) loop(ctx context.Context) error {
	r.parser = panos.NewParser(panos.Options{Location: r.s.loc})
	r.setPending(r.pending)
	r.s.stats.state("following", "")
	for {
		if r.s.until != nil && r.atEnd() {
			r.submit()
			r.s.stats.state("done", "")
			return errDone
		}
		if !r.take(ctx) {
			return nil
		}
		lines, err := r.next(ctx)
		r.position()
		switch {
		case ctx.Err() != nil:
			r.submit()
			return nil
		case errors.Is(err, context.DeadlineExceeded):
			r.submit()
			continue
		case err != nil:
			r.s.log.WithError(err).Warn("reading failed")
			r.s.stats.state("retrying", err.Error())
			if !sleep(ctx, r.s.cfg.RetryMin) {
				r.submit()
				return nil
			}
			continue
		}
		for _, ln := range lines {
			if r.s.until != nil && ln.File != r.s.until.File {
				r.submit()
				return fmt.Errorf("importing %s: the file was truncated or replaced during the import", r.s.path)
			}
			if r.s.until == nil && !r.follow(ctx, ln.File) {
				return nil
			}
			if r.skip(ln) {
				continue
			}
			if !r.add(ctx, ln) {
				return nil
			}
		}
		r.buf = lines
	}
}

// setPending sets the batch to re-send first, and the parser for it: in
// the time zone it was first parsed in, so its rows fall on the same days
// and get the same tokens.
func (r *reader) setPending(p *schema.Checkpoint) {
	r.pending, r.recParser = p, r.parser
	if p != nil && p.Timezone != zoneName(r.s.loc) {
		if loc, err := location(p.Timezone); err == nil {
			r.recParser = panos.NewParser(panos.Options{Location: loc})
		}
	}
}

// skip reports whether ln was stored by another reader of its file. When
// offsets go back (the file was truncated and is read again), nothing is
// skipped any more.
func (r *reader) skip(ln tail.Line) bool {
	if ln.Start < r.lastEnd {
		r.skipTo = 0
	}
	r.lastEnd = ln.End
	return ln.End <= r.skipTo
}

// next waits for lines until the current batch's flush deadline.
func (r *reader) next(ctx context.Context) ([]tail.Line, error) {
	if r.b.empty() || r.b.recovery {
		return r.f.Next(ctx, r.buf[:0], linesPerRead, bytesPerRead)
	}
	dctx, cancel := context.WithDeadline(ctx, r.b.first.Add(r.s.cfg.FlushInterval))
	defer cancel()
	lines, err := r.f.Next(dctx, r.buf[:0], linesPerRead, bytesPerRead)
	if err != nil && ctx.Err() == nil && dctx.Err() != nil {
		err = context.DeadlineExceeded
	}
	return lines, err
}

// take makes sure a batch is at hand, waiting for the flusher to free one.
func (r *reader) take(ctx context.Context) bool {
	if r.b != nil {
		return true
	}
	select {
	case r.b = <-r.pool:
		return true
	case <-ctx.Done():
		return false
	}
}

// add puts one line into the current batch, cutting the batch where the
// file changes, where a re-sent batch ends, or when it is full.
func (r *reader) add(ctx context.Context, ln tail.Line) bool {
	if !r.take(ctx) {
		return false
	}
	b := r.b
	if !b.empty() && (ln.File != b.file || b.recovery && ln.End > b.limit) {
		// The file changed (or a re-sent batch is complete): a re-sent
		// batch cut short here can never be completed, its lines are gone.
		r.hand()
		if !r.take(ctx) {
			return false
		}
		b = r.b
	}
	if b.empty() {
		r.begin(b, ln)
	}
	p := r.parser
	if b.recovery {
		p = r.recParser
	}
	r.s.parse(p, &r.rec, b, ln)
	b.end = ln.End
	if b.recovery && b.end >= b.limit || !b.recovery && r.full(b) {
		r.submit()
	}
	return true
}

func (r *reader) begin(b *batch, ln tail.Line) {
	b.zone, b.tokenStream = zoneName(r.s.loc), r.s.name
	if p := r.pending; p != nil {
		r.pending = nil
		if id, err := tail.ParseFileID(p.File); err == nil && sameFile(ln.File, id) && uint64(ln.Start) == p.Offset {
			b.recovery, b.limit, b.at, b.saved, b.zone = true, int64(p.PendingEnd), p.Updated, true, p.Timezone
			b.tokenStream, b.tokenFile = p.Stream, p.File
		}
	}
	b.begin(ln.File, ln.Start, time.Now())
}

func (r *reader) full(b *batch) bool {
	return b.counts.lines >= uint64(r.s.cfg.BatchRows) || b.size >= r.s.cfg.BatchBytes ||
		r.s.buffered.Load() >= r.s.cfg.MaxBufferedBytes
}

// submit hands the current batch to the flusher, except a re-sent batch
// that is not complete yet: written short under the tokens of the whole
// batch, its missing lines would later be dropped as duplicates (or, after
// a short commit, stored twice). It is dropped instead, and its intent
// checkpoint stays for the next start.
func (r *reader) submit() {
	if r.b != nil && r.b.recovery && r.b.end < r.b.limit {
		r.s.buffered.Add(-int64(r.b.size))
		r.b.reset()
		r.pool <- r.b
		r.b = nil
		return
	}
	r.hand()
}

// hand gives the current batch, if it has lines, to the flusher. The
// flusher keeps draining after cancellation, so this send cannot block
// forever.
func (r *reader) hand() {
	if r.b == nil || r.b.empty() {
		return
	}
	r.s.stats.read(r.b)
	r.queue <- r.b
	r.b = nil
}

func (r *reader) position() {
	path, id, off, size := r.f.Stat()
	r.s.stats.update(func(st *Status) {
		st.Path, st.File, st.Offset, st.Size = path, id.String(), off, size
		if st.State == "starting" || st.State == "waiting" && size > 0 {
			st.State = "following"
		}
	})
}

// atEnd reports whether an import has read up to its last newline.
func (r *reader) atEnd() bool {
	pos := r.f.Position()
	if r.s.until.Offset == 0 {
		return true
	}
	return pos.File == r.s.until.File && pos.Offset >= r.s.until.Offset
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
