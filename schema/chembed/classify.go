package chembed

import (
	"errors"
	"fmt"
	"runtime"
	"unsafe"

	"github.com/activedefense/activedefense/schema"
)

// queryAnalysis is chdb_query_analysis_v1.
type queryAnalysis struct {
	structSize     uint32
	statementCount uint32
	flags          uint32
	queryClass     uint32
}

// Query classes of chdb_classify_query_n (chdb_query_class).
const (
	classReadOnly       = 0
	classMutating       = 1
	classMutatingGlobal = 2
	classControl        = 3
	classUnknown        = 4
)

// classifyQueryN is chdb_classify_query_n; it is registered with the other
// symbols when the library loads.
var classifyQueryN func(conn unsafe.Pointer, sql *byte, sqlLen uintptr, db *byte, dbLen uintptr, out *queryAnalysis) int32

// classifySymbols lists the symbols of this file for api.register.
func classifySymbols() []struct {
	ptr  any
	name string
} {
	return []struct {
		ptr  any
		name string
	}{{&classifyQueryN, "chdb_classify_query_n"}}
}

// classify parses query with the connection's parser, without running it.
func (c *conn) classify(query string) (queryAnalysis, error) {
	qb, qp, ql := cBytes(query)
	out := queryAnalysis{structSize: uint32(unsafe.Sizeof(queryAnalysis{}))}
	rc := classifyQueryN(c.h, qp, ql, nil, 0, &out)
	runtime.KeepAlive(qb)
	if rc != 0 {
		return out, errors.New("chdb_classify_query_n failed")
	}
	return out, nil
}

// checkReadOnly refuses anything but one read-only statement. Text that
// does not parse passes (statement count 0): running it gives the engine's
// own syntax error and runs nothing.
func (c *conn) checkReadOnly(query string) error {
	a, err := c.classify(query)
	if err != nil {
		return fmt.Errorf("classifying statement: %w", err)
	}
	switch {
	case a.statementCount > 1:
		return schema.ErrMultiStatement
	case a.statementCount == 0 && a.queryClass == classUnknown:
		return nil
	case a.queryClass != classReadOnly:
		return fmt.Errorf("%w (%s)", schema.ErrNotReadOnly, className(a.queryClass))
	}
	return nil
}

func className(c uint32) string {
	switch c {
	case classMutating:
		return "writes data"
	case classMutatingGlobal:
		return "changes global state"
	case classControl:
		return "session or server control, or output outside the engine"
	default:
		return "not classified"
	}
}
