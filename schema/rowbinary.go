package schema

import (
	"encoding/binary"
	"fmt"
)

// RowBinaryEncoder writes a Block in ClickHouse's RowBinary format, in
// chunks, so that a large block never needs one buffer of its full size.
type RowBinaryEncoder struct {
	enc  []func(dst []byte, row int) []byte
	rows int
	next int
}

// NewRowBinaryEncoder prepares an encoder for b. It fails on a column type
// the encoder does not know or on columns of different lengths.
func NewRowBinaryEncoder(b *Block) (*RowBinaryEncoder, error) {
	n, err := b.Rows()
	if err != nil {
		return nil, err
	}
	e := &RowBinaryEncoder{rows: n, enc: make([]func([]byte, int) []byte, len(b.Columns))}
	for i, c := range b.Columns {
		f, err := columnEncoder(c.Data)
		if err != nil {
			return nil, fmt.Errorf("encoding column %s of %s: %w", c.Name, b.Table, err)
		}
		e.enc[i] = f
	}
	return e, nil
}

// Rows returns the number of rows in the block.
func (e *RowBinaryEncoder) Rows() int { return e.rows }

// Next appends whole rows to dst[:0] until it holds at least limit bytes or
// the block is exhausted. It returns nil at the end.
func (e *RowBinaryEncoder) Next(dst []byte, limit int) []byte {
	if e.next >= e.rows {
		return nil
	}
	dst = dst[:0]
	for e.next < e.rows && len(dst) < limit {
		for _, f := range e.enc {
			dst = f(dst, e.next)
		}
		e.next++
	}
	return dst
}

func columnEncoder(c Column) (func([]byte, int) []byte, error) {
	switch c := c.(type) {
	case *StringColumn:
		return func(dst []byte, i int) []byte {
			v := c.Bytes(i)
			dst = binary.AppendUvarint(dst, uint64(len(v)))
			return append(dst, v...)
		}, nil
	case *UInt8Column:
		return func(dst []byte, i int) []byte { return append(dst, (*c)[i]) }, nil
	case *Int8Column:
		return func(dst []byte, i int) []byte { return append(dst, byte((*c)[i])) }, nil
	case *UInt16Column:
		return func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint16(dst, (*c)[i]) }, nil
	case *UInt32Column:
		return func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint32(dst, (*c)[i]) }, nil
	case *DateTimeColumn:
		return func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint32(dst, (*c)[i]) }, nil
	case *UInt64Column:
		return func(dst []byte, i int) []byte { return binary.LittleEndian.AppendUint64(dst, (*c)[i]) }, nil
	case *IPv6Column:
		return func(dst []byte, i int) []byte { v := (*c)[i]; return append(dst, v[:]...) }, nil
	default:
		return nil, fmt.Errorf("unsupported column type %T", c)
	}
}
