package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// PinDevice records the identity of d's file at offset 0 as the device's
// checkpoint, so that a file rotated before the pipeline first reads it is
// still found (among its rotated siblings) and read before the new one. It
// does nothing when the device already has a checkpoint or its file does
// not exist yet (the pipeline then pins the file when it first opens it).
// Call it when a device is registered, before the pipeline can start its
// stream.
func PinDevice(ctx context.Context, st schema.Store, d schema.Device) error {
	if !schema.ValidName(d.Name) {
		return fmt.Errorf("pinning device: invalid device name %q", d.Name)
	}
	_, ok, err := schema.GetCheckpoint(ctx, st, d.Name)
	if err != nil || ok {
		return err
	}
	_, err = pin(ctx, st, schema.Checkpoint{Stream: d.Name, Device: d.Name, Path: d.Path})
	return err
}

// pin identifies the file at cp.Path and saves cp with that file at offset
// 0. It returns the zero FileID, and saves nothing, when the path does not
// exist.
func pin(ctx context.Context, st schema.Store, cp schema.Checkpoint) (tail.FileID, error) {
	f, err := os.Open(cp.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return tail.FileID{}, nil
	}
	if err != nil {
		return tail.FileID{}, fmt.Errorf("pinning %s: %w", cp.Path, err)
	}
	defer f.Close()
	id, err := tail.Identify(f)
	if err != nil {
		return tail.FileID{}, fmt.Errorf("pinning %s: %w", cp.Path, err)
	}
	cp.File, cp.Offset, cp.PendingEnd = id.String(), 0, 0
	if err := schema.SaveCheckpoint(ctx, st, cp); err != nil {
		return tail.FileID{}, err
	}
	return id, nil
}
