package ingest_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/pangen"
	"github.com/activedefense/activedefense/ingest/tail"
	"github.com/activedefense/activedefense/schema"
)

// corpus is a set of generated lines and what must be stored from them.
type corpus struct {
	lines            []pangen.Line
	stored, rejected int
	skipped          int
}

func generate(n int, seed uint64, start time.Time) *corpus {
	g := pangen.New(seed, start, time.UTC)
	c := &corpus{}
	for i := 0; i < n; i++ {
		l := g.Mix()
		c.add(l)
	}
	return c
}

func (c *corpus) add(l pangen.Line) {
	c.lines = append(c.lines, l)
	switch {
	case l.Stored():
		c.stored++
	case l.Kind == pangen.Garbage:
		c.rejected++
	default:
		c.skipped++
	}
}

func (c *corpus) text(from, to int) string {
	var b strings.Builder
	for _, l := range c.lines[from:to] {
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return b.String()
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// verify checks that every stored line is in logs exactly once with the
// generated values, and that nothing else is.
func verify(t *testing.T, st schema.Store, device string, c *corpus) {
	t.Helper()
	p := schema.Params{"d": device}
	if got := count(t, st, "SELECT count() FROM logs WHERE device = {d:String}", p); got != uint64(c.stored) {
		t.Fatalf("logs rows = %d, want %d", got, c.stored)
	}
	if got := count(t, st, "SELECT count() FROM rejected_lines WHERE device = {d:String}", p); got != uint64(c.rejected) {
		t.Fatalf("rejected rows = %d, want %d", got, c.rejected)
	}
	type key struct {
		src  netip.Addr
		port uint16
		ts   int64
	}
	got := map[key]int{}
	err := schema.QueryEach(context.Background(), st, `SELECT src_ip6, src_port, ts, dst_ip6, dst_port, src_country, severity, threat_id
FROM logs WHERE device = {d:String}`, p, func(r schema.Rows) error {
		var (
			src, dst netip.Addr
			sp, dp   uint16
			ts       time.Time
			cc, sev  string
			tid      uint64
		)
		if err := r.Scan(&src, &sp, &ts, &dst, &dp, &cc, &sev, &tid); err != nil {
			return err
		}
		got[key{src, sp, ts.Unix()}]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.lines {
		if !l.Stored() {
			continue
		}
		k := key{l.Src, l.SrcPort, l.Time.Unix()}
		if got[k] == 0 {
			t.Fatalf("line missing from logs: %s", l.Text)
		}
		got[k]--
	}
}

// faultStore wraps a real store and fails chosen calls, to put a crash at
// an exact point of the exactly-once protocol.
type faultStore struct {
	schema.Store
	mu sync.Mutex
	// failInsert fails the n-th Insert (1-based) when > 0, after letting it
	// reach the engine if afterInsert is set.
	failInsert  int
	afterInsert bool
	inserts     int
	// failCommit fails the n-th commit checkpoint (pending_end == offset),
	// failIntent the n-th intent checkpoint (pending_end > offset).
	failCommit, failIntent int
	commits, intents       int
	// dead: after the injected failure every call fails, as if the process
	// had died there; onFail runs once at that moment.
	dead   bool
	onFail func()
}

func (f *faultStore) die() {
	if !f.dead {
		f.dead = true
		if f.onFail != nil {
			f.onFail()
		}
	}
}

func (f *faultStore) isDead() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dead
}

var errInjected = fmt.Errorf("injected failure")

func (f *faultStore) Insert(ctx context.Context, b *schema.Block, o schema.InsertOptions) error {
	if f.isDead() {
		return errInjected
	}
	f.mu.Lock()
	f.inserts++
	fail := f.failInsert > 0 && f.inserts == f.failInsert
	if fail {
		f.die()
	}
	f.mu.Unlock()
	if fail && !f.afterInsert {
		return errInjected
	}
	err := f.Store.Insert(ctx, b, o)
	if fail {
		return errInjected
	}
	return err
}

func (f *faultStore) Exec(ctx context.Context, q string, p schema.Params) error {
	if f.isDead() {
		return errInjected
	}
	if strings.Contains(q, "INSERT INTO ingest_checkpoints") {
		f.mu.Lock()
		var fail bool
		if p["pending"] == p["offset"] {
			f.commits++
			fail = f.failCommit > 0 && f.commits == f.failCommit
		} else {
			f.intents++
			fail = f.failIntent > 0 && f.intents == f.failIntent
		}
		if fail {
			f.die()
		}
		f.mu.Unlock()
		if fail {
			return errInjected
		}
	}
	return f.Store.Exec(ctx, q, p)
}

func (f *faultStore) Query(ctx context.Context, q string, p schema.Params) (schema.Rows, error) {
	if f.isDead() {
		return nil, errInjected
	}
	return f.Store.Query(ctx, q, p)
}

func tailIdentify(f *os.File) (string, error) {
	id, err := tail.Identify(f)
	return id.String(), err
}
