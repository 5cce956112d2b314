// Package schema owns the storage contract of Active Defense and the
// ClickHouse schema that implements it.
//
// It is the leaf of the import graph: it imports only the standard library,
// and every other package (ingest, detect, web, cmd) talks to ClickHouse
// through the Store interface defined here. Two implementations exist:
//
//   - schema/chembed, the embedded engine (chDB, libchdb.so loaded at run
//     time), which is the default;
//   - schema/chserver, a ClickHouse server or cluster reached with
//     clickhouse-go over the native protocol.
//
// Both run the same SQL. Statements use ClickHouse's server-side parameter
// syntax ({name:Type}) for every value that comes from outside the program,
// so user input never becomes statement text.
//
// # Schema and migrations
//
// The DDL lives in sql/*.sql, embedded with go:embed and rendered by Render
// for one of three layouts (embedded, single server, cluster). Migrate applies
// the versions not yet recorded in the schema_migrations table, so running it
// twice changes nothing the second time. docs/SCHEMA.md documents the tables,
// and in particular the logs view, column by column.
//
// # Data access
//
// Small typed helpers (devices.go, users.go, settings.go, checkpoints.go)
// read and write the mutable tables, which are ReplacingMergeTree tables
// keyed by their natural key with a version column; reads use FINAL.
package schema
