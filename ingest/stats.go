package ingest

import (
	"maps"
	"sync"
	"time"
)

// Status is a snapshot of one stream's progress, for `device list` and,
// later, metrics.
type Status struct {
	Stream       string            `json:"stream"`
	Device       string            `json:"device"`
	Path         string            `json:"path"`
	State        string            `json:"state"` // starting, following, waiting, retrying, stopped, done
	File         string            `json:"file"`
	Offset       int64             `json:"offset"` // read position
	Committed    uint64            `json:"committed"`
	Size         int64             `json:"size"`
	Lines        uint64            `json:"lines"`
	Parsed       uint64            `json:"parsed"`
	Skipped      uint64            `json:"skipped"`
	Rejected     uint64            `json:"rejected"`
	Reasons      map[string]uint64 `json:"reasons,omitempty"`
	RowsInserted uint64            `json:"rows_inserted"`
	Batches      uint64            `json:"batches"`
	InsertTime   time.Duration     `json:"insert_time"` // total time spent in INSERTs
	LastInsert   time.Duration     `json:"last_insert"`
	Newest       time.Time         `json:"newest"` // newest event time stored
	Error        string            `json:"error,omitempty"`
}

// stats is the live, lock-protected Status of a stream.
type stats struct {
	mu sync.Mutex
	s  Status
}

func newStats(stream, device, path string) *stats {
	return &stats{s: Status{Stream: stream, Device: device, Path: path, State: "starting", Reasons: map[string]uint64{}}}
}

func (st *stats) snapshot() Status {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := st.s
	out.Reasons = maps.Clone(st.s.Reasons)
	return out
}

func (st *stats) update(fn func(s *Status)) {
	st.mu.Lock()
	fn(&st.s)
	st.mu.Unlock()
}

// read records a batch's lines when they are handed to the flusher.
func (st *stats) read(b *batch) {
	st.update(func(s *Status) {
		s.Lines += b.counts.lines
		s.Parsed += b.counts.parsed
		s.Skipped += b.counts.skipped
		s.Rejected += b.counts.rejected
		for r, n := range b.reasons {
			s.Reasons[r] += n
		}
	})
}

func (st *stats) state(state, err string) {
	st.update(func(s *Status) { s.State, s.Error = state, err })
}
