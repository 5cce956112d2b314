package web

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"golang.org/x/sync/errgroup"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/api"
	"github.com/activedefense/activedefense/web/auth"
	"github.com/activedefense/activedefense/web/edl"
	"github.com/activedefense/activedefense/web/ops"
)

// Config holds the restart-only settings of the web server.
type Config struct {
	Listen       string // host:port, default ":8443"
	InsecureHTTP bool   // plain HTTP instead of HTTPS
	CertFile     string // PEM certificate; "" with KeyFile "" = self-signed in TLSDir
	KeyFile      string
	TLSDir       string // where the self-signed certificate is kept
	Version      string
	ShutdownWait time.Duration // default 10s
	// SocketDir, when set, gets the CLI's Unix socket (see SocketPath).
	SocketDir string
	// TrustedProxies may set X-Forwarded-For (default: the loopback).
	TrustedProxies []string
}

// Check reports whether the service can do its job; nil means healthy.
type Check func(ctx context.Context) error

// Registrar mounts routes (the web pages, the hunting endpoint).
type Registrar interface {
	Register(r fiber.Router)
}

// Deps are what the server serves.
type Deps struct {
	Store   schema.Store
	Detect  ops.Detect
	Devices ops.Devices
	Jobs    ops.Jobs
	// Health says whether the store answers (/healthz); Ready whether the
	// service is ready: store, migrations, ingest (/readyz).
	Health, Ready Check
	// Metrics serves /metrics (nil: not mounted).
	Metrics fiber.Handler
	// Middleware runs first on every request to the web port (metrics).
	Middleware []fiber.Handler
	// Hunt is the ClickHouse-compatible endpoint mounted at /clickhouse.
	Hunt Registrar
	// Pages are the web application's pages, mounted last (or later with
	// Mount, when they need the server's EDL).
	Pages    Registrar
	Users    *auth.Users
	Tokens   *auth.Tokens
	Sessions *auth.Sessions
	Migrate  func(ctx context.Context, retentionDays int) (schema.MigrateResult, error)
	// DeviceSenders maps syslog sender addresses to devices (EDL clients).
	DeviceSenders func(ctx context.Context) (map[netip.Addr]string, error)
	// Backups backs the embedded store up (nil with a ClickHouse server).
	Backups api.Backups
}

// Server is the web server: one Fiber app on TCP (machine routes, the JSON
// API for tokens, the pages) and one on the Unix socket (the JSON API for
// the CLI).
type Server struct {
	cfg   Config
	d     Deps
	app   *fiber.App
	sock  *fiber.App
	api   *api.API
	edl   *edl.Server
	log   *logrus.Entry
	ready chan string // receives the bound address once listening
}

// New builds the server; it does not listen.
func New(cfg Config, d Deps, log *logrus.Entry) *Server {
	if cfg.Listen == "" {
		cfg.Listen = ":8443"
	}
	if cfg.ShutdownWait <= 0 {
		cfg.ShutdownWait = 10 * time.Second
	}
	if cfg.TrustedProxies == nil {
		cfg.TrustedProxies = []string{"127.0.0.1", "::1"}
	}
	s := &Server{cfg: cfg, d: d, log: log, ready: make(chan string, 1)}
	if d.Detect != nil {
		s.edl = edl.New(d.Detect, d.Store, d.DeviceSenders, log.WithField("component", "edl"))
	}
	s.api = api.New(api.Deps{Store: d.Store, Detect: d.Detect, Devices: d.Devices, Jobs: d.Jobs, EDL: s.edl,
		Users: d.Users, Tokens: d.Tokens, Sessions: d.Sessions, Version: cfg.Version, Backups: d.Backups,
		Migrate: func(c *fiber.Ctx, days int) (schema.MigrateResult, error) { return d.Migrate(c.UserContext(), days) }},
		log.WithField("component", "api"))
	s.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		Immutable:             true, // values from the request outlive it (poll records, audit)
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          10 * time.Minute, // streamed CSV exports of up to 1M rows
		IdleTimeout:           120 * time.Second,
		BodyLimit:             65 << 20,
		ReadBufferSize:        64 << 10, // ClickHouse clients send long queries by GET
		ErrorHandler:          s.errorHandler,
	})
	s.routes()
	s.sock = fiber.New(fiber.Config{DisableStartupMessage: true, Immutable: true, BodyLimit: 65 << 20, ErrorHandler: s.api.ErrorHandler,
		IdleTimeout: 120 * time.Second})
	s.sock.Use(s.requestLog)
	s.sock.Get("/healthz", s.healthz)
	if d.Detect != nil {
		s.api.Register(s.sock, true, false)
	}
	return s
}

// App returns the TCP Fiber app, for tests with App().Test.
func (s *Server) App() *fiber.App { return s.app }

// SocketApp returns the Unix socket's Fiber app (the CLI's API).
func (s *Server) SocketApp() *fiber.App { return s.sock }

// EDL returns the EDL server (its Run must be started with the server's).
func (s *Server) EDL() *edl.Server { return s.edl }

// Ready returns a channel that receives the listening address.
func (s *Server) Ready() <-chan string { return s.ready }

func (s *Server) routes() {
	s.app.Use(s.forwardedFor)
	for _, h := range s.d.Middleware {
		s.app.Use(h)
	}
	s.app.Use(s.requestLog)
	s.app.Get("/healthz", s.healthz)
	s.app.Get("/readyz", s.readyz)
	if s.d.Metrics != nil {
		s.app.Get("/metrics", s.d.Metrics)
	}
	if s.edl != nil {
		s.edl.Register(s.app)
		s.api.Register(s.app, false, !s.cfg.InsecureHTTP)
	}
	if s.d.Hunt != nil {
		s.d.Hunt.Register(s.app.Group("/clickhouse"))
	}
	if s.d.Pages != nil {
		s.d.Pages.Register(s.app)
	}
}

