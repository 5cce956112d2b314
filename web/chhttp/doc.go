// Package chhttp serves a read-only subset of ClickHouse's HTTP interface,
// so hunting tools (Grafana's ClickHouse data source, DBeaver, curl,
// clickhouse-go with Protocol: clickhouse.HTTP) query the product's store
// as if it were a ClickHouse server.
//
// # Requests
//
// Queries come by GET (?query=) or POST (the body, after the query
// parameter and a newline), with database, default_format, query_id,
// param_<name> (bound server-side), compress=1 (ClickHouse's LZ4 or ZSTD
// block framing) and the X-ClickHouse-Format, -Database and -Query-Id
// headers. GET / and GET /ping answer "Ok.". Credentials come as ClickHouse
// clients send them: HTTP basic auth, X-ClickHouse-User/-Key, or the user
// and password parameters; the Authenticator decides.
//
// # Guards
//
// New runs each query on a schema.RawQuerier, meant to be a store opened
// with readonly=1 and execution, result and memory limits. The store
// refuses anything but one read-only statement; this package refuses
// multi-statement text, sessions, external tables, compressed requests and
// URL settings (a known setting gets READONLY, an unknown one
// UNKNOWN_SETTING), except max_execution_time, which it enforces with its
// own timer up to Config.MaxExecutionTime, and limit and max_result_rows,
// which it ignores in favour of the store's limits. Results are buffered,
// so an error always comes as a whole ClickHouse error response:
// "Code: N. DB::Exception: ...", X-ClickHouse-Exception-Code and the HTTP
// status ClickHouse uses for that code.
//
// # Native and clickhouse-go
//
// The embedded engine writes revision-0 Native blocks. clickhouse-go
// decodes every Native result at the revision its hello query returned, so
// the handler answers that hello itself with revision 0 and passes every
// other Native result through unchanged.
//
// # ClickHouse servers
//
// NewProxy forwards checked requests to a ClickHouse server's HTTP port as
// a read-only user, replacing the client's credentials with its own.
package chhttp
