package chserver

import (
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"reflect"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/activedefense/activedefense/schema"
)

type rows struct {
	r    driver.Rows
	cols []schema.ColumnInfo
	vals []any // scan targets of the driver's own types
}

func newRows(r driver.Rows) *rows {
	types := r.ColumnTypes()
	out := &rows{r: r, cols: make([]schema.ColumnInfo, len(types)), vals: make([]any, len(types))}
	for i, ct := range types {
		out.cols[i] = schema.ColumnInfo{Name: ct.Name(), Type: ct.DatabaseTypeName()}
		out.vals[i] = reflect.New(ct.ScanType()).Interface()
	}
	return out
}

// Columns implements schema.Rows.
func (r *rows) Columns() []schema.ColumnInfo { return r.cols }

// Next implements schema.Rows.
func (r *rows) Next() bool { return r.r.Next() }

// Err implements schema.Rows.
func (r *rows) Err() error { return r.r.Err() }

// Close implements schema.Rows.
func (r *rows) Close() error { return r.r.Close() }

// Scan implements schema.Rows: scan into the driver's types, then convert.
func (r *rows) Scan(dest ...any) error {
	if len(dest) != len(r.vals) {
		return fmt.Errorf("scanning row: %d destinations for %d columns", len(dest), len(r.vals))
	}
	if err := r.r.Scan(r.vals...); err != nil {
		return err
	}
	for i, d := range dest {
		v := reflect.ValueOf(r.vals[i]).Elem().Interface()
		if err := assign(d, v); err != nil {
			return fmt.Errorf("scanning column %d (%s): %w", i, r.cols[i].Name, err)
		}
	}
	return nil
}

// assign converts a driver value to dest, going through the ClickHouse text
// form where the types differ, so both engines agree.
func assign(dest, v any) error {
	switch d := dest.(type) {
	case *time.Time:
		if t, ok := v.(time.Time); ok {
			*d = t.UTC()
			return nil
		}
	case *netip.Addr:
		if a, ok := addr(v); ok {
			*d = a
			return nil
		}
	}
	return schema.ScanText(dest, text(v))
}

func addr(v any) (netip.Addr, bool) {
	switch x := v.(type) {
	case net.IP:
		a, ok := netip.AddrFromSlice(x)
		return a.Unmap(), ok
	case netip.Addr:
		return x.Unmap(), true
	}
	return netip.Addr{}, false
}

// text renders a driver value the way ClickHouse prints it in TabSeparated.
func text(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return ""
		}
		return text(rv.Elem().Interface())
	}
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	case time.Time:
		t := x.UTC()
		if t.Nanosecond() != 0 {
			return t.Format("2006-01-02 15:04:05.000000")
		}
		return t.Format(time.DateTime)
	case net.IP:
		a, _ := addr(x)
		return a.String()
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case *big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
