package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/web/api"
)

// backups implements api.Backups on the embedded store. The secret key
// and the TLS files live outside the engine: no archive holds them, and
// every answer names them.
type backups struct {
	st      *chembed.Store
	outside []string
}

// backups returns the backups of st, or nil when st is not the embedded
// engine (a ClickHouse server backs itself up).
func (a *app) backups(st schema.Store) api.Backups {
	es, ok := st.(*chembed.Store)
	if !ok {
		return nil
	}
	var outside []string
	for _, f := range []string{a.keyFile(), filepath.Join(a.g.dataDir, "tls")} {
		if abs, err := filepath.Abs(f); err == nil {
			f = abs
		}
		outside = append(outside, f)
	}
	return &backups{st: es, outside: outside}
}

func (b *backups) Backup(ctx context.Context, req api.BackupRequest) (api.BackupResult, error) {
	if err := absolute("file", req.File); err != nil {
		return api.BackupResult{}, err
	}
	if req.Base != "" {
		if err := absolute("base", req.Base); err != nil {
			return api.BackupResult{}, err
		}
	}
	start := time.Now()
	if err := b.st.Backup(ctx, req.File, req.Base); err != nil {
		return api.BackupResult{}, err
	}
	res := api.BackupResult{File: req.File, Base: req.Base, Duration: time.Since(start), Outside: b.outside}
	if fi, err := os.Stat(req.File); err == nil {
		res.Bytes = fi.Size()
	}
	return res, nil
}

func (b *backups) Restore(ctx context.Context, req api.RestoreRequest) (api.RestoreResult, error) {
	if err := absolute("file", req.File); err != nil {
		return api.RestoreResult{}, err
	}
	start := time.Now()
	if err := b.st.Restore(ctx, req.File); err != nil {
		if errors.Is(err, schema.ErrExists) {
			err = fmt.Errorf("%w; a data dir that serve or another command has opened is never empty: stop serve and restore into a new --data-dir", err)
		}
		return api.RestoreResult{}, err
	}
	rows, err := tableRows(ctx, b.st)
	if err != nil {
		return api.RestoreResult{}, err
	}
	return api.RestoreResult{File: req.File, Rows: rows, Duration: time.Since(start), Outside: b.outside}, nil
}

// absolute checks an archive path of a request.
func absolute(field, p string) error {
	if p == "" {
		return schema.Invalid(field, "is required")
	}
	if !filepath.IsAbs(p) {
		return schema.Invalid(field, "%s is not an absolute path", p)
	}
	if !isArchiveName(p) {
		return schema.Invalid(field, "%s: the archive's name must end in %s", p, strings.Join(chembed.ArchiveExts, ", "))
	}
	return nil
}

func isArchiveName(p string) bool {
	for _, ext := range chembed.ArchiveExts {
		if strings.HasSuffix(p, ext) && len(filepath.Base(p)) > len(ext) {
			return true
		}
	}
	return false
}

