package chembed

import (
	"context"
	"runtime"
	"sort"

	"github.com/activedefense/activedefense/schema"
)

var _ schema.RawQuerier = (*Store)(nil)

// QueryRaw implements schema.RawQuerier. The statement is classified with
// the engine's own parser (chdb_classify_query_n) on the connection that
// would run it, and refused unless it is a single read-only statement; its
// syntax tree is then checked for what reaches outside the store even
// under readonly=1 (checkAST). A read-only store also has readonly=1 among
// its Settings, so the engine itself refuses writes, SET and SETTINGS
// overrides and table functions reading outside it.
func (s *Store) QueryRaw(ctx context.Context, q schema.RawQuery) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return nil, err
	}
	if q.Database != "" && q.Database != s.db {
		if err := c.exec("USE "+schema.QuoteIdent(q.Database), nil); err != nil {
			s.release(c)
			return nil, err
		}
		defer s.restoreDatabase(c)
	} else {
		defer s.release(c)
	}
	if err := c.checkReadOnly(q.SQL); err != nil {
		return nil, err
	}
	if err := c.checkAST(q.SQL, q.Params); err != nil {
		return nil, err
	}
	return c.queryText(q.SQL, q.Format, q.Params)
}

// restoreDatabase switches c back to the store's database before returning
// it to the pool; a connection that cannot switch back is closed.
func (s *Store) restoreDatabase(c *conn) {
	if err := c.exec("USE "+schema.QuoteIdent(s.db), nil); err != nil {
		c.close()
		<-s.slots
		s.done()
		return
	}
	s.release(c)
}

// queryText runs query with parameters given as escaped text.
func (c *conn) queryText(query, format string, p map[string]string) ([]byte, error) {
	if len(p) == 0 {
		return c.query(query, format, nil)
	}
	cp := textParams(p)
	defer runtime.KeepAlive(cp)
	qb, qp, ql := cBytes(query)
	fb, fp, fl := cBytes(format)
	defer runtime.KeepAlive(qb)
	defer runtime.KeepAlive(fb)
	res := c.api.queryParamsN(c.h, qp, ql, fp, fl, &cp.names[0], &cp.nameLens[0], &cp.values[0], &cp.valLens[0], uintptr(len(cp.names)))
	if res == nil {
		return nil, errNilResult
	}
	defer c.api.destroyResult(res)
	if err := c.resultErr(res); err != nil {
		return nil, err
	}
	return c.resultBytes(res, nil), nil
}

// textParams makes C views of text parameters, sorted by name.
func textParams(p map[string]string) *params {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	cp := &params{}
	for _, k := range names {
		nb, np, nl := cBytes(k)
		vb, vp, vl := cBytes(p[k])
		cp.keep = append(cp.keep, nb, vb)
		cp.names, cp.nameLens = append(cp.names, np), append(cp.nameLens, nl)
		cp.values, cp.valLens = append(cp.values, vp), append(cp.valLens, vl)
	}
	return cp
}
