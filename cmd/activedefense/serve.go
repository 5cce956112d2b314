package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"golang.org/x/sync/errgroup"

	"github.com/activedefense/activedefense/detect"
	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/web"
	"github.com/activedefense/activedefense/web/chhttp"
	"github.com/activedefense/activedefense/web/ui"
)

type serveFlags struct {
	listen        string
	insecureHTTP  bool
	tlsCert       string
	tlsKey        string
	retentionDays int
	lockWait      time.Duration
	ingest        ingest.Config
	syslog        ingest.ListenerConfig
	hunt          chhttp.ProxyConfig // server mode: the read-only HTTP endpoint hunting proxies to
}

func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("serve")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return err
	}
	return a.serve(ctx, a.srv)
}

// stores are the stores by role: ingest writes, the app runs detection and
// operations, hunt is read-only and limited, so a heavy hunt never starves
// ingest or detection.
type stores struct {
	ingest, app schema.Store
	hunt        schema.RawQuerier // nil in server mode (hunting proxies to the server)
	closers     []func() error
}

func (s *stores) Close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		_ = s.closers[i]()
	}
}

// Hunting store limits.
const (
	huntMaxSeconds = 30
	huntMaxRows    = 1_000_000
	huntMaxBytes   = 64 << 20
	huntMaxMemory  = 1 << 30
)

func (a *app) openStores(ctx context.Context) (*stores, error) {
	s := &stores{}
	plan := planMemory(a.g.memoryLimit)
	open := func(o chembed.Options) (*chembed.Store, error) {
		o.LibPath, o.Path, o.Engine = a.g.chdbLib, filepath.Join(a.g.dataDir, "clickhouse"), plan.engine
		st, err := chembed.Open(ctx, o)
		if err == nil {
			s.closers = append(s.closers, st.Close)
		}
		return st, err
	}
	if a.g.dsn != "" {
		app, err := a.openStore(ctx)
		if err != nil {
			return nil, err
		}
		s.closers = append(s.closers, app.Close)
		s.app, s.ingest = app, app
		return s, nil
	}
	if a.g.cluster != "" {
		return nil, fmt.Errorf("%w: --clickhouse-cluster needs --clickhouse-dsn", errUsage)
	}
	plan.applyGo(a.env)
	// Large GROUP BYs and sorts spill to disk instead of failing against
	// the engine's memory limit (detection over a long history, hunting).
	spill := map[string]string{"max_bytes_before_external_group_by": fmt.Sprint(64 << 20),
		"max_bytes_before_external_sort": fmt.Sprint(64 << 20)}
	app, err := open(chembed.Options{PoolSize: 6, Settings: spill})
	if err != nil {
		return nil, err
	}
	ing, err := open(chembed.Options{PoolSize: 4})
	if err != nil {
		s.Close()
		return nil, err
	}
	hunt, err := open(chembed.Options{PoolSize: 2, Settings: map[string]string{
		"readonly": "1", "max_execution_time": fmt.Sprint(huntMaxSeconds), "max_result_rows": fmt.Sprint(huntMaxRows),
		"max_result_bytes": fmt.Sprint(huntMaxBytes), "result_overflow_mode": "throw", "max_memory_usage": fmt.Sprint(huntMaxMemory),
		"max_threads": "1", "max_bytes_before_external_group_by": spill["max_bytes_before_external_group_by"],
		"max_bytes_before_external_sort": spill["max_bytes_before_external_sort"]}})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.app, s.ingest, s.hunt = app, ing, hunt
	return s, nil
}

