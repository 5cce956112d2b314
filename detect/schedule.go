package detect

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// Job is periodic work for the scheduler.
type Job struct {
	Name string
	// Every returns the interval; it is asked again after Reschedule.
	Every func() time.Duration
	// Run does the work once; its context ends when the scheduler stops.
	Run func(ctx context.Context) error
	// SlowAfter logs a run longer than this as slow (default: the interval).
	SlowAfter time.Duration
	// Immediately runs the job once at start.
	Immediately bool
}

// Scheduler is the one gocron scheduler of the service: detection, expiry,
// feeds and retention register jobs with it. A job never overlaps itself: a
// run still going when the next is due is logged as slow and the next run is
// skipped (gocron's singleton mode, reschedule), not stacked.
type Scheduler struct {
	log        *logrus.Entry
	mu         sync.Mutex
	jobs       []*jobState
	reschedule chan struct{}
}

type jobState struct {
	Job
	every time.Duration
	id    uuid.UUID
	gj    gocron.Job
	last  schema.JobStatus
}

// NewScheduler returns an empty scheduler; it starts nothing.
func NewScheduler(log *logrus.Entry) *Scheduler {
	return &Scheduler{log: log, reschedule: make(chan struct{}, 1)}
}

// Add registers a job; call it before Run.
func (s *Scheduler) Add(j Job) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, &jobState{Job: j})
}

// Reschedule makes Run ask every job for its interval again (after a
// settings change).
func (s *Scheduler) Reschedule() {
	select {
	case s.reschedule <- struct{}{}:
	default:
	}
}

// Status returns every job's last and next run.
func (s *Scheduler) Status() []schema.JobStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]schema.JobStatus, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = j.last
		out[i].Name, out[i].Every = j.Name, j.every
		if j.gj != nil {
			if t, err := j.gj.NextRun(); err == nil {
				out[i].NextRun = t
			}
		}
	}
	return out
}

// Run schedules the jobs until ctx is done, then waits for running jobs
// (their context is cancelled) for up to 30 seconds.
func (s *Scheduler) Run(ctx context.Context) error {
	gs, err := gocron.NewScheduler(gocron.WithLogger(gocronLogger{s.log}), gocron.WithStopTimeout(30*time.Second),
		gocron.WithLocation(time.UTC))
	if err != nil {
		return fmt.Errorf("creating scheduler: %w", err)
	}
	s.mu.Lock()
	for _, j := range s.jobs {
		if err := s.schedule(ctx, gs, j, true); err != nil {
			s.mu.Unlock()
			_ = gs.Shutdown()
			return err
		}
	}
	s.mu.Unlock()
	gs.Start()
	for {
		select {
		case <-ctx.Done():
			if err := gs.Shutdown(); err != nil {
				s.log.WithError(err).Warn("scheduler stopped with jobs still running")
			}
			return nil
		case <-s.reschedule:
			s.mu.Lock()
			for _, j := range s.jobs {
				if every := j.Every(); every != j.every {
					if err := s.schedule(ctx, gs, j, false); err != nil {
						s.log.WithError(err).WithField("job", j.Name).Warn("rescheduling failed")
					}
				}
			}
			s.mu.Unlock()
		}
	}
}

// schedule adds or updates j; the caller holds s.mu.
func (s *Scheduler) schedule(ctx context.Context, gs gocron.Scheduler, j *jobState, first bool) error {
	j.every = j.Every()
	opts := []gocron.JobOption{gocron.WithName(j.Name), gocron.WithSingletonMode(gocron.LimitModeReschedule),
		gocron.WithContext(ctx)}
	if first && j.Immediately {
		opts = append(opts, gocron.WithStartAt(gocron.WithStartImmediately()))
	}
	task := gocron.NewTask(func(ctx context.Context) { s.runOnce(ctx, j) })
	var gj gocron.Job
	var err error
	if j.gj == nil {
		gj, err = gs.NewJob(gocron.DurationJob(j.every), task, opts...)
	} else {
		gj, err = gs.Update(j.id, gocron.DurationJob(j.every), task, opts...)
	}
	if err != nil {
		return fmt.Errorf("scheduling %s every %s: %w", j.Name, j.every, err)
	}
	j.gj, j.id = gj, gj.ID()
	s.log.WithFields(logrus.Fields{"job": j.Name, "every": j.every.String()}).Debug("job scheduled")
	return nil
}

func (s *Scheduler) runOnce(ctx context.Context, j *jobState) {
	start := time.Now()
	err := j.Run(ctx)
	took := time.Since(start)
	log := s.log.WithFields(logrus.Fields{"job": j.Name, "duration_ms": took.Milliseconds()})
	slow := j.SlowAfter
	s.mu.Lock()
	if slow <= 0 {
		slow = j.every
	}
	j.last = schema.JobStatus{LastRun: start, Duration: took}
	if err != nil {
		j.last.LastErr = err.Error()
	}
	s.mu.Unlock()
	switch {
	case err != nil && ctx.Err() == nil:
		log.WithError(err).Warn("job failed")
	case took > slow:
		log.Warn("job slower than its interval; the next run was skipped")
	}
}

// gocronLogger adapts logrus to gocron's slog-style logger.
type gocronLogger struct{ l *logrus.Entry }

func (g gocronLogger) fields(args []any) *logrus.Entry {
	f := logrus.Fields{}
	for i := 0; i+1 < len(args); i += 2 {
		f[fmt.Sprint(args[i])] = args[i+1]
	}
	return g.l.WithFields(f)
}

func (g gocronLogger) Debug(msg string, args ...any) { g.fields(args).Debug(msg) }
func (g gocronLogger) Info(msg string, args ...any)  { g.fields(args).Debug(msg) }
func (g gocronLogger) Warn(msg string, args ...any)  { g.fields(args).Warn(msg) }
func (g gocronLogger) Error(msg string, args ...any) { g.fields(args).Error(msg) }
