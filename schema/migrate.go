package schema

import (
	"context"
	"fmt"
	"time"
)

// MigrateResult reports what Migrate did.
type MigrateResult struct {
	Applied []int // versions applied by this call
	Current int   // highest version now recorded
}

// EnsureDatabase creates the store's database if it does not exist.
func EnsureDatabase(ctx context.Context, st Store) error {
	l := st.Info().Layout()
	q := "CREATE DATABASE IF NOT EXISTS " + QuoteIdent(l.Database) + l.onCluster()
	if err := st.Exec(ctx, q, nil); err != nil {
		return fmt.Errorf("creating database %s: %w", l.Database, err)
	}
	return nil
}

// Migrate applies every embedded migration not yet recorded in
// schema_migrations, in order, and records each one. It is idempotent:
// a second run finds every version recorded and executes no DDL. It refuses
// to run when a recorded migration's checksum differs from the embedded one
// (an applied migration must never be edited; add a new one).
func Migrate(ctx context.Context, st Store, o RenderOptions) (MigrateResult, error) {
	var res MigrateResult
	l := st.Info().Layout()
	migs, err := Migrations(l, o)
	if err != nil {
		return res, err
	}
	if err := EnsureDatabase(ctx, st); err != nil {
		return res, err
	}
	if err := st.Exec(ctx, migrationsTableDDL(l), nil); err != nil {
		return res, fmt.Errorf("creating schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, st)
	if err != nil {
		return res, err
	}
	for _, m := range migs {
		if sum, ok := applied[m.Version]; ok {
			if sum != m.Checksum {
				return res, fmt.Errorf("migration %04d_%s was changed after it was applied (checksum %s, recorded %s)",
					m.Version, m.Name, m.Checksum[:12], sum[:min(12, len(sum))])
			}
			res.Current = m.Version
			continue
		}
		if err := applyMigration(ctx, st, m); err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, m.Version)
		res.Current = m.Version
	}
	return res, nil
}

func migrationsTableDDL(l Layout) string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s%s
(
    version   UInt32,
    name      String,
    checksum  String,
    applied   DateTime('UTC')
)
ENGINE = %s
ORDER BY version`, l.table("schema_migrations"), l.onCluster(), l.engine("ReplacingMergeTree", ""))
}

func appliedMigrations(ctx context.Context, st Store) (map[int]string, error) {
	out := map[int]string{}
	err := QueryEach(ctx, st, "SELECT version, checksum FROM schema_migrations FINAL", nil, func(r Rows) error {
		var v int
		var sum string
		if err := r.Scan(&v, &sum); err != nil {
			return err
		}
		out[v] = sum
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading schema_migrations: %w", err)
	}
	return out, nil
}

func applyMigration(ctx context.Context, st Store, m Migration) error {
	for i, stmt := range m.SQL {
		if err := st.Exec(ctx, stmt, nil); err != nil {
			return fmt.Errorf("applying migration %04d_%s statement %d: %w", m.Version, m.Name, i+1, err)
		}
	}
	err := st.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum, applied)
SELECT {v:UInt32}, {n:String}, {c:String}, {t:DateTime}`,
		Params{"v": m.Version, "n": m.Name, "c": m.Checksum, "t": time.Now()})
	if err != nil {
		return fmt.Errorf("recording migration %04d_%s: %w", m.Version, m.Name, err)
	}
	return nil
}
