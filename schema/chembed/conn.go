package chembed

import (
	"errors"
	"runtime"
	"strings"
	"unsafe"

	"github.com/activedefense/activedefense/schema"
)

// conn is one chDB connection. It runs one statement at a time; the Store's
// pool guarantees exclusive use.
type conn struct {
	api *api
	ptr unsafe.Pointer // chdb_connection* (for close)
	h   unsafe.Pointer // chdb_connection (for statements)
}

func dial(a *api, args []string) (*conn, error) {
	argv := make([]*byte, len(args))
	keep := make([][]byte, len(args))
	for i, s := range args {
		keep[i], argv[i], _ = cBytes(s)
	}
	p := a.connect(int32(len(argv)), &argv[0])
	runtime.KeepAlive(keep)
	if p == nil {
		return nil, errors.New("chdb_connect failed")
	}
	h := *(*unsafe.Pointer)(p)
	if h == nil {
		return nil, errors.New("chdb_connect returned an empty connection")
	}
	return &conn{api: a, ptr: p, h: h}, nil
}

func (c *conn) close() {
	if c.ptr != nil {
		c.api.closeConn(c.ptr)
		c.ptr, c.h = nil, nil
	}
}

// params holds C views of bound parameters; keep it alive across the call.
type params struct {
	keep              [][]byte
	names, values     []*byte
	nameLens, valLens []uintptr
}

func bindParams(p schema.Params) (*params, error) {
	names, values, err := p.Text()
	if err != nil {
		return nil, err
	}
	cp := &params{}
	for i := range names {
		nb, np, nl := cBytes(names[i])
		vb, vp, vl := cBytes(values[i])
		cp.keep = append(cp.keep, nb, vb)
		cp.names, cp.nameLens = append(cp.names, np), append(cp.nameLens, nl)
		cp.values, cp.valLens = append(cp.values, vp), append(cp.valLens, vl)
	}
	return cp, nil
}

// run executes query and returns the engine's result handle (query and
// streaming variants share the call shape).
func (c *conn) run(query, format string, p schema.Params, stream bool) (unsafe.Pointer, error) {
	qb, qp, ql := cBytes(query)
	fb, fp, fl := cBytes(format)
	defer runtime.KeepAlive(qb)
	defer runtime.KeepAlive(fb)
	if len(p) == 0 {
		if stream {
			return c.api.streamQueryN(c.h, qp, ql, fp, fl), nil
		}
		return c.api.queryN(c.h, qp, ql, fp, fl), nil
	}
	cp, err := bindParams(p)
	if err != nil {
		return nil, err
	}
	defer runtime.KeepAlive(cp)
	n := uintptr(len(cp.names))
	if stream {
		return c.api.streamQueryParamsN(c.h, qp, ql, fp, fl, &cp.names[0], &cp.nameLens[0], &cp.values[0], &cp.valLens[0], n), nil
	}
	return c.api.queryParamsN(c.h, qp, ql, fp, fl, &cp.names[0], &cp.nameLens[0], &cp.values[0], &cp.valLens[0], n), nil
}

// exec runs a statement and discards its output.
func (c *conn) exec(query string, p schema.Params) error {
	res, err := c.run(query, "TabSeparated", p, false)
	if err != nil {
		return err
	}
	if res == nil {
		return errNilResult
	}
	defer c.api.destroyResult(res)
	return c.resultErr(res)
}

// query runs a statement and returns its whole output.
func (c *conn) query(query, format string, p schema.Params) ([]byte, error) {
	res, err := c.run(query, format, p, false)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, errNilResult
	}
	defer c.api.destroyResult(res)
	if err := c.resultErr(res); err != nil {
		return nil, err
	}
	return c.resultBytes(res, nil), nil
}

func (c *conn) resultErr(res unsafe.Pointer) error {
	if msg := goString(c.api.resultError(res)); msg != "" {
		return engineError(msg)
	}
	return nil
}

// resultBytes appends the result buffer to dst.
func (c *conn) resultBytes(res unsafe.Pointer, dst []byte) []byte {
	return append(dst, c.resultView(res)...)
}

// resultView returns the result buffer without copying; it is valid until
// the result is destroyed.
func (c *conn) resultView(res unsafe.Pointer) []byte {
	n := c.api.resultLength(res)
	buf := c.api.resultBuffer(res)
	if n == 0 || buf == nil {
		return nil
	}
	return unsafe.Slice((*byte)(buf), n)
}

// insert streams the block in Native format into one INSERT.
func (c *conn) insert(b *schema.Block, token string) error {
	enc, err := schema.NewNativeEncoder(b, 8192)
	if err != nil {
		return err
	}
	q := insertSQL(b, token)
	qb, qp, ql := cBytes(q)
	fb, fp, fl := cBytes("Native")
	s := c.api.insertN(c.h, qp, ql, fp, fl)
	runtime.KeepAlive(qb)
	runtime.KeepAlive(fb)
	if s == nil {
		return errNilResult
	}
	defer c.api.insertDestroy(s)
	if msg := goString(c.api.insertError(s)); msg != "" {
		return engineError(msg)
	}
	var buf []byte
	for chunk := enc.Next(buf); chunk != nil; chunk = enc.Next(buf) {
		rc := c.api.insertAppend(s, unsafe.Pointer(&chunk[0]), uintptr(len(chunk)))
		runtime.KeepAlive(chunk)
		if rc != 0 {
			return engineError(goString(c.api.insertError(s)))
		}
		buf = chunk
	}
	res := c.api.insertDone(s)
	if res == nil {
		return errNilResult
	}
	defer c.api.destroyResult(res)
	return c.resultErr(res)
}

func insertSQL(b *schema.Block, token string) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO ")
	sb.WriteString(quoteTable(b.Table))
	sb.WriteString(" (")
	for i, c := range b.Columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(schema.QuoteIdent(c.Name))
	}
	sb.WriteString(")")
	if token != "" {
		sb.WriteString(" SETTINGS insert_deduplication_token = ")
		sb.WriteString(schema.QuoteString(token))
	}
	return sb.String()
}

// quoteTable quotes "table" or "database.table".
func quoteTable(name string) string {
	if db, t, ok := strings.Cut(name, "."); ok {
		return schema.QuoteIdent(db) + "." + schema.QuoteIdent(t)
	}
	return schema.QuoteIdent(name)
}

// EngineError is an error reported by the ClickHouse engine.
type EngineError struct{ Msg string }

func (e *EngineError) Error() string { return "clickhouse: " + e.Msg }

func engineError(msg string) error {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = "unknown engine error"
	}
	return &EngineError{Msg: msg}
}
