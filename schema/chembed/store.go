package chembed

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/activedefense/activedefense/schema"
)

// Options configures Open.
type Options struct {
	// LibPath is libchdb.so; "" means $AD_CHDB_LIB, the cache, then the
	// dynamic linker's search.
	LibPath string
	// Path is the data directory.
	Path string
	// Database is the database unqualified names resolve to; it is created
	// if missing. Default "activedefense".
	Database string
	// PoolSize caps the connections running statements at once. Default 8.
	PoolSize int
	// Settings are per-connection ClickHouse settings (e.g. "readonly": "1",
	// "max_execution_time": "10") applied to every pooled connection.
	Settings map[string]string
	// Engine are engine-level settings (e.g. "max_server_memory_usage",
	// "mark_cache_size"), passed as --key=value on the connection that
	// boots the engine: only that one's server settings apply. An Open
	// that joins a running engine must pass none or the same.
	Engine map[string]string
}

// engine is the process-wide chDB instance for one data path.
type engine struct {
	api    *api
	path   string
	args   map[string]string // Options.Engine it was booted with
	keeper *conn
	refs   int
}

var (
	engineMu sync.Mutex
	current  *engine
)

// Store is a schema.Store on the embedded engine.
type Store struct {
	eng   *engine
	db    string
	args  []string
	pool  chan *conn
	slots chan struct{}

	mu     sync.Mutex
	idle   *sync.Cond // signalled when busy drops
	busy   int        // statements running or waiting for a connection
	closed bool
}

var _ schema.Store = (*Store)(nil)

// Open loads libchdb.so if needed, boots (or joins) the engine on o.Path,
// creates o.Database if missing, and returns a Store using it.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Database == "" {
		o.Database = "activedefense"
	}
	if o.PoolSize <= 0 {
		o.PoolSize = 8
	}
	path, err := filepath.Abs(o.Path)
	if err != nil {
		return nil, fmt.Errorf("resolving data path %s: %w", o.Path, err)
	}
	eng, err := acquireEngine(o.LibPath, path, o.Engine)
	if err != nil {
		return nil, err
	}
	s := &Store{eng: eng, db: o.Database, pool: make(chan *conn, o.PoolSize), slots: make(chan struct{}, o.PoolSize)}
	s.idle = sync.NewCond(&s.mu)
	s.args = connArgs(path, o.Settings)
	q := "CREATE DATABASE IF NOT EXISTS " + schema.QuoteIdent(o.Database)
	if err := eng.keeperExec(q); err != nil {
		releaseEngine(eng)
		return nil, fmt.Errorf("creating database %s: %w", o.Database, err)
	}
	return s, nil
}

// connArgs are the chdb_connect arguments of a connection. Times are UTC
// in every session, and the query profiler is off (it would send signals
// into the Go process).
func connArgs(path string, settings ...map[string]string) []string {
	args := []string{"activedefense", "--path=" + path,
		"--session_timezone=UTC",
		"--query_profiler_real_time_period_ns=0",
		"--query_profiler_cpu_time_period_ns=0",
		"--implicit_select=0"} // as on a server: a bare expression is not a query
	for _, set := range settings {
		for _, k := range slices.Sorted(maps.Keys(set)) {
			args = append(args, "--"+k+"="+set[k])
		}
	}
	return args
}

func acquireEngine(libPath, path string, engineArgs map[string]string) (*engine, error) {
	engineMu.Lock()
	defer engineMu.Unlock()
	if current != nil {
		if current.path != path {
			return nil, fmt.Errorf("embedded engine already open on %s: one data path per process (wanted %s)", current.path, path)
		}
		if len(engineArgs) > 0 && !maps.Equal(engineArgs, current.args) {
			return nil, fmt.Errorf("embedded engine already running on %s with other engine settings", path)
		}
		current.refs++
		return current, nil
	}
	a, err := loadAPI(libPath)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(path, 0o750); err != nil {
		return nil, fmt.Errorf("creating data dir %s: %w", path, err)
	}
	before := signalHandlers()
	a.setSignalHandlersEnabled(0)
	keeper, err := dial(a, append(connArgs(path, engineArgs), backupBootArgs()...))
	if err != nil {
		if locked(path) {
			return nil, fmt.Errorf("opening embedded engine on %s: %w", path, schema.ErrDataDirInUse)
		}
		return nil, fmt.Errorf("opening embedded engine on %s: %w", path, err)
	}
	if after := signalHandlers(); !slices.Equal(before, after) {
		keeper.close()
		return nil, fmt.Errorf("opening embedded engine on %s: libchdb replaced the Go runtime's signal handlers", path)
	}
	current = &engine{api: a, path: path, args: maps.Clone(engineArgs), keeper: keeper, refs: 1}
	return current, nil
}

