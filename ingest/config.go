package ingest

import (
	"time"

	"github.com/activedefense/activedefense/ingest/tail"
)

// Config tunes ingest. The zero value of every field means its default.
type Config struct {
	// BatchRows flushes a batch at this many lines (default 50,000).
	BatchRows int
	// BatchBytes flushes a batch when its lines hold this many bytes
	// (default 32 MiB).
	BatchBytes int
	// MaxBufferedBytes caps the bytes held by all unflushed batches of the
	// pipeline together; past it, batches flush early (default 256 MiB).
	MaxBufferedBytes int64
	// FlushInterval flushes a batch this long after its first line
	// (default 1s).
	FlushInterval time.Duration
	// ReloadInterval re-reads the device list this often (default 5s);
	// Pipeline.Reload forces it at once.
	ReloadInterval time.Duration
	// DrainTimeout bounds the final flush at shutdown (default 10s).
	DrainTimeout time.Duration
	// RetryMin and RetryMax bound the backoff when the store fails
	// (defaults 500ms and 30s).
	RetryMin, RetryMax time.Duration
	// MaxLineBytes rejects longer lines (default 64 KiB).
	MaxLineBytes int
	// RejectLineBytes is how much of a rejected line is kept (default 4 KiB).
	RejectLineBytes int
	// Tail tunes the file followers (poll interval, rotation grace).
	Tail tail.Options
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.BatchRows, 50000)
	def(&c.BatchBytes, 32<<20)
	def(&c.MaxLineBytes, 64<<10)
	def(&c.RejectLineBytes, 4<<10)
	if c.MaxBufferedBytes <= 0 {
		c.MaxBufferedBytes = 256 << 20
	}
	defDur(&c.FlushInterval, time.Second)
	defDur(&c.ReloadInterval, 5*time.Second)
	defDur(&c.DrainTimeout, 10*time.Second)
	defDur(&c.RetryMin, 500*time.Millisecond)
	defDur(&c.RetryMax, 30*time.Second)
	c.Tail.MaxLineBytes = c.MaxLineBytes
	return c
}
