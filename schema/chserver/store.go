package chserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/activedefense/activedefense/schema"
)

// Options configures Open.
type Options struct {
	// DSN is clickhouse://user:password@host:port/database?options.
	DSN string
	// Cluster, when set, renders DDL with ON CLUSTER, Replicated engines and
	// Distributed tables.
	Cluster string
	// DialTimeout bounds connecting; default 5s.
	DialTimeout time.Duration
	// Settings are ClickHouse settings applied to every statement.
	Settings map[string]any
}

// Store is a schema.Store on a ClickHouse server.
type Store struct {
	conn    driver.Conn
	db      string
	cluster string
}

var _ schema.Store = (*Store)(nil)

// Open connects, creates the database if needed and returns the store.
func Open(ctx context.Context, o Options) (*Store, error) {
	opts, err := clickhouse.ParseDSN(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("parsing ClickHouse DSN: %w", err)
	}
	db := opts.Auth.Database
	if db == "" || db == "default" && !strings.Contains(o.DSN, "/default") {
		db = "activedefense"
	}
	configure(opts, o)
	opts.Auth.Database = "" // the database may not exist yet
	boot, err := connect(ctx, opts, o.DialTimeout)
	if err != nil {
		return nil, err
	}
	q := "CREATE DATABASE IF NOT EXISTS " + schema.QuoteIdent(db)
	if o.Cluster != "" {
		q += " ON CLUSTER " + schema.QuoteIdent(o.Cluster)
	}
	err = boot.Exec(ctx, q)
	boot.Close()
	if err != nil {
		return nil, fmt.Errorf("creating database %s: %w", db, err)
	}
	opts.Auth.Database = db
	conn, err := connect(ctx, opts, o.DialTimeout)
	if err != nil {
		return nil, err
	}
	return &Store{conn: conn, db: db, cluster: o.Cluster}, nil
}

func configure(opts *clickhouse.Options, o Options) {
	if opts.Compression == nil || opts.Compression.Method == clickhouse.CompressionNone {
		opts.Compression = &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	opts.DialTimeout = o.DialTimeout
	if opts.Settings == nil {
		opts.Settings = clickhouse.Settings{}
	}
	opts.Settings["session_timezone"] = "UTC"
	for k, v := range o.Settings {
		opts.Settings[k] = v
	}
	if o.Cluster != "" {
		opts.Settings["distributed_foreground_insert"] = 1
	}
}

func connect(ctx context.Context, opts *clickhouse.Options, timeout time.Duration) (driver.Conn, error) {
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	addr := strings.Join(opts.Addr, ",")
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("%w: connecting to ClickHouse at %s: %v", schema.ErrEngineUnavailable, addr, err)
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		conn.Close()
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %s", timeout)
		}
		return nil, fmt.Errorf("%w: connecting to ClickHouse at %s: %v", schema.ErrEngineUnavailable, addr, err)
	}
	return conn, nil
}

func withParams(ctx context.Context, p schema.Params, settings clickhouse.Settings) (context.Context, error) {
	var qopts []clickhouse.QueryOption
	if len(p) > 0 {
		names, values, err := p.Text()
		if err != nil {
			return nil, err
		}
		cp := clickhouse.Parameters{}
		for i, n := range names {
			cp[n] = values[i]
		}
		qopts = append(qopts, clickhouse.WithParameters(cp))
	}
	if len(settings) > 0 {
		qopts = append(qopts, clickhouse.WithSettings(settings))
	}
	if len(qopts) == 0 {
		return ctx, nil
	}
	return clickhouse.Context(ctx, qopts...), nil
}

// Exec implements schema.Store.
func (s *Store) Exec(ctx context.Context, query string, params schema.Params) error {
	qctx, err := withParams(ctx, params, nil)
	if err != nil {
		return err
	}
	return s.conn.Exec(qctx, query)
}

// Query implements schema.Store.
func (s *Store) Query(ctx context.Context, query string, params schema.Params) (schema.Rows, error) {
	qctx, err := withParams(ctx, params, nil)
	if err != nil {
		return nil, err
	}
	r, err := s.conn.Query(qctx, query)
	if err != nil {
		return nil, err
	}
	return newRows(r), nil
}

// Insert implements schema.Store with one columnar batch.
func (s *Store) Insert(ctx context.Context, b *schema.Block, o schema.InsertOptions) error {
	n, err := b.Rows()
	if err != nil || n == 0 {
		return err
	}
	var settings clickhouse.Settings
	if o.DedupToken != "" {
		if !schema.ValidDedupToken(o.DedupToken) {
			return fmt.Errorf("inserting into %s: invalid dedup token %q", b.Table, o.DedupToken)
		}
		settings = clickhouse.Settings{"insert_deduplication_token": o.DedupToken, "insert_deduplicate": 1,
			"deduplicate_blocks_in_dependent_materialized_views": 1} // the dashboard rollups stay exactly once too
	}
	qctx, err := withParams(ctx, nil, settings)
	if err != nil {
		return err
	}
	cols := make([]string, len(b.Columns))
	for i, c := range b.Columns {
		cols[i] = schema.QuoteIdent(c.Name)
	}
	batch, err := s.conn.PrepareBatch(qctx, "INSERT INTO "+schema.QuoteIdent(b.Table)+" ("+strings.Join(cols, ", ")+")")
	if err != nil {
		return fmt.Errorf("inserting into %s: %w", b.Table, err)
	}
	defer batch.Close()
	for i, c := range b.Columns {
		if err := batch.Column(i).Append(columnSlice(c.Data)); err != nil {
			return fmt.Errorf("inserting into %s: column %s: %w", b.Table, c.Name, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("inserting %d rows into %s: %w", n, b.Table, err)
	}
	return nil
}

// columnSlice converts a block column to a slice clickhouse-go appends.
func columnSlice(c schema.Column) any {
	switch c := c.(type) {
	case *schema.StringColumn:
		out := make([]string, c.Len())
		for i := range out {
			out[i] = c.Value(i)
		}
		return out
	case *schema.DateTimeColumn:
		out := make([]int64, len(*c))
		for i, v := range *c {
			out[i] = int64(v)
		}
		return out
	case *schema.UInt8Column:
		return []uint8(*c)
	case *schema.UInt16Column:
		return []uint16(*c)
	case *schema.UInt32Column:
		return []uint32(*c)
	case *schema.UInt64Column:
		return []uint64(*c)
	case *schema.Int8Column:
		return []int8(*c)
	case *schema.IPv6Column:
		return [][16]byte(*c)
	default:
		return c
	}
}

// Info implements schema.Store.
func (s *Store) Info() schema.Info {
	return schema.Info{Engine: schema.EngineServer, Database: s.db, Cluster: s.cluster}
}

// Close implements schema.Store.
func (s *Store) Close() error { return s.conn.Close() }