func (a *app) serve(ctx context.Context, f serveFlags) error {
	log := a.log.WithField("component", "serve")
	plan := planMemory(a.g.memoryLimit)
	if a.g.dsn == "" {
		if err := plan.reexecForMalloc(a.env); err != nil {
			log.WithError(err).Warn("engine allocator left at its defaults")
		}
	}
	if plan.buffer > 0 {
		f.ingest.MaxBufferedBytes = plan.buffer
	}
	lock, err := lockDataDir(ctx, a.g.dataDir, f.lockWait)
	if err != nil {
		return err
	}
	defer lock.release()
	st, err := a.openStores(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := migrate(ctx, st.app, 0)
	if err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"engine": st.app.Info().Engine, "engine_version": engineVersion(ctx, st.app),
		"database": st.app.Info().Database, "schema_version": res.Current, "data_dir": a.g.dataDir,
		"memory_limit": formatSize(a.g.memoryLimit), "je_malloc_conf": a.env("JE_MALLOC_CONF")}).Info("store ready")

	pipe := ingest.New(f.ingest, st.ingest, a.log.WithField("component", "ingest"))
	listener := ingest.NewListener(f.syslog, f.ingest, st.ingest, a.log.WithField("component", "syslog"))
	live := pipelineControl{p: pipe}
	if listener.Enabled() {
		live.l = listener
	}
	c, err := a.newCore(ctx, st.app, live)
	if err != nil {
		return err
	}
	c.devs.icfg = f.ingest
	m := newMetrics()
	sched := detect.NewScheduler(a.log.WithField("component", "scheduler"))
	silence := c.det.NewSilenceWatch()
	a.addJobs(sched, c, st.app, f.retentionDays, silence, m)

	deps := c.webDeps(func(ctx context.Context, days int) (schema.MigrateResult, error) { return migrate(ctx, st.app, days) })
	deps.Detect = observedDetect{Service: c.det, m: m, before: func(ctx context.Context) {
		catchUp(ctx, pipe.Status, func(ctx context.Context) ([]schema.Device, error) { return schema.ListDevices(ctx, st.app) })
	}}
	deps.Jobs = sched
	deps.Backups = a.backups(st.app)
	deps.Hunt = a.huntHandler(st, f, c)
	deps.Ready = readiness(st.app, res.Current, pipe.Status)
	deps.Metrics, deps.Middleware = m.handler(), []fiber.Handler{m.middleware}
	websrv := web.New(web.Config{
		Listen: f.listen, InsecureHTTP: f.insecureHTTP, CertFile: f.tlsCert, KeyFile: f.tlsKey,
		TLSDir: filepath.Join(a.g.dataDir, "tls"), Version: version, SocketDir: a.g.dataDir,
	}, deps, a.log.WithField("component", "web"))
	src := sources{ingest: pipe.Status, notify: c.det.Notifier(), jobs: sched.Status, edl: websrv.EDL(), store: st.app}
	if listener.Enabled() {
		src.syslog = listener.Stats
	}
	m.watch(src)
	setupTok := newSetup(c.users)
	pages, err := ui.New(ui.Config{Secure: !f.insecureHTTP, LogDir: a.logDir, Version: version}, ui.Deps{
		Store: st.app, Hunt: st.hunt, Detect: deps.Detect, Devices: c.devs, Jobs: sched, EDL: websrv.EDL(),
		Users: c.users, Sessions: c.sessions, Tokens: c.tokens, SetupToken: setupTok.token,
	}, a.log.WithField("component", "ui"))
	if err != nil {
		return err
	}
	websrv.Mount(pages)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return pipe.Run(gctx) })
	if listener.Enabled() {
		g.Go(func() error { return listener.Run(gctx) })
	}
	g.Go(func() error { return c.det.Notifier().Run(gctx) })
	g.Go(func() error { return sched.Run(gctx) })
	g.Go(func() error { return rescheduleOnChange(gctx, c.set, sched) })
	g.Go(func() error { return websrv.Run(gctx) })
	g.Go(func() error { return announce(gctx, websrv, f, setupTok, log) })
	err = g.Wait()
	log.Info("stopped")
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// addJobs registers the periodic work with the one scheduler.
func (a *app) addJobs(sched *detect.Scheduler, c *core, st schema.Store, retentionDays int, silence *detect.SilenceWatch, m *metrics) {
	enabled := func() bool { return c.set.Values().Bool(schema.SystemEnabled) }
	sched.Add(detect.Job{Name: "detect", Immediately: true,
		Every: func() time.Duration { return c.set.Values().Duration(schema.DetectInterval) },
		Run: func(ctx context.Context) error {
			_, err := observedDetect{Service: c.det, m: m}.Run(ctx, detect.TriggerSchedule)
			return err
		}})
	sched.Add(detect.Job{Name: "expire", Immediately: true, Every: func() time.Duration { return 24 * time.Hour },
		Run: func(ctx context.Context) error {
			if !enabled() {
				return nil
			}
			_, err := c.det.ExpireBlacklist(ctx, schema.System)
			return err
		}})
	sched.Add(detect.Job{Name: "feeds", Immediately: true, Every: func() time.Duration { return 15 * time.Second },
		Run: func(ctx context.Context) error {
			if !enabled() {
				return nil
			}
			return c.det.RefreshFeeds(ctx, false)
		}})
	sched.Add(detect.Job{Name: "retention", Immediately: true, Every: func() time.Duration { return 6 * time.Hour },
		Run: func(ctx context.Context) error { return applyRetention(ctx, st, c.set.Values(), retentionDays) }})
	sched.Add(detect.Job{Name: "silence", Every: func() time.Duration { return 30 * time.Second },
		Run: func(ctx context.Context) error {
			devs, err := c.devs.ListDevices(ctx)
			if err != nil {
				return err
			}
			silence.Check(devs)
			m.setDevices(devs)
			return nil
		}})
}

