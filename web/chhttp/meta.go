package chhttp

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/activedefense/activedefense/schema"
)

// engineMeta holds facts about the engine that never change while it runs:
// its version, its setting names and its output formats.
type engineMeta struct {
	version  string
	settings map[string]bool
	formats  map[string]string // lower-case name -> canonical name
}

// metaCache loads engineMeta once; a failed load is retried by the next
// request.
type metaCache struct {
	mu   sync.Mutex
	meta *engineMeta
}

const metaSQL = `SELECT 'v', version()
UNION ALL SELECT 's', name FROM system.settings
UNION ALL SELECT 'f', name FROM system.formats WHERE is_output`

func (m *metaCache) get(ctx context.Context, st schema.RawQuerier) (*engineMeta, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.meta != nil {
		return m.meta, nil
	}
	out, err := st.QueryRaw(ctx, schema.RawQuery{SQL: metaSQL, Format: "TabSeparated"})
	if err != nil {
		return nil, fmt.Errorf("reading engine settings and formats: %w", err)
	}
	em := &engineMeta{settings: map[string]bool{}, formats: map[string]string{}}
	for line := range bytes.SplitSeq(out, []byte("\n")) {
		kind, name, ok := bytes.Cut(line, []byte("\t"))
		if !ok {
			continue
		}
		s := schema.UnescapeTSV(string(name))
		switch string(kind) {
		case "v":
			em.version = s
		case "s":
			em.settings[s] = true
		case "f":
			em.formats[strings.ToLower(s)] = s
		}
	}
	m.meta = em
	return em, nil
}

// outputFormat returns the format a response is in: a FORMAT clause naming
// a known output format wins over the requested one.
func (em *engineMeta) outputFormat(clause, requested string) string {
	if f, ok := em.formats[strings.ToLower(clause)]; ok {
		return f
	}
	if f, ok := em.formats[strings.ToLower(requested)]; ok {
		return f
	}
	return requested
}
