package ingest

import (
	"hash/fnv"
	"slices"
	"strconv"
	"time"

	"github.com/activedefense/activedefense/ingest/tail"
)

// batch is the unit of exactly-once delivery: the lines [start, end) of one
// file of one stream, parsed into firewall_logs rows grouped by daily
// partition (an INSERT is atomic only within one partition), plus the
// rejected lines. Its deduplication tokens derive from (stream, file, start,
// tokenEnd, partition), so re-sending the same batch after a crash is a
// no-op for the engine.
type batch struct {
	file     tail.FileID
	start    int64
	end      int64
	at       time.Time // batch time: stamps rejected rows; persisted in the intent
	zone     string    // time zone the lines were parsed in; persisted in the intent
	first    time.Time // when the first line arrived (flush deadline)
	days     map[int64]*logBlock
	rejects  *rejectBlock
	size     int // bytes of line text taken in
	counts   counts
	reasons  map[string]uint64
	newest   time.Time
	recovery bool  // re-sending the pending batch of a checkpoint
	limit    int64 // recovery: the pending end offset
	saved    bool  // intent checkpoint written
	inserted map[string]bool
	// tokenStream and tokenFile name the batch in its tokens: the stream
	// and the file identity as first written (a re-sent batch keeps them
	// even if the file's device number changed since).
	tokenStream, tokenFile string
}

// counts are the per-line outcomes.
type counts struct {
	lines, parsed, skipped, rejected uint64
}

func newBatch() *batch {
	return &batch{days: map[int64]*logBlock{}, rejects: newRejectBlock(), reasons: map[string]uint64{},
		inserted: map[string]bool{}}
}

func (b *batch) empty() bool { return b.counts.lines == 0 }

// begin starts the batch at a line.
func (b *batch) begin(file tail.FileID, start int64, now time.Time) {
	b.file, b.start, b.end = file, start, start
	b.first = now
	if b.at.IsZero() {
		b.at = now
	}
}

// reset empties the batch for reuse. It keeps the buffers of a day block
// that was well used, and drops the others (a day that is over, or a burst
// long past), so an idle stream does not hold the memory of its busiest
// batch and the day map does not grow with the calendar.
func (b *batch) reset() {
	for d, lb := range b.days {
		if n := lb.rows(); n == 0 || lb.capacity() > 4096 && lb.capacity() > 4*n {
			delete(b.days, d)
			continue
		}
		lb.reset()
	}
	b.rejects.reset()
	clear(b.reasons)
	clear(b.inserted)
	b.file, b.start, b.end, b.size = tail.FileID{}, 0, 0, 0
	b.at, b.first, b.newest, b.zone = time.Time{}, time.Time{}, time.Time{}, ""
	b.counts = counts{}
	b.recovery, b.limit, b.saved = false, 0, false
	b.tokenStream, b.tokenFile = "", ""
}

// day returns the block of the UTC day of t.
func (b *batch) day(t time.Time) *logBlock {
	d := t.Unix() / 86400
	if t.Unix() < 0 {
		d = 0
	}
	lb := b.days[d]
	if lb == nil {
		lb = newLogBlock()
		b.days[d] = lb
	}
	return lb
}

// dayKeys lists the days holding rows, in order.
func (b *batch) dayKeys() []int64 {
	keys := make([]int64, 0, len(b.days))
	for k, lb := range b.days {
		if lb.rows() > 0 {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// tokenEnd is the end offset named in the tokens: the intended end for a
// recovered batch (which may come back shorter), else the real end.
func (b *batch) tokenEnd() int64 {
	if b.recovery {
		return b.limit
	}
	return b.end
}

// token names one INSERT of this batch; part is a day number or "rej".
func (b *batch) token(part string) string {
	h := fnv.New64a()
	h.Write([]byte(b.tokenStream))
	file := b.tokenFile
	if file == "" {
		file = b.file.String()
	}
	return "ad" + strconv.FormatUint(h.Sum64(), 36) + ":" + file + ":" +
		strconv.FormatInt(b.start, 10) + ":" + strconv.FormatInt(b.tokenEnd(), 10) + ":" + part
}

// rows is the number of table rows the batch will insert.
func (b *batch) rows() int {
	n := b.rejects.rows()
	for _, lb := range b.days {
		n += lb.rows()
	}
	return n
}