// applyRetention keeps retention.months of logs (31 days a month), or
// --retention-days when given, which wins over the setting.
func applyRetention(ctx context.Context, st schema.Store, v schema.Values, override int) error {
	days := v.Int(schema.RetentionMonths) * schema.DaysPerMonth
	if override > 0 {
		days = override
	}
	if _, err := schema.SetRetention(ctx, st, days); err != nil {
		return err
	}
	return schema.DropExpiredPartitions(ctx, st, days)
}

// rescheduleOnChange tells the scheduler about settings changes (the
// detection interval) and re-applies retention.
func rescheduleOnChange(ctx context.Context, set *schema.Settings, sched *detect.Scheduler) error {
	ch, stop := set.Subscribe()
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ch:
			sched.Reschedule()
		}
	}
}

// huntHandler is the ClickHouse-compatible hunting endpoint: on the
// embedded engine over the read-only store; with a ClickHouse server, a
// proxy to its HTTP interface with a read-only user (when configured).
func (a *app) huntHandler(st *stores, f serveFlags, c *core) web.Registrar {
	authn := func(ctx context.Context, user, key string) error { return c.tokens.VerifyHunt(ctx, user, key) }
	log := a.log.WithField("component", "hunt")
	if st.hunt != nil {
		return chhttp.New(chhttp.Config{Database: st.app.Info().Database, MaxExecutionTime: huntMaxSeconds * time.Second,
			MaxResultBytes: huntMaxBytes}, st.hunt, authn, log)
	}
	if f.hunt.URL != "" {
		f.hunt.Database = st.app.Info().Database
		return chhttp.NewProxy(f.hunt, authn, log)
	}
	return nil
}

// announce logs where to go once the web server listens.
func announce(ctx context.Context, s *web.Server, f serveFlags, setup *setup, log *logrus.Entry) error {
	select {
	case addr := <-s.Ready():
		scheme := "https"
		if f.insecureHTTP {
			scheme = "http"
		}
		if strings.HasPrefix(addr, "[::]:") || strings.HasPrefix(addr, "0.0.0.0:") {
			addr = "localhost:" + addr[strings.LastIndex(addr, ":")+1:]
		}
		base := fmt.Sprintf("%s://%s/", scheme, addr)
		log.WithField("url", base).Info("serving")
		if tok := setup.token(); tok != "" {
			log.WithFields(logrus.Fields{"url": base + "setup", "setup_token": tok}).
				Warn("no user exists yet: create the first admin at this address with this token (or: activedefense user add NAME --role admin)")
		}
	case <-ctx.Done():
	}
	return nil
}

// migrate applies migrations, then the retention when one is given and it
// differs from the recorded one.
func migrate(ctx context.Context, st schema.Store, retentionDays int) (schema.MigrateResult, error) {
	o := schema.DefaultRenderOptions()
	if retentionDays > 0 {
		o.RetentionDays = retentionDays
	}
	res, err := schema.Migrate(ctx, st, o)
	if err != nil {
		return res, err
	}
	if retentionDays > 0 {
		if _, err := schema.SetRetention(ctx, st, retentionDays); err != nil {
			return res, err
		}
	}
	return res, nil
}