// locked reports whether another process holds the engine's status file.
func locked(path string) bool {
	f, err := os.Open(filepath.Join(path, "status"))
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

func (e *engine) keeperExec(q string) error {
	engineMu.Lock()
	defer engineMu.Unlock()
	return e.keeper.exec(q, nil)
}

func releaseEngine(e *engine) {
	engineMu.Lock()
	defer engineMu.Unlock()
	e.refs--
	if e.refs == 0 {
		e.keeper.close()
		current = nil
	}
}

// Version returns the engine's version string.
func (s *Store) Version() string { return s.eng.api.version() }

// acquire takes a pooled connection, dialling a new one when the pool has
// room. It counts the caller as busy first, so Close waits for it instead
// of racing it.
func (s *Store) acquire(ctx context.Context) (*conn, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, schema.ErrClosed
	}
	s.busy++
	s.mu.Unlock()
	c, err := s.take(ctx)
	if err != nil {
		s.done()
	}
	return c, err
}

func (s *Store) take(ctx context.Context) (*conn, error) {
	select {
	case c := <-s.pool:
		return c, nil
	default:
	}
	select {
	case c := <-s.pool:
		return c, nil
	case s.slots <- struct{}{}:
		c, err := s.dial()
		if err != nil {
			<-s.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Store) done() {
	s.mu.Lock()
	s.busy--
	s.idle.Broadcast()
	s.mu.Unlock()
}

func (s *Store) dial() (*conn, error) {
	c, err := dial(s.eng.api, s.args)
	if err != nil {
		return nil, fmt.Errorf("connecting to embedded engine: %w", err)
	}
	if err := c.exec("USE "+schema.QuoteIdent(s.db), nil); err != nil {
		c.close()
		return nil, fmt.Errorf("selecting database %s: %w", s.db, err)
	}
	return c, nil
}

// release returns a connection to the pool (the pool has room for every
// connection ever dialled, so this never blocks).
func (s *Store) release(c *conn) {
	s.pool <- c
	s.done()
}

// Exec implements schema.Store.
func (s *Store) Exec(ctx context.Context, query string, params schema.Params) error {
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(c)
	return c.exec(query, params)
}

// Query implements schema.Store.
func (s *Store) Query(ctx context.Context, query string, params schema.Params) (schema.Rows, error) {
	if intoOutfile(query) {
		// Output goes to a file, so every streamed chunk is empty and the
		// end of the stream cannot be told apart: run it whole.
		return s.queryWhole(ctx, query, params)
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	res, err := c.run(query, streamFormat, params, true)
	if err == nil && res == nil {
		err = errNilResult
	}
	if err != nil {
		s.release(c)
		return nil, err
	}
	r, err := newRows(ctx, s, c, res)
	var ee *EngineError
	if errors.As(err, &ee) && strings.Contains(ee.Msg, "Streaming query is not supported") {
		// DDL and other statements without a result stream: run them whole.
		return s.queryWhole(ctx, query, params)
	}
	return r, err
}

func intoOutfile(q string) bool {
	return strings.Contains(strings.ToUpper(q), "INTO OUTFILE")
}

// queryWhole runs a statement without streaming and serves its (small or
// empty) output as Rows.
func (s *Store) queryWhole(ctx context.Context, query string, params schema.Params) (schema.Rows, error) {
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	out, err := c.query(query, streamFormat, params)
	if err != nil {
		s.release(c)
		return nil, err
	}
	r := &rows{ctx: ctx, s: s, c: c, eof: true}
	if err := r.take(out); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// Insert implements schema.Store.
func (s *Store) Insert(ctx context.Context, b *schema.Block, o schema.InsertOptions) error {
	if o.DedupToken != "" && !schema.ValidDedupToken(o.DedupToken) {
		return fmt.Errorf("inserting into %s: invalid dedup token %q", b.Table, o.DedupToken)
	}
	if n, err := b.Rows(); err != nil || n == 0 {
		return err
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(c)
	if err := c.insert(b, o.DedupToken); err != nil {
		return fmt.Errorf("inserting into %s: %w", b.Table, err)
	}
	return nil
}

// Info implements schema.Store.
func (s *Store) Info() schema.Info {
	return schema.Info{Engine: schema.EngineEmbedded, Database: s.db}
}

// Close implements schema.Store: it refuses new statements, waits for the
// running ones (and open Rows) to finish, closes the pool, and shuts the
// engine down when this was its last Store.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for s.busy > 0 {
		s.idle.Wait()
	}
	s.mu.Unlock()
	for {
		select {
		case c := <-s.pool:
			c.close()
			<-s.slots
			continue
		default:
		}
		break
	}
	releaseEngine(s.eng)
	return nil
}
