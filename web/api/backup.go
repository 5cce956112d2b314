package api

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/activedefense/activedefense/schema"
)

// Backups backs the embedded store up into an archive file and restores
// one into an empty store. Paths are the server's.
type Backups interface {
	Backup(ctx context.Context, req BackupRequest) (BackupResult, error)
	Restore(ctx context.Context, req RestoreRequest) (RestoreResult, error)
}

// BackupRequest names the archive to write (absolute, ending in .tar,
// .tar.gz or .tar.zst) and, for an incremental backup, the archive it
// builds on.
type BackupRequest struct {
	File string `json:"file"`
	Base string `json:"base,omitempty"`
}

// BackupResult describes a written archive. Outside lists the files the
// installation needs that no engine backup holds.
type BackupResult struct {
	File     string        `json:"file"`
	Base     string        `json:"base,omitempty"`
	Bytes    int64         `json:"bytes"`
	Duration time.Duration `json:"duration"`
	Outside  []string      `json:"outside"`
}

// RestoreRequest names the archive to restore.
type RestoreRequest struct {
	File string `json:"file"`
}

// RestoreResult is the restored tables' row counts.
type RestoreResult struct {
	File     string            `json:"file"`
	Rows     map[string]uint64 `json:"rows"`
	Duration time.Duration     `json:"duration"`
	Outside  []string          `json:"outside"`
}

// errNoBackups answers when the store has no backup of its own (a
// ClickHouse server).
var errNoBackups = errors.Join(errors.New("backup and restore are for the embedded engine; on a ClickHouse server use BACKUP … TO Disk or S3 (docs/INSTALL.md)"), schema.ErrInvalid)

func (a *API) backup(c *fiber.Ctx) error {
	var req BackupRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if a.d.Backups == nil {
		return errNoBackups
	}
	res, err := a.d.Backups.Backup(c.UserContext(), req)
	if err != nil {
		return err
	}
	return created(c, res)
}

func (a *API) restore(c *fiber.Ctx) error {
	var req RestoreRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if a.d.Backups == nil {
		return errNoBackups
	}
	res, err := a.d.Backups.Restore(c.UserContext(), req)
	if err != nil {
		return err
	}
	return c.JSON(res)
}
