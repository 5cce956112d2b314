package ingest

import (
	"testing"
	"time"

	"github.com/activedefense/activedefense/ingest/panos"
)

func TestBatchResetReleasesIdleBuffers(t *testing.T) {
	b := newBatch()
	day1 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	var r panos.Record
	r.Time = day1
	for i := 0; i < 20000; i++ {
		b.day(day1).add("fw", &r)
	}
	b.counts.lines = 20000
	b.reset()
	if lb := b.days[day1.Unix()/86400]; lb == nil || lb.capacity() < 20000 {
		t.Fatal("a well-used day block was not kept for reuse")
	}
	r.Time = day2
	for i := 0; i < 10; i++ {
		b.day(day2).add("fw", &r)
	}
	b.reset()
	if len(b.days) != 1 || b.days[day2.Unix()/86400] == nil {
		t.Fatalf("after a quiet batch on the next day: %d day blocks kept", len(b.days))
	}
	b.reset()
	if len(b.days) != 0 {
		t.Fatalf("an empty batch kept %d day blocks", len(b.days))
	}
}
