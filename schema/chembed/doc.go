// Package chembed implements schema.Store on the embedded ClickHouse engine,
// chDB (libchdb.so), bound at run time with purego: no cgo, and a binary
// built once runs without the library in server mode.
//
// # Loading
//
// The library is loaded lazily by the first Open, from Options.LibPath, else
// $AD_CHDB_LIB, else the cache that `make setup` (deploy/fetch-chdb.sh)
// fills (${XDG_CACHE_HOME:-~/.cache}/activedefense/chdb-<version>/), else
// the dynamic linker's standard paths. A missing library is reported once,
// as an error wrapping schema.ErrEngineUnavailable that says how to install
// it.
//
// # Engine, connections and concurrency
//
// chDB runs one engine per process, bound to one data path; a second process
// on the same path is refused ("Cannot lock file .../status"), reported here
// as schema.ErrDataDirInUse. Open keeps one keeper connection for as long as
// any Store on the path is open (closing the last connection destroys the
// engine), and a pool of up to Options.PoolSize connections for statements.
// A connection runs one statement at a time, so the pool gives concurrency:
// ingest, detection and the web app each take a connection per statement.
// Several Stores (one database each) may share the engine; tests use this to
// get a database per test.
//
// chDB installs process-wide handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL
// and SIGABRT on first connect, which breaks Go's own panics (a recovered
// nil dereference hangs the process). Open therefore calls
// chdb_set_signal_handlers_enabled(0) before the first connect, and checks
// with rt_sigaction that the handlers are still Go's afterwards.
//
// # Formats
//
// Queries stream TabSeparatedWithNamesAndTypes text, which Rows.Scan
// converts with schema.ScanText (statements without a result stream, such
// as DDL, run whole). Inserts stream a schema.Block in Native format, in
// blocks of 8192 rows, through chdb_stream_insert. Parameters are bound
// server-side with chdb_query_with_params_n.
//
// Statements cannot be interrupted once started; a context is checked before
// a statement and between the chunks of a streamed result.
package chembed
