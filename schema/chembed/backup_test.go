package chembed_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
)

// backupFixture fills st with a MergeTree table and an EmbeddedRocksDB
// table, as the schema's logs and ingest checkpoints.
func backupFixture(t *testing.T, st schema.Store) {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE logs (n UInt64) ENGINE = MergeTree ORDER BY n",
		"CREATE TABLE checkpoints (stream String, offset UInt64) ENGINE = EmbeddedRocksDB PRIMARY KEY stream",
		"INSERT INTO logs SELECT number FROM numbers(1000)",
		"INSERT INTO checkpoints VALUES ('fw1', 100), ('fw2', 200)",
	} {
		if err := st.Exec(context.Background(), q, nil); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func count(t *testing.T, st schema.Store, q string) uint64 {
	t.Helper()
	n, err := schema.Count(context.Background(), st, q, nil)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// emptyDatabase drops every table, as a fresh data dir would have none.
func emptyDatabase(t *testing.T, st schema.Store) {
	t.Helper()
	ctx := context.Background()
	var names []string
	err := schema.QueryEach(ctx, st, "SELECT name FROM system.tables WHERE database = currentDatabase()", nil,
		func(r schema.Rows) error {
			var n string
			err := r.Scan(&n)
			names = append(names, n)
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := st.Exec(ctx, "DROP TABLE "+schema.QuoteIdent(n)+" SYNC", nil); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpstreamBackupSkipsEmbeddedRocksDB proves why Backup copies
// EmbeddedRocksDB tables: the engine's own BACKUP restores such a table
// empty. If this fails, upstream fixed it and the copies can go.
func TestUpstreamBackupSkipsEmbeddedRocksDB(t *testing.T) {
	st := open(t)
	backupFixture(t, st)
	file := filepath.Join(t.TempDir(), "raw.tar")
	db := schema.QuoteIdent(st.Info().Database)
	if err := st.Exec(context.Background(), "BACKUP DATABASE "+db+" TO File("+schema.QuoteString(file)+")", nil); err != nil {
		t.Fatal(err)
	}
	emptyDatabase(t, st)
	if err := st.Exec(context.Background(), "RESTORE DATABASE "+db+" FROM File("+schema.QuoteString(file)+")", nil); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT count() FROM logs"); n != 1000 {
		t.Fatalf("logs: %d rows restored, want 1000", n)
	}
	if n := count(t, st, "SELECT count() FROM checkpoints"); n != 0 {
		t.Fatalf("checkpoints: %d rows restored by the engine's BACKUP; upstream now keeps EmbeddedRocksDB data", n)
	}
}

func TestBackupRestoreIncremental(t *testing.T) {
	st := open(t).(*chembed.Store)
	ctx := context.Background()
	backupFixture(t, st)
	if err := st.Exec(ctx, "INSERT INTO logs SELECT rand64() FROM numbers(200000)", nil); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	full, inc := filepath.Join(dir, "full.tar"), filepath.Join(dir, "inc.tar.zst")
	if err := st.Backup(ctx, full, ""); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"INSERT INTO logs SELECT number FROM numbers(500)", "INSERT INTO checkpoints VALUES ('fw1', 150), ('fw3', 7)"} {
		if err := st.Exec(ctx, q, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Backup(ctx, inc, full); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{full, inc} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) > 0 {
		t.Errorf("temporary files left beside the archives: %v", left)
	}
	if n := count(t, st, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name LIKE 'backup_copy%'"); n != 0 {
		t.Errorf("%d copies left in the database after the backup", n)
	}
	fullSize, incSize := size(t, full), size(t, inc)
	if incSize*10 > fullSize { // the increment holds the new part, not the old ones again
		t.Errorf("incremental archive %d bytes against a full one of %d", incSize, fullSize)
	}

	emptyDatabase(t, st)
	if err := st.Restore(ctx, inc); err != nil {
		t.Fatal(err)
	}
	if n := count(t, st, "SELECT count() FROM logs"); n != 201500 {
		t.Errorf("logs: %d rows, want 201500", n)
	}
	if n := count(t, st, "SELECT sum(offset) FROM checkpoints"); n != 150+200+7 {
		t.Errorf("checkpoints: offsets sum to %d, want %d", n, 150+200+7)
	}
	if n := count(t, st, "SELECT count() FROM system.tables WHERE database = currentDatabase()"); n != 2 {
		t.Errorf("%d tables after the restore, want 2 (the copies dropped)", n)
	}
}

func size(t *testing.T, f string) int64 {
	t.Helper()
	fi, err := os.Stat(f)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestBackupRestoreRefusals(t *testing.T) {
	st := open(t).(*chembed.Store)
	ctx := context.Background()
	backupFixture(t, st)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.tar.gz")
	if err := st.Backup(ctx, good, ""); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		run     func() error
		wantErr string
		is      error
	}{
		{"existing file", func() error { return st.Backup(ctx, good, "") }, "already exists", schema.ErrExists},
		{"not an archive name", func() error { return st.Backup(ctx, filepath.Join(dir, "x.zip"), "") }, "must end in .tar", schema.ErrInvalid},
		{"bare extension", func() error { return st.Backup(ctx, filepath.Join(dir, ".tar"), "") }, "must end in", schema.ErrInvalid},
		{"missing directory", func() error { return st.Backup(ctx, filepath.Join(dir, "no/x.tar"), "") }, "no such file", nil},
		{"missing base", func() error { return st.Backup(ctx, filepath.Join(dir, "y.tar"), filepath.Join(dir, "gone.tar")) }, "base archive", nil},
		{"restore over data", func() error { return st.Restore(ctx, good) }, "not empty (2 tables: checkpoints, logs)", schema.ErrExists},
		{"restore a missing file", func() error { return st.Restore(ctx, filepath.Join(dir, "gone.tar")) }, "no such file", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("err = %v, want errors.Is %v", err, tc.is)
			}
		})
	}
	if n := count(t, st, "SELECT count() FROM logs"); n != 1000 {
		t.Errorf("logs: %d rows after the refused restore, want 1000", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.tar")); !os.IsNotExist(err) {
		t.Errorf("a refused backup left a file: %v", err)
	}
}
