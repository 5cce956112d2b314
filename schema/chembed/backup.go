package chembed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/activedefense/activedefense/schema"
)

// backupDatabaseN and restoreDatabaseN are chdb_backup_database_n and
// chdb_restore_database_n; they are registered with the other symbols when
// the library loads.
var (
	backupDatabaseN  func(conn unsafe.Pointer, db *byte, dbLen uintptr, file *byte, fileLen uintptr, base *byte, baseLen uintptr) unsafe.Pointer
	restoreDatabaseN func(conn unsafe.Pointer, db *byte, dbLen uintptr, file *byte, fileLen uintptr) unsafe.Pointer
)

// backupSymbols lists the symbols of this file for api.register.
func backupSymbols() []struct {
	ptr  any
	name string
} {
	return []struct {
		ptr  any
		name string
	}{{&backupDatabaseN, "chdb_backup_database_n"}, {&restoreDatabaseN, "chdb_restore_database_n"}}
}

// backupBootArgs are the server-level arguments the booting connection
// needs for backups: the engine writes and reads archives only under
// backups.allowed_path. It is the root, so an archive may go wherever the
// process may write. Only the administrator's operations call Backup and
// Restore; the hunting path refuses BACKUP and RESTORE statements by their
// class (a readonly=1 connection alone does not).
func backupBootArgs() []string { return []string{"--backups.allowed_path=/"} }

// ArchiveExts are the file name endings Backup accepts: a tar archive,
// plain or compressed. (The engine writes a directory for other names, and
// this build has no zip support.)
var ArchiveExts = []string{".tar", ".tar.gz", ".tar.zst"}

// copyPrefix names the MergeTree copy of an EmbeddedRocksDB table that a
// backup carries: the engine's BACKUP writes such a table's definition but
// none of its rows.
const copyPrefix = "backup_copy__"

// backupMu runs one backup or restore at a time in the process (the copies
// of EmbeddedRocksDB tables have fixed names).
var backupMu sync.Mutex

// Backup writes the store's database into the archive file. The file must
// not exist; its directory must. The archive appears whole or not at all
// (it is written in a private directory beside it and linked into place),
// with mode 0600: it holds password hashes and the logs. With base, the
// archive is incremental: it holds what changed since the archive base and
// records base's absolute path, where a restore will look for it.
//
// EmbeddedRocksDB tables (the ingest checkpoints) are copied into MergeTree
// tables just before the engine's BACKUP, and the copies dropped after it.
// Rows written while the backup runs may be in the archive's log tables
// but not in its checkpoints, so a store restored from a backup taken under
// ingest may read those lines again; it never skips any.
func (s *Store) Backup(ctx context.Context, file, base string) error {
	file, err := archivePath("backup file", file)
	if err != nil {
		return err
	}
	if base != "" {
		if base, err = archivePath("base file", base); err != nil {
			return err
		}
		if _, err := os.Stat(base); err != nil {
			return fmt.Errorf("base archive: %w", err)
		}
	}
	if _, err := os.Lstat(file); err == nil {
		return fmt.Errorf("backup file %s already exists: %w", file, schema.ErrExists)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-")
	if err != nil {
		return fmt.Errorf("creating the backup's directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	backupMu.Lock()
	defer backupMu.Unlock()
	copies, err := s.copyRocksDB(ctx)
	defer s.dropTables(copies)
	if err != nil {
		return err
	}
	part := filepath.Join(tmp, filepath.Base(file))
	if err := s.archiveCall(ctx, func(c *conn) unsafe.Pointer {
		db, dp, dl := cBytes(s.db)
		f, fp, fl := cBytes(part)
		var b []byte
		var bp *byte
		var bl uintptr
		if base != "" {
			b, bp, bl = cBytes(base)
		}
		res := backupDatabaseN(c.h, dp, dl, fp, fl, bp, bl)
		runtime.KeepAlive(db)
		runtime.KeepAlive(f)
		runtime.KeepAlive(b)
		return res
	}); err != nil {
		return fmt.Errorf("backing up database %s to %s: %w", s.db, file, err)
	}
	return publish(part, file)
}

// publish gives the written archive its mode and final name, never
// replacing a file.
func publish(part, file string) error {
	if err := os.Chmod(part, 0o600); err != nil {
		return fmt.Errorf("setting the backup's mode: %w", err)
	}
	err := os.Link(part, file)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup file %s already exists: %w", file, schema.ErrExists)
	}
	if err != nil { // a file system without hard links
		if _, serr := os.Lstat(file); serr == nil {
			return fmt.Errorf("backup file %s already exists: %w", file, schema.ErrExists)
		}
		if err := os.Rename(part, file); err != nil {
			return fmt.Errorf("moving the backup into place: %w", err)
		}
	}
	return nil
}

// Restore restores the archive file into the store's database, which must
// hold no table: RESTORE would add to tables that exist. The archive must
// come from a database of the same name. An incremental archive needs its
// base where it was when it was written. The rows of EmbeddedRocksDB
// tables are copied back from the archive's copies, which are dropped.
func (s *Store) Restore(ctx context.Context, file string) error {
	file, err := archivePath("backup file", file)
	if err != nil {
		return err
	}
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("backup file: %w", err)
	}
	backupMu.Lock()
	defer backupMu.Unlock()
	tables, err := s.tables(ctx, "")
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		return &notEmptyError{db: s.db, tables: tables}
	}
	if err := s.archiveCall(ctx, func(c *conn) unsafe.Pointer {
		db, dp, dl := cBytes(s.db)
		f, fp, fl := cBytes(file)
		res := restoreDatabaseN(c.h, dp, dl, fp, fl)
		runtime.KeepAlive(db)
		runtime.KeepAlive(f)
		return res
	}); err != nil {
		return fmt.Errorf("restoring database %s from %s: %w", s.db, file, err)
	}
	return s.restoreRocksDB(ctx)
}

