package schema

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// InsertJSON inserts rows (structs with json tags matching the columns) with
// INSERT … SELECT FROM format(JSONEachRow, structure, {data:String}): the
// rows travel as a bound parameter, never as statement text. Rows go in
// chunks of about 1 MiB of JSON (the engine parses a parameter whole, at
// many times its size), so a large set is several parts. structure is the
// column list with types, as in CREATE TABLE.
func InsertJSON[T any](ctx context.Context, st Store, table, structure string, rows []T) error {
	if len(rows) == 0 {
		return nil
	}
	q := fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM format(JSONEachRow, %s, {data:String})", QuoteIdent(table),
		strings.Join(structureColumns(structure), ", "), QuoteString(structure))
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		if err := st.Exec(ctx, q, Params{"data": buf.String()}); err != nil {
			return fmt.Errorf("inserting %d rows into %s: %w", n, table, err)
		}
		buf.Reset()
		n = 0
		return nil
	}
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return fmt.Errorf("encoding %s row: %w", table, err)
		}
		n++
		if buf.Len() >= jsonChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// jsonChunk is the JSON size of one INSERT of InsertJSON.
const jsonChunk = 1 << 20

// structureColumns returns the column names of a structure such as
// "a String, b Array(Tuple(x UInt8, y String))".
func structureColumns(structure string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i <= len(structure); i++ {
		if i < len(structure) {
			switch structure[i] {
			case '(':
				depth++
				continue
			case ')':
				depth--
				continue
			case ',':
				if depth > 0 {
					continue
				}
			default:
				continue
			}
		}
		if f := strings.Fields(structure[start:i]); len(f) > 0 {
			out = append(out, QuoteIdent(f[0]))
		}
		start = i + 1
	}
	return out
}

// CHTime formats a time for a DateTime column in JSON rows.
type CHTime time.Time

// MarshalJSON writes "YYYY-MM-DD hh:mm:ss.mmm" in UTC (the zero time as the
// epoch).
func (t CHTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		tt = time.Unix(0, 0)
	}
	return []byte(`"` + tt.UTC().Format("2006-01-02 15:04:05.000") + `"`), nil
}

// Epoch is the zero value of DateTime columns; times at or before it read
// back as the zero time.Time.
var Epoch = time.Unix(0, 0).UTC()

// FromDB turns the stored zero (the epoch) into the zero time.
func FromDB(t time.Time) time.Time {
	if !t.After(Epoch) {
		return time.Time{}
	}
	return t
}