// tableRows counts the rows of every table of the store's database.
func tableRows(ctx context.Context, st schema.Store) (map[string]uint64, error) {
	var names []string
	err := schema.QueryEach(ctx, st, `SELECT name FROM system.tables WHERE database = currentDatabase()
AND engine NOT IN ('View', 'MaterializedView', 'LiveView', 'WindowView') ORDER BY name`, nil, func(r schema.Rows) error {
		var n string
		err := r.Scan(&n)
		names = append(names, n)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	rows := make(map[string]uint64, len(names))
	for _, n := range names {
		c, err := schema.Count(ctx, st, "SELECT count() FROM "+schema.QuoteIdent(n), nil)
		if err != nil {
			return nil, fmt.Errorf("counting %s: %w", n, err)
		}
		rows[n] = c
	}
	return rows, nil
}

func cmdBackup(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("backup")
	base := fs.String("base", "", "an earlier archive: write only what changed since it")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "one FILE"); err != nil {
		return err
	}
	req := api.BackupRequest{}
	if req.File, err = archiveArg(pos[0]); err != nil {
		return err
	}
	if *base != "" {
		if req.Base, err = archiveArg(*base); err != nil {
			return err
		}
	}
	var res api.BackupResult
	err = a.withBackups(ctx, func(c *client) error {
		return c.do(ctx, http.MethodPost, "/backup", req, &res)
	}, func(b api.Backups) (err error) {
		res, err = b.Backup(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.io.out, "backup written: %s (%s in %s, mode 0600: it holds password hashes and the logs)\n",
		res.File, formatBytes(res.Bytes), res.Duration.Round(time.Millisecond))
	if res.Base != "" {
		fmt.Fprintf(a.io.out, "incremental on %s: keep that file at this path, restoring this archive reads it\n", res.Base)
	}
	printOutside(a.io.out, res.Outside)
	return nil
}

func cmdRestore(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("restore")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "one FILE"); err != nil {
		return err
	}
	req := api.RestoreRequest{}
	if req.File, err = archiveArg(pos[0]); err != nil {
		return err
	}
	if _, err := os.Stat(req.File); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	var res api.RestoreResult
	err = a.withBackups(ctx, func(c *client) error {
		return c.do(ctx, http.MethodPost, "/restore", req, &res)
	}, func(b api.Backups) (err error) {
		res, err = b.Restore(ctx, req)
		return err
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.io.out, "restored %s into %s in %s:\n", res.File, a.g.dataDir, res.Duration.Round(time.Millisecond))
	printRows(a.io.out, res.Rows)
	fmt.Fprintf(a.io.out, "\nbefore starting serve, copy the old installation's key file to %s (mode 0600):\n"+
		"without it serve makes a new key, and the SMTP password, the webhook secrets and the EDL password must be set again;\n"+
		"copy its TLS certificate and key too, the firewalls trust exactly that certificate\n", a.keyFile())
	return nil
}

// archiveArg makes a FILE argument absolute and checks its name.
func archiveArg(p string) (string, error) {
	abs, err := absPath(p)
	if err != nil || isArchiveName(abs) {
		return abs, err
	}
	return "", fmt.Errorf("%w: %s: the archive's name must end in %s", errUsage, p, strings.Join(chembed.ArchiveExts, ", "))
}

// withBackups sends a backup request to the running server, or, when none
// runs, opens the embedded store here, without migrating it (an archive
// holds the store as it is, and a restore needs an empty database), and
// runs the same operation.
func (a *app) withBackups(ctx context.Context, viaServer func(*client) error, here func(api.Backups) error) error {
	if c, ok := dialSocket(ctx, a.g.dataDir); ok {
		defer c.Close()
		return viaServer(c)
	}
	if a.g.dsn != "" {
		return errors.New("backup and restore are for the embedded engine; on a ClickHouse server use BACKUP … TO Disk or S3 (docs/INSTALL.md)")
	}
	deadline := time.Now().Add(backendWait)
	for {
		lock, err := tryLockDataDir(ctx, a.g.dataDir)
		if err == nil {
			defer lock.release()
			break
		}
		if !errors.Is(err, schema.ErrDataDirInUse) || time.Now().After(deadline) {
			return err
		}
		if c, ok := dialSocket(ctx, a.g.dataDir); ok {
			defer c.Close()
			return viaServer(c)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	err = here(a.backups(st))
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	return err
}

func printOutside(w io.Writer, files []string) {
	if len(files) == 0 {
		return
	}
	fmt.Fprintln(w, "not in the backup (they live outside the engine); copy them yourself, privately:")
	for _, f := range files {
		fmt.Fprintf(w, "  %s\n", f)
	}
	fmt.Fprintln(w, "  and any TLS certificate and key given with --tls-cert/--tls-key, and the config file")
}

func printRows(w io.Writer, rows map[string]uint64) {
	names := make([]string, 0, len(rows))
	for n := range rows {
		names = append(names, n)
	}
	sortStrings(names)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(tw, "  %s\t%d\n", n, rows[n])
	}
	tw.Flush()
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
