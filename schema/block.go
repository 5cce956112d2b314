package schema

import (
	"fmt"
	"net/netip"
	"time"
)

// Block is a columnar batch of rows for one INSERT. Columns are typed Go
// slices, so building a block allocates per column, not per value. The Go
// column type decides the wire type, which the engine converts to the
// table column's type:
//
//	*StringColumn   String, LowCardinality(String)
//	*UInt8Column    UInt8, Bool
//	*UInt16Column   UInt16
//	*UInt32Column   UInt32
//	*UInt64Column   UInt64
//	*Int8Column     Int8, Enum8
//	*DateTimeColumn DateTime (seconds since the epoch)
//	*IPv6Column     IPv6 (IPv4 stored as ::ffff:a.b.c.d)
//
// A Block is not safe for concurrent use.
type Block struct {
	Table   string
	Columns []NamedColumn
}

// NamedColumn is one column of a Block.
type NamedColumn struct {
	Name string
	Data Column
}

// Column is implemented by the typed column slices in this package.
type Column interface {
	Len() int
	Reset()
}

// Rows returns the number of rows, checking that every column has the same
// length.
func (b *Block) Rows() (int, error) {
	if len(b.Columns) == 0 {
		return 0, fmt.Errorf("block for %s has no columns", b.Table)
	}
	n := b.Columns[0].Data.Len()
	for _, c := range b.Columns[1:] {
		if c.Data.Len() != n {
			return 0, fmt.Errorf("block for %s: column %s has %d rows, %s has %d",
				b.Table, c.Name, c.Data.Len(), b.Columns[0].Name, n)
		}
	}
	return n, nil
}

// Reset empties every column, keeping allocated capacity.
func (b *Block) Reset() {
	for _, c := range b.Columns {
		c.Data.Reset()
	}
}

// StringColumn stores strings back to back in one buffer.
type StringColumn struct {
	data []byte
	ends []uint32
}

// Append adds a value.
func (c *StringColumn) Append(s string) {
	c.data = append(c.data, s...)
	c.ends = append(c.ends, uint32(len(c.data)))
}

// AppendBytes adds a value given as bytes.
func (c *StringColumn) AppendBytes(b []byte) {
	c.data = append(c.data, b...)
	c.ends = append(c.ends, uint32(len(c.data)))
}

// Len returns the number of values.
func (c *StringColumn) Len() int { return len(c.ends) }

// Reset empties the column.
func (c *StringColumn) Reset() { c.data, c.ends = c.data[:0], c.ends[:0] }

// Bytes returns value i; the slice aliases the column's buffer.
func (c *StringColumn) Bytes(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = c.ends[i-1]
	}
	return c.data[start:c.ends[i]]
}

// Value returns value i as a new string.
func (c *StringColumn) Value(i int) string { return string(c.Bytes(i)) }

// Size returns the bytes held by the column's values.
func (c *StringColumn) Size() int { return len(c.data) }

// UInt8Column holds UInt8 or Bool values.
type UInt8Column []uint8

// UInt16Column holds UInt16 values.
type UInt16Column []uint16

// UInt32Column holds UInt32 values.
type UInt32Column []uint32

// UInt64Column holds UInt64 values.
type UInt64Column []uint64

// Int8Column holds Int8 or Enum8 values.
type Int8Column []int8

// DateTimeColumn holds DateTime values as seconds since the Unix epoch.
type DateTimeColumn []uint32

// IPv6Column holds IPv6 values in network byte order.
type IPv6Column [][16]byte

// Len returns the number of values.
func (c *UInt8Column) Len() int { return len(*c) }

// Len returns the number of values.
func (c *UInt16Column) Len() int { return len(*c) }

// Len returns the number of values.
func (c *UInt32Column) Len() int { return len(*c) }

// Len returns the number of values.
func (c *UInt64Column) Len() int { return len(*c) }

// Len returns the number of values.
func (c *Int8Column) Len() int { return len(*c) }

// Len returns the number of values.
func (c *DateTimeColumn) Len() int { return len(*c) }

// Len returns the number of values.
func (c *IPv6Column) Len() int { return len(*c) }

// Reset empties the column.
func (c *UInt8Column) Reset() { *c = (*c)[:0] }

// Reset empties the column.
func (c *UInt16Column) Reset() { *c = (*c)[:0] }

// Reset empties the column.
func (c *UInt32Column) Reset() { *c = (*c)[:0] }

// Reset empties the column.
func (c *UInt64Column) Reset() { *c = (*c)[:0] }

// Reset empties the column.
func (c *Int8Column) Reset() { *c = (*c)[:0] }

// Reset empties the column.
func (c *DateTimeColumn) Reset() { *c = (*c)[:0] }

// Reset empties the column.
func (c *IPv6Column) Reset() { *c = (*c)[:0] }

// AppendTime adds t, truncated to seconds. Times before 1970 or after 2106
// are clamped to the DateTime range.
func (c *DateTimeColumn) AppendTime(t time.Time) {
	s := t.Unix()
	switch {
	case s < 0:
		s = 0
	case s > 1<<32-1:
		s = 1<<32 - 1
	}
	*c = append(*c, uint32(s))
}

// AppendAddr adds a. An invalid address is stored as ::.
func (c *IPv6Column) AppendAddr(a netip.Addr) {
	if !a.IsValid() {
		*c = append(*c, [16]byte{})
		return
	}
	*c = append(*c, a.As16())
}
