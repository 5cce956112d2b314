package schema

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Checkpoint is the ingest progress of one stream (a tailed device or a
// one-shot import). Offset is where reading resumes. When PendingEnd >
// Offset, the lines [Offset, PendingEnd) of File were being inserted when the
// checkpoint was written: after a crash they are sent again, as the same
// batch with the same deduplication tokens, before anything else.
type Checkpoint struct {
	Stream     string
	Device     string
	Path       string
	File       string // file identity (ingest/tail.FileID text)
	Offset     uint64
	PendingEnd uint64
	Lines      uint64 // lines read (all kinds)
	Parsed     uint64 // lines stored as TRAFFIC/THREAT rows
	Skipped    uint64 // well-formed PAN-OS lines of other types
	Rejected   uint64 // lines stored in rejected_lines
	// Timezone is the zone a pending batch was parsed in: it is parsed in
	// the same zone when re-sent, so its rows land on the same days.
	Timezone string
	// Updated is when the checkpoint was written; for a checkpoint with a
	// pending batch it is that batch's time (rejected lines are stamped with
	// it, so a re-sent batch is identical).
	Updated time.Time
}

const checkpointCols = "stream, device, path, file, offset, pending_end, lines, parsed, skipped, rejected, timezone, updated"

// checkpointSelect reads the latest version of each stream. It aggregates
// with argMax instead of FINAL so that the same statement works on both
// table engines the layouts use (EmbeddedRocksDB on one node, a replicated
// ReplacingMergeTree in a cluster).
const checkpointSelect = `SELECT stream, argMax(device, version), argMax(path, version), argMax(file, version),
	argMax(offset, version), argMax(pending_end, version), argMax(lines, version), argMax(parsed, version),
	argMax(skipped, version), argMax(rejected, version), argMax(timezone, version), argMax(updated, version)
FROM ingest_checkpoints`

func scanCheckpoint(r Rows) (Checkpoint, error) {
	var c Checkpoint
	err := r.Scan(&c.Stream, &c.Device, &c.Path, &c.File, &c.Offset, &c.PendingEnd,
		&c.Lines, &c.Parsed, &c.Skipped, &c.Rejected, &c.Timezone, &c.Updated)
	return c, err
}

// GetCheckpoint returns the checkpoint of stream; ok is false when none was
// saved yet.
func GetCheckpoint(ctx context.Context, q Querier, stream string) (c Checkpoint, ok bool, err error) {
	err = QueryEach(ctx, q, checkpointSelect+" WHERE stream = {s:String} GROUP BY stream",
		Params{"s": stream}, func(r Rows) error {
			c, err = scanCheckpoint(r)
			ok = err == nil
			return err
		})
	if err != nil {
		return Checkpoint{}, false, fmt.Errorf("reading checkpoint %s: %w", stream, err)
	}
	return c, ok, nil
}

// ListCheckpoints returns every stream's checkpoint.
func ListCheckpoints(ctx context.Context, q Querier) ([]Checkpoint, error) {
	var out []Checkpoint
	err := QueryEach(ctx, q, checkpointSelect+" GROUP BY stream ORDER BY stream", nil,
		func(r Rows) error {
			c, err := scanCheckpoint(r)
			out = append(out, c)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing checkpoints: %w", err)
	}
	return out, nil
}

// DeviceCheckpoints returns the checkpoints of every stream of device (its
// file stream and the per-file records of imports), by stream name.
func DeviceCheckpoints(ctx context.Context, q Querier, device string) ([]Checkpoint, error) {
	var out []Checkpoint
	err := QueryEach(ctx, q, checkpointSelect+` GROUP BY stream HAVING argMax(device, version) = {d:String}
ORDER BY stream`, Params{"d": device}, func(r Rows) error {
		c, err := scanCheckpoint(r)
		out = append(out, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing checkpoints of %s: %w", device, err)
	}
	return out, nil
}

// SaveCheckpoint records c as the stream's latest checkpoint.
func SaveCheckpoint(ctx context.Context, st Store, c Checkpoint) error {
	if c.Stream == "" {
		return errors.New("saving checkpoint: empty stream name")
	}
	updated := c.Updated
	if updated.IsZero() {
		updated = time.Now()
	}
	err := st.Exec(ctx, `INSERT INTO ingest_checkpoints (`+checkpointCols+`, version)
SELECT {stream:String}, {device:String}, {path:String}, {file:String}, {offset:UInt64}, {pending:UInt64},
       {lines:UInt64}, {parsed:UInt64}, {skipped:UInt64}, {rejected:UInt64}, {tz:String},
       fromUnixTimestamp64Micro({updated:Int64}, 'UTC'), {version:UInt64}`,
		Params{"stream": c.Stream, "device": c.Device, "path": c.Path, "file": c.File, "offset": c.Offset,
			"pending": c.PendingEnd, "lines": c.Lines, "parsed": c.Parsed, "skipped": c.Skipped,
			"rejected": c.Rejected, "tz": c.Timezone, "updated": updated.UnixMicro(), "version": version()})
	if err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", c.Stream, err)
	}
	return nil
}