// forwardedFor makes the client address the one a trusted proxy (nginx on
// the loopback by default) names in X-Forwarded-For, its last element;
// anyone else's header is ignored. Without the header the peer's address
// stands.
func (s *Server) forwardedFor(c *fiber.Ctx) error {
	xff := c.Get(fiber.HeaderXForwardedFor)
	if xff == "" {
		return c.Next()
	}
	peer := c.Context().RemoteIP()
	if peer == nil || !slices.ContainsFunc(s.cfg.TrustedProxies, func(p string) bool { return net.ParseIP(p).Equal(peer) }) {
		return c.Next()
	}
	last := strings.TrimSpace(xff[strings.LastIndexByte(xff, ',')+1:])
	if ip := net.ParseIP(last); ip != nil {
		c.Context().SetRemoteAddr(&net.TCPAddr{IP: ip})
	}
	return c.Next()
}

// Mount adds the web application's pages after every other route; call it
// before Run.
func (s *Server) Mount(pages Registrar) {
	s.d.Pages = pages
	pages.Register(s.app)
}

func (s *Server) requestLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if s.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		s.log.WithFields(logrus.Fields{"method": c.Method(), "path": c.Path(), "status": c.Response().StatusCode(),
			"duration_ms": time.Since(start).Milliseconds(), "remote_addr": c.IP()}).Debug("request")
	}
	return err
}

func (s *Server) healthz(c *fiber.Ctx) error { return s.check(c, s.d.Health) }

func (s *Server) readyz(c *fiber.Ctx) error { return s.check(c, s.d.Ready) }

func (s *Server) check(c *fiber.Ctx, fn Check) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if fn != nil {
		if err := fn(ctx); err != nil {
			s.log.WithError(err).Warn("health check failed")
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
		}
	}
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

// errorHandler renders API errors as JSON and anything else as text.
func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return s.api.ErrorHandler(c, err)
	}
	if eh, ok := s.d.Pages.(interface {
		ErrorHandler(*fiber.Ctx, error) error
	}); ok && !strings.HasPrefix(c.Path(), "/edl/") && !strings.HasPrefix(c.Path(), "/files/") {
		return eh.ErrorHandler(c, err)
	}
	code := fiber.StatusInternalServerError
	var fe *fiber.Error
	if errors.As(err, &fe) {
		code = fe.Code
	}
	if code >= 500 {
		s.log.WithError(err).WithField("path", c.Path()).Error("request failed")
		return c.Status(code).SendString("internal error")
	}
	return c.Status(code).SendString(fe.Message)
}

// Run listens on TCP (and the socket when configured), serves until ctx is
// done, then shuts down gracefully with a fresh timeout.
func (s *Server) Run(ctx context.Context) error {
	ln, err := s.listen()
	if err != nil {
		return err
	}
	var sock net.Listener
	var release func()
	if s.cfg.SocketDir != "" {
		if sock, release, err = ListenSocket(s.cfg.SocketDir); err != nil {
			ln.Close()
			return err
		}
		defer release()
	}
	s.ready <- ln.Addr().String()
	scheme := "https"
	if s.cfg.InsecureHTTP {
		scheme = "http"
	}
	s.log.WithFields(logrus.Fields{"address": ln.Addr().String(), "scheme": scheme}).Info("web server listening")
	g, gctx := errgroup.WithContext(ctx)
	if s.edl != nil {
		g.Go(func() error { return s.edl.Run(gctx) })
	}
	g.Go(func() error { return serve(gctx, s.app, ln, s.cfg.ShutdownWait, "http") })
	if sock != nil {
		s.log.WithField("socket", sock.Addr().String()).Info("api socket listening")
		g.Go(func() error { return serve(gctx, s.sock, sock, 5*time.Second, "socket") })
	}
	return g.Wait()
}

// serve runs app on ln until ctx is done. Connections still busy after
// the shutdown wait (a client that stopped reading a long result) are cut,
// so they cannot hold the process, or the store, forever.
func serve(ctx context.Context, app *fiber.App, ln net.Listener, wait time.Duration, what string) error {
	tl := &trackingListener{Listener: ln, conns: map[net.Conn]struct{}{}}
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(tl) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving %s: %w", what, err)
	case <-ctx.Done():
	}
	err := app.ShutdownWithTimeout(wait)
	tl.closeAll()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutting down %s: %w", what, err)
	}
	return nil
}

// trackingListener remembers open connections so they can be cut.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, l: l}
	l.mu.Lock()
	l.conns[tc] = struct{}{}
	l.mu.Unlock()
	return tc, nil
}

func (l *trackingListener) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		c.(*trackedConn).Conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	l    *trackingListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}

func (s *Server) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", s.cfg.Listen, err)
	}
	if s.cfg.InsecureHTTP {
		return ln, nil
	}
	cert, err := s.certificate()
	if err != nil {
		ln.Close()
		return nil, err
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}), nil
}

func (s *Server) certificate() (tls.Certificate, error) {
	certFile, keyFile := s.cfg.CertFile, s.cfg.KeyFile
	if certFile == "" && keyFile == "" {
		var err error
		if certFile, keyFile, err = EnsureSelfSigned(s.cfg.TLSDir); err != nil {
			return tls.Certificate{}, err
		}
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("loading TLS certificate %s: %w", certFile, err)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	s.log.WithFields(logrus.Fields{"file": certFile, "sha256": fingerprint(sum[:])}).Info("TLS certificate")
	return cert, nil
}

// fingerprint formats a certificate hash the way browsers show it.
func fingerprint(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02X", c)
	}
	return sb.String()
}
