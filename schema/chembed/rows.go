package chembed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/activedefense/activedefense/schema"
)

// rows streams TabSeparatedWithNamesAndTypes output from one connection.
type rows struct {
	ctx    context.Context
	s      *Store
	c      *conn
	res    unsafe.Pointer
	cols   []schema.ColumnInfo
	buf    []byte // received, not yet consumed
	off    int
	fields []string
	eof    bool // engine said the stream ended
	closed bool
	err    error
}

const streamFormat = "TabSeparatedWithNamesAndTypes"

func newRows(ctx context.Context, s *Store, c *conn, res unsafe.Pointer) (*rows, error) {
	r := &rows{ctx: ctx, s: s, c: c, res: res}
	if err := c.resultErr(res); err != nil {
		r.Close()
		return nil, err
	}
	for r.cols == nil && !r.eof && r.err == nil { // the first chunk carries the header
		r.fetch()
	}
	if r.err != nil {
		err := r.err
		r.Close()
		return nil, err
	}
	return r, nil
}

func header(names, types []byte) []schema.ColumnInfo {
	n := strings.Split(string(names), "\t")
	t := strings.Split(string(types), "\t")
	cols := make([]schema.ColumnInfo, len(n))
	for i := range n {
		cols[i].Name = schema.UnescapeTSV(n[i])
		if i < len(t) {
			cols[i].Type = schema.UnescapeTSV(t[i])
		}
	}
	return cols
}

// line returns the next complete line, fetching chunks as needed.
func (r *rows) line() ([]byte, bool) {
	for {
		if i := bytes.IndexByte(r.buf[r.off:], '\n'); i >= 0 {
			l := r.buf[r.off : r.off+i]
			r.off += i + 1
			return l, true
		}
		if r.eof || r.err != nil {
			if r.err == nil && r.off < len(r.buf) {
				r.err = errors.New("chembed: result ended in the middle of a row")
			}
			return nil, false
		}
		r.fetch()
	}
}

func (r *rows) fetch() {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	chunk := r.c.api.streamFetch(r.c.h, r.res)
	if chunk == nil {
		r.err = errNilResult
		return
	}
	defer r.c.api.destroyResult(chunk)
	if err := r.c.resultErr(chunk); err != nil {
		r.err = err
		return
	}
	if r.off > 0 { // compact what was consumed
		n := copy(r.buf, r.buf[r.off:])
		r.buf, r.off = r.buf[:n], 0
	}
	data := r.c.resultView(chunk)
	if len(data) == 0 {
		r.eof = true
		return
	}
	r.err = r.take(data)
}

// take appends one chunk: a complete TabSeparatedWithNamesAndTypes
// document, two header lines then rows (every streamed chunk repeats the
// header).
func (r *rows) take(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	names, rest, ok1 := bytes.Cut(data, []byte{'\n'})
	types, rest, ok2 := bytes.Cut(rest, []byte{'\n'})
	if !ok1 || !ok2 {
		return errors.New("chembed: result chunk without a header")
	}
	if r.cols == nil {
		r.cols = header(names, types)
	}
	r.buf = append(r.buf, rest...)
	return nil
}

// Columns implements schema.Rows.
func (r *rows) Columns() []schema.ColumnInfo { return r.cols }

// Next implements schema.Rows.
func (r *rows) Next() bool {
	if r.closed || r.err != nil {
		return false
	}
	l, ok := r.line()
	if !ok {
		return false
	}
	r.fields = splitTabs(r.fields[:0], l)
	return true
}

func splitTabs(dst []string, l []byte) []string {
	s := string(l)
	for {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

// Scan implements schema.Rows.
func (r *rows) Scan(dest ...any) error {
	if len(dest) != len(r.fields) {
		return fmt.Errorf("scanning row: %d destinations for %d columns", len(dest), len(r.fields))
	}
	for i, d := range dest {
		f := r.fields[i]
		if f == schema.NullText {
			f = ""
		} else {
			f = schema.UnescapeTSV(f)
		}
		if err := schema.ScanText(d, f); err != nil {
			name := ""
			if i < len(r.cols) {
				name = r.cols[i].Name
			}
			return fmt.Errorf("scanning column %d (%s): %w", i, name, err)
		}
	}
	return nil
}

// Err implements schema.Rows.
func (r *rows) Err() error { return r.err }

// Close implements schema.Rows.
func (r *rows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.res != nil {
		if !r.eof {
			r.c.api.streamCancel(r.c.h, r.res)
		}
		r.c.api.destroyResult(r.res)
	}
	r.s.release(r.c)
	if r.err != nil && !errors.Is(r.err, context.Canceled) {
		return r.err
	}
	return nil
}
