package schema

import (
	"context"
	"errors"
)

// RawQuery is one statement whose output is wanted as bytes in a ClickHouse
// format, as the hunting endpoint and console run it.
type RawQuery struct {
	// SQL is exactly one read-only statement. A FORMAT clause in it wins
	// over Format.
	SQL string
	// Format is the ClickHouse output format, e.g. "TabSeparated", "JSON",
	// "Native".
	Format string
	// Database is the database unqualified names resolve to; "" means the
	// store's own.
	Database string
	// Params bind {name:Type} placeholders server-side. Values are text in
	// ClickHouse's escaped form, exactly as the HTTP interface's
	// param_<name> values (so `\N` is NULL); they are not escaped again.
	Params map[string]string
}

// RawQuerier runs read-only statements and returns their whole output. It
// is implemented by stores meant for ad-hoc queries (the embedded engine's
// read-only store); it is safe for concurrent use.
type RawQuerier interface {
	// QueryRaw runs q and returns the whole output in q.Format. It refuses
	// a statement that is not read-only (writes, SET, USE, KILL, SYSTEM,
	// INTO OUTFILE, ...) with an error wrapping ErrNotReadOnly, and text
	// holding more than one statement with ErrMultiStatement, before
	// running anything. The output is buffered, so an error always comes
	// instead of output, never after part of it. The context is checked
	// before the statement starts; a running statement is stopped only by
	// the store's own limits (max_execution_time).
	QueryRaw(ctx context.Context, q RawQuery) ([]byte, error)
}

// Refusals of RawQuerier.QueryRaw.
var (
	// ErrNotReadOnly means the statement would change state or write
	// outside the engine.
	ErrNotReadOnly = errors.New("statement is not read-only")
	// ErrMultiStatement means the text holds more than one statement.
	ErrMultiStatement = errors.New("multi-statements are not allowed")
)
