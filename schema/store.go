package schema

import (
	"context"
	"errors"
)

// Store is the storage contract shared by the embedded engine and a ClickHouse
// server. It is deliberately small: components narrow it further to what they
// need (an ingest writer only inserts, a dashboard only queries).
//
// All methods are safe for concurrent use by many goroutines. Each call runs
// one statement. Unqualified table names resolve to the store's database
// (Info().Database).
type Store interface {
	// Exec runs one statement that returns no rows (DDL, ALTER, INSERT ...
	// SELECT). Values go in params and are bound server-side to {name:Type}
	// placeholders.
	Exec(ctx context.Context, query string, params Params) error

	// Query runs one statement and streams its result. The caller must call
	// Rows.Close, and must not start another statement that waits on the same
	// store from inside the iteration if the store's connection pool could be
	// exhausted (the embedded engine holds one connection per open Rows).
	Query(ctx context.Context, query string, params Params) (Rows, error)

	// Insert writes the block with one INSERT statement. Within one partition
	// and below max_insert_block_size rows the insert is all or nothing. With
	// a non-empty opts.DedupToken, a repeated insert with the same token is
	// dropped by the engine (the table must have a deduplication window).
	// Insert does not retain b after it returns.
	Insert(ctx context.Context, b *Block, opts InsertOptions) error

	// Info describes the engine behind the store.
	Info() Info

	// Close releases the store's connections. Rows and blocks must not be in
	// use when Close is called.
	Close() error
}

// Rows is a streaming query result. It is not safe for concurrent use.
type Rows interface {
	// Columns returns the result's column names and ClickHouse types.
	Columns() []ColumnInfo
	// Next advances to the next row; it returns false at the end or on error.
	Next() bool
	// Scan copies the current row into dest. Supported destinations:
	// *string (the value's ClickHouse text form), *[]byte, *bool, *int,
	// *int8..*int64, *uint, *uint8..*uint64, *float32, *float64, *time.Time,
	// *netip.Addr (IPv4-mapped IPv6 values come back as IPv4) and *any
	// (the text form as a string).
	Scan(dest ...any) error
	// Err returns the error that ended iteration, if any.
	Err() error
	// Close releases the result; it is safe to call more than once.
	Close() error
}

// ColumnInfo names one result column.
type ColumnInfo struct {
	Name string
	Type string // ClickHouse type, e.g. "LowCardinality(String)"
}

// InsertOptions tunes one Insert.
type InsertOptions struct {
	// DedupToken becomes the insert_deduplication_token setting. Only
	// [A-Za-z0-9._:-] characters are allowed.
	DedupToken string
}

// Engine kinds reported by Info.
const (
	EngineEmbedded = "embedded"
	EngineServer   = "server"
)

// Info describes a store.
type Info struct {
	Engine   string // EngineEmbedded or EngineServer
	Database string // database that unqualified names resolve to
	Cluster  string // cluster name for ON CLUSTER DDL; "" when not clustered
}

// Layout returns the DDL layout matching the store.
func (i Info) Layout() Layout {
	return Layout{Database: i.Database, Cluster: i.Cluster}
}

// Sentinel errors shared by both engines.
var (
	// ErrEngineUnavailable means the engine could not be loaded or reached
	// (missing libchdb.so, unreachable server).
	ErrEngineUnavailable = errors.New("clickhouse engine unavailable")
	// ErrDataDirInUse means another process holds the embedded data dir.
	ErrDataDirInUse = errors.New("data directory in use by another process")
	// ErrClosed is returned by a store after Close.
	ErrClosed = errors.New("store closed")
	// ErrNoRows is returned by QueryRow when the result is empty.
	ErrNoRows = errors.New("no rows in result")
)

// ValidDedupToken reports whether tok may be used as a deduplication token.
func ValidDedupToken(tok string) bool {
	if tok == "" || len(tok) > 512 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.' || c == '_' || c == ':' || c == '-':
		default:
			return false
		}
	}
	return true
}
