// Package ingest turns firewall log lines into rows of the firewall_logs
// table, exactly once.
//
// # Sources
//
//   - Pipeline follows every registered device file (ingest/tail), one
//     stream per device, started and stopped as devices change.
//   - Import runs one file through the same stream code and stops at its
//     last newline (activedefense import).
//   - Listener receives syslog over UDP and TCP (off by default), naming
//     each line after the device whose senders hold its source address, in
//     that device's time zone; other senders are counted and dropped.
//     Network input has no replay, so it is at most once across a crash.
//
// Lines are parsed by ingest/panos. TRAFFIC and THREAT lines become rows;
// other PAN-OS types are counted as skipped; anything else is stored in
// rejected_lines with a reason and counted. Bad input never stops a stream.
//
// # Exactly once
//
// A stream's unit of work is a batch: the lines [start, end) of one file
// (ingest/tail.FileID), split by UTC day, because an INSERT is all or
// nothing only within one partition. A flusher goroutine writes batches in
// order: an intent checkpoint {offset: start, pending_end: end, time zone,
// batch time}, then one INSERT per day and one for the rejected lines, each
// with an insert_deduplication_token derived from (stream, file, start,
// end, part), then a commit checkpoint {offset: end} — or nothing, when the
// next batch is already queued, whose intent says the same. On start, a
// checkpoint with pending_end > offset means a batch may be half written:
// the stream re-reads exactly that range, parses it in the recorded zone,
// stamps rejects with the recorded time, and re-sends it whole under the
// same tokens, so the engine drops what it already has. A re-send that is
// interrupted is never written short; its intent stays.
//
// Exactly once holds per device and file, whichever path reads the file
// (progress.go): a device's follower and imports never read one file for
// one device at the same time, and each starts from the furthest progress
// any of them recorded for it, re-sending a batch left in flight under the
// tokens it was first written with.
//
// # Memory and backpressure
//
// Each stream has two batches (one filling, one being written); a batch is
// flushed at Config.BatchRows lines, BatchBytes of text, or FlushInterval
// after its first line, and early when all streams together hold
// MaxBufferedBytes. When the store is slow or down, the flusher retries with
// backoff and the reader waits: the file is the buffer.
//
// # Status
//
// Pipeline.Status reports per device: state, file, read and committed
// offsets, size, lines read, parsed, skipped, rejected (by reason), rows
// inserted, batches, insert time, and the newest stored event time (lag).
package ingest
