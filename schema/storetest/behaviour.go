package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/activedefense/activedefense/schema"
)

func testStreamLarge(t *testing.T, st schema.Store) {
	rows, err := st.Query(ctx(t), "SELECT number, toString(number) FROM numbers(1000000)", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n, sum uint64
	for rows.Next() {
		var v uint64
		var s string
		if err := rows.Scan(&v, &s); err != nil {
			t.Fatal(err)
		}
		if s != fmt.Sprint(v) {
			t.Fatalf("row %d: %q", v, s)
		}
		n++
		sum += v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != 1000000 || sum != 999999*1000000/2 {
		t.Fatalf("streamed %d rows, sum %d", n, sum)
	}
}

// testQueryAnyStatement: Query runs statements without a result too (the
// sql command and the hunting console send whatever the user typed).
func testQueryAnyStatement(t *testing.T, st schema.Store) {
	for _, q := range []string{
		"CREATE TABLE q (x UInt8) ENGINE = MergeTree ORDER BY x",
		"INSERT INTO q SELECT number FROM numbers(5)",
		"ALTER TABLE q ADD COLUMN y String",
		"OPTIMIZE TABLE q FINAL",
	} {
		rows, err := st.Query(ctx(t), q, nil)
		if err != nil {
			t.Fatalf("Query(%q): %v", q, err)
		}
		if rows.Next() {
			t.Errorf("Query(%q) returned a row", q)
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("Query(%q) close: %v", q, err)
		}
	}
	if got := count(t, st, "SELECT sum(x) FROM q"); got != 10 {
		t.Fatalf("sum = %d", got)
	}
	if _, err := st.Query(ctx(t), "CREATE TABLE q (x UInt8) ENGINE = MergeTree ORDER BY x", nil); err == nil {
		t.Fatal("creating an existing table through Query succeeded")
	}
}

func testEarlyClose(t *testing.T, st schema.Store) {
	for i := 0; i < 20; i++ { // more than any pool size: a leaked connection would block
		rows, err := st.Query(ctx(t), "SELECT number FROM numbers(10000000)", nil)
		if err != nil {
			t.Fatal(err)
		}
		if !rows.Next() {
			t.Fatal("no first row")
		}
		if err := rows.Close(); err != nil {
			t.Fatalf("close after one row: %v", err)
		}
	}
	if got := count(t, st, "SELECT 42"); got != 42 {
		t.Fatalf("store unusable after early closes: %d", got)
	}
}

func testErrors(t *testing.T, st schema.Store) {
	err := st.Exec(ctx(t), "SELEC 1", nil)
	if err == nil || !containsAny(err.Error(), "Syntax error", "SYNTAX_ERROR") {
		t.Errorf("syntax error: %v", err)
	}
	_, err = st.Query(ctx(t), "SELECT * FROM missing_table", nil)
	if err == nil || !containsAny(err.Error(), "missing_table", "UNKNOWN_TABLE") {
		t.Errorf("missing table: %v", err)
	}
	if err := st.Exec(ctx(t), "SELECT {x:UInt8}", schema.Params{"x": "abc"}); err == nil {
		t.Error("unparsable parameter accepted")
	}
	if got := count(t, st, "SELECT 7"); got != 7 {
		t.Errorf("store unusable after errors: %d", got)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func testConcurrent(t *testing.T, st schema.Store) {
	mustExec(t, st, allTypesDDL, nil)
	const workers, rounds = 6, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				if err := concurrentStep(ctx(t), st, w, r); err != nil {
					errs <- fmt.Errorf("worker %d round %d: %w", w, r, err)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	inserts := 0
	for r := 0; r < rounds; r++ {
		if r%3 == 0 {
			inserts += workers
		}
	}
	if got := count(t, st, "SELECT count() FROM all_types"); got != uint64(inserts*50) {
		t.Errorf("rows = %d, want %d", got, inserts*50)
	}
}

func concurrentStep(c context.Context, st schema.Store, w, r int) error {
	switch r % 3 {
	case 0: // ingest-like
		return st.Insert(c, allTypesBlock(50), schema.InsertOptions{DedupToken: fmt.Sprintf("w%d:r%d", w, r)})
	case 1: // detection-like aggregate
		_, err := schema.Count(c, st, "SELECT uniqExact(ip) FROM all_types", nil)
		return err
	default: // web-like streamed read
		return schema.QueryEach(c, st, "SELECT s, ip FROM all_types LIMIT 100", nil, func(r schema.Rows) error {
			var s, ip string
			return r.Scan(&s, &ip)
		})
	}
}

func testCanceled(t *testing.T, st schema.Store) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	rows, err := st.Query(c, "SELECT number FROM numbers(100000000)", nil)
	if err == nil {
		for rows.Next() {
		}
		err = rows.Err()
		rows.Close()
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("query with canceled context: err = %v, want context.Canceled", err)
	}
}
