package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/sync/errgroup"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web"
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
}

func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("serve")
	var f serveFlags
	listenDef := ":8443"
	if v := a.env("AD_LISTEN"); v != "" {
		listenDef = v
	}
	fs.StringVar(&f.listen, "listen", listenDef, "web listen address (AD_LISTEN)")
	fs.BoolVar(&f.insecureHTTP, "insecure-http", false, "serve plain HTTP instead of HTTPS")
	fs.StringVar(&f.tlsCert, "tls-cert", a.env("AD_TLS_CERT"), "TLS certificate (PEM); default: self-signed in the data dir")
	fs.StringVar(&f.tlsKey, "tls-key", a.env("AD_TLS_KEY"), "TLS private key (PEM)")
	fs.IntVar(&f.retentionDays, "retention-days", 0, "days of firewall logs to keep (0: leave as is; 90 on a new schema)")
	fs.DurationVar(&f.lockWait, "lock-wait", 30*time.Second, "how long to wait for a data dir held by another process")
	fs.StringVar(&f.syslog.UDP, "syslog-udp", a.env("AD_SYSLOG_UDP"), "built-in syslog listener UDP address, e.g. :5514 (off by default)")
	fs.StringVar(&f.syslog.TCP, "syslog-tcp", a.env("AD_SYSLOG_TCP"), "built-in syslog listener TCP address (off by default)")
	ingestFlags(fs, &f.ingest)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return err
	}
	return a.serve(ctx, f)
}

func (a *app) serve(ctx context.Context, f serveFlags) error {
	log := a.log.WithField("component", "serve")
	lock, err := lockDataDir(ctx, a.g.dataDir, f.lockWait)
	if err != nil {
		return err
	}
	defer lock.release()
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := migrate(ctx, st, f.retentionDays)
	if err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"engine": st.Info().Engine, "engine_version": engineVersion(ctx, st),
		"database": st.Info().Database, "schema_version": res.Current, "data_dir": a.g.dataDir}).Info("store ready")

	pipe := ingest.New(f.ingest, st, a.log.WithField("component", "ingest"))
	ops := &localOps{st: st, log: a.log.WithField("component", "control"), ingest: pipelineControl{pipe},
		icfg: f.ingest}
	ctl := &controlServer{dir: a.g.dataDir, ops: ops, log: a.log.WithField("component", "control")}
	websrv := web.New(web.Config{
		Listen: f.listen, InsecureHTTP: f.insecureHTTP, CertFile: f.tlsCert, KeyFile: f.tlsKey,
		TLSDir: filepath.Join(a.g.dataDir, "tls"), Version: version,
	}, func(ctx context.Context) error {
		_, err := schema.Count(ctx, st, "SELECT 1", nil)
		return err
	}, a.log.WithField("component", "web"))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return pipe.Run(gctx) })
	g.Go(func() error { return runRetention(gctx, st, a.log.WithField("component", "retention")) })
	if l := ingest.NewListener(f.syslog, f.ingest, st, a.log.WithField("component", "syslog")); l.Enabled() {
		g.Go(func() error { return l.Run(gctx) })
	}
	g.Go(func() error { return ctl.run(gctx) })
	g.Go(func() error { return websrv.Run(gctx) })
	g.Go(func() error { return announce(gctx, websrv, f, log) })
	err = g.Wait()
	log.Info("stopped")
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// announce logs where to go once the web server listens.
func announce(ctx context.Context, s *web.Server, f serveFlags, log *logrus.Entry) error {
	select {
	case addr := <-s.Ready():
		scheme := "https"
		if f.insecureHTTP {
			scheme = "http"
		}
		log.WithField("url", fmt.Sprintf("%s://%s/healthz", scheme, addr)).Info("serving")
	case <-ctx.Done():
	}
	return nil
}
