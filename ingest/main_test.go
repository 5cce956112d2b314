package ingest_test

import (
	"context"
	"testing"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
)

func TestMain(m *testing.M) { chembedtest.VerifyMain(m) }

// newStore opens a migrated store on a fresh database.
func newStore(t *testing.T) schema.Store {
	t.Helper()
	st := chembedtest.Open(t)
	if _, err := schema.Migrate(context.Background(), st, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	return st
}

func count(t *testing.T, st schema.Store, q string, p schema.Params) uint64 {
	t.Helper()
	n, err := schema.Count(context.Background(), st, q, p)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