// copyRocksDB copies every EmbeddedRocksDB table of the database into a
// MergeTree table and returns the copies' names.
func (s *Store) copyRocksDB(ctx context.Context) ([]string, error) {
	names, err := s.tables(ctx, "EmbeddedRocksDB")
	if err != nil {
		return nil, err
	}
	var copies []string
	for _, t := range names {
		cp := copyPrefix + t
		if err := s.Exec(ctx, "DROP TABLE IF EXISTS "+s.qualify(cp)+" SYNC", nil); err != nil {
			return copies, fmt.Errorf("dropping an old copy of %s: %w", t, err)
		}
		copies = append(copies, cp)
		q := "CREATE TABLE " + s.qualify(cp) + " ENGINE = MergeTree ORDER BY tuple() AS SELECT * FROM " + s.qualify(t)
		if err := s.Exec(ctx, q, nil); err != nil {
			return copies, fmt.Errorf("copying %s for the backup: %w", t, err)
		}
	}
	return copies, nil
}

// restoreRocksDB copies the restored copies back into their
// EmbeddedRocksDB tables and drops them.
func (s *Store) restoreRocksDB(ctx context.Context) error {
	names, err := s.tables(ctx, "")
	if err != nil {
		return err
	}
	for _, cp := range names {
		t, ok := strings.CutPrefix(cp, copyPrefix)
		if !ok {
			continue
		}
		q := "INSERT INTO " + s.qualify(t) + " SELECT * FROM " + s.qualify(cp)
		if err := s.Exec(ctx, q, nil); err != nil {
			return fmt.Errorf("restoring the rows of %s: %w", t, err)
		}
		if err := s.Exec(ctx, "DROP TABLE "+s.qualify(cp)+" SYNC", nil); err != nil {
			return fmt.Errorf("dropping the copy of %s: %w", t, err)
		}
	}
	return nil
}

// dropTables drops tables, best effort (a later backup drops a leftover
// copy before making its own).
func (s *Store) dropTables(names []string) {
	for _, t := range names {
		_ = s.Exec(context.Background(), "DROP TABLE IF EXISTS "+s.qualify(t)+" SYNC", nil)
	}
}

// tables lists the database's tables, of one engine unless engine is "".
func (s *Store) tables(ctx context.Context, engine string) ([]string, error) {
	var names []string
	err := schema.QueryEach(ctx, s, `SELECT name FROM system.tables
WHERE database = {db:String} AND ({engine:String} = '' OR engine = {engine:String}) ORDER BY name`,
		schema.Params{"db": s.db, "engine": engine}, func(r schema.Rows) error {
			var n string
			err := r.Scan(&n)
			names = append(names, n)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("listing the tables of %s: %w", s.db, err)
	}
	return names, nil
}

func (s *Store) qualify(table string) string {
	return schema.QuoteIdent(s.db) + "." + schema.QuoteIdent(table)
}

// archiveCall runs call on a pooled connection and checks its result.
func (s *Store) archiveCall(ctx context.Context, call func(*conn) unsafe.Pointer) error {
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(c)
	res := call(c)
	if res == nil {
		return errNilResult
	}
	defer c.api.destroyResult(res)
	return c.resultErr(res)
}

// archivePath makes p absolute and checks its name ending.
func archivePath(what, p string) (string, error) {
	if p == "" {
		return "", schema.Invalid(what, "is empty")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolving %s %s: %w", what, p, err)
	}
	for _, ext := range ArchiveExts {
		if strings.HasSuffix(abs, ext) && len(filepath.Base(abs)) > len(ext) {
			return abs, nil
		}
	}
	return "", schema.Invalid(what, "%s must end in %s", p, strings.Join(ArchiveExts, ", "))
}

// notEmptyError refuses a restore into a database that holds tables; it
// matches schema.ErrExists.
type notEmptyError struct {
	db     string
	tables []string
}

func (e *notEmptyError) Error() string {
	names := e.tables
	more := ""
	if len(names) > 4 {
		names, more = names[:4], ", …"
	}
	return fmt.Sprintf("database %s is not empty (%d tables: %s%s): a restore needs an empty database",
		e.db, len(e.tables), strings.Join(names, ", "), more)
}

func (e *notEmptyError) Unwrap() error { return schema.ErrExists }
