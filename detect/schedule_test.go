package detect_test

import (
	"context"
	"io"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/detect"
)

// TestSchedulerRescheduleAndSingleton: a changed interval reaches the
// running scheduler, and a slow job never overlaps itself.
func TestSchedulerRescheduleAndSingleton(t *testing.T) {
	log := logrus.New()
	log.SetOutput(io.Discard)
	s := detect.NewScheduler(logrus.NewEntry(log))
	var mu sync.Mutex
	every := time.Hour
	var fast atomic.Int32
	s.Add(detect.Job{Name: "fast", Immediately: true,
		Every: func() time.Duration { mu.Lock(); defer mu.Unlock(); return every },
		Run:   func(context.Context) error { fast.Add(1); return nil }})
	var running, overlaps, slowRuns atomic.Int32
	s.Add(detect.Job{Name: "slow", Immediately: true, Every: func() time.Duration { return 50 * time.Millisecond },
		Run: func(ctx context.Context) error {
			if running.Add(1) > 1 {
				overlaps.Add(1)
			}
			defer running.Add(-1)
			slowRuns.Add(1)
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
			}
			return nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	waitFor(t, "the first run", func() bool { return fast.Load() == 1 })
	time.Sleep(200 * time.Millisecond)
	if fast.Load() != 1 {
		t.Fatalf("an hourly job ran %d times", fast.Load())
	}
	mu.Lock()
	every = 50 * time.Millisecond
	mu.Unlock()
	s.Reschedule()
	waitFor(t, "runs at the new interval", func() bool { return fast.Load() >= 5 })
	time.Sleep(time.Second)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if overlaps.Load() != 0 || slowRuns.Load() > 5 {
		t.Fatalf("slow job: %d overlaps, %d runs in ~1.5 s of 300 ms runs", overlaps.Load(), slowRuns.Load())
	}
	st := s.Status()
	if len(st) != 2 || st[0].Name != "fast" || st[0].Every != 50*time.Millisecond || st[0].LastRun.IsZero() {
		t.Fatalf("status %+v", st)
	}
}
