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
	// Updated is when the checkpoint was written; for a checkpoint with a
	// pending batch it is that batch's time (rejected lines are stamped with
	// it, so a re-sent batch is identical).
	Updated time.Time
}

const checkpointCols = "stream, device, path, file, offset, pending_end, lines, parsed, skipped, rejected, updated"

func scanCheckpoint(r Rows) (Checkpoint, error) {
	var c Checkpoint
	err := r.Scan(&c.Stream, &c.Device, &c.Path, &c.File, &c.Offset, &c.PendingEnd,
		&c.Lines, &c.Parsed, &c.Skipped, &c.Rejected, &c.Updated)
	return c, err
}

// GetCheckpoint returns the checkpoint of stream; ok is false when none was
// saved yet.
func GetCheckpoint(ctx context.Context, q Querier, stream string) (c Checkpoint, ok bool, err error) {
	err = QueryEach(ctx, q, "SELECT "+checkpointCols+" FROM ingest_checkpoints WHERE stream = {s:String}",
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
	err := QueryEach(ctx, q, "SELECT "+checkpointCols+" FROM ingest_checkpoints ORDER BY stream", nil,
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
       {lines:UInt64}, {parsed:UInt64}, {skipped:UInt64}, {rejected:UInt64}, fromUnixTimestamp64Micro({updated:Int64}, 'UTC'), {version:UInt64}`,
		Params{"stream": c.Stream, "device": c.Device, "path": c.Path, "file": c.File, "offset": c.Offset,
			"pending": c.PendingEnd, "lines": c.Lines, "parsed": c.Parsed, "skipped": c.Skipped,
			"rejected": c.Rejected, "updated": updated.UnixMicro(), "version": version()})
	if err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", c.Stream, err)
	}
	return nil
}
