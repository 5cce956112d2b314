// Package chserver implements schema.Store on a ClickHouse server or cluster
// with clickhouse-go v2: native protocol, LZ4 compression, columnar batch
// inserts, server-side query parameters.
//
// The DSN names the database (clickhouse://user:pass@host:9000/activedefense);
// Open creates it if missing (ON CLUSTER when a cluster is configured), then
// connects to it. An unreachable server fails Open within the dial timeout
// (default 5 s) with an error wrapping schema.ErrEngineUnavailable.
//
// In cluster mode inserts go to the Distributed tables with
// distributed_foreground_insert=1, so that an insert returns only once the
// shards have it and its deduplication token reaches them.
//
// Values scanned from clickhouse-go arrive as Go values (time.Time, net.IP,
// integers ...); Rows.Scan converts them to the destinations the contract
// documents, with the same text forms the embedded engine produces.
package chserver
