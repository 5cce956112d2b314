package web

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
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
}

// Health reports whether the service can do its job; nil means healthy.
type Health func(ctx context.Context) error

// Server is the web server.
type Server struct {
	cfg    Config
	app    *fiber.App
	log    *logrus.Entry
	health Health
	ready  chan string // receives the bound address once listening
}

// New builds the server; it does not listen.
func New(cfg Config, health Health, log *logrus.Entry) *Server {
	if cfg.Listen == "" {
		cfg.Listen = ":8443"
	}
	if cfg.ShutdownWait <= 0 {
		cfg.ShutdownWait = 10 * time.Second
	}
	s := &Server{cfg: cfg, log: log, health: health, ready: make(chan string, 1)}
	s.app = fiber.New(fiber.Config{
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		ErrorHandler:          s.errorHandler,
	})
	s.routes()
	return s
}

// App returns the Fiber app, for tests with App().Test.
func (s *Server) App() *fiber.App { return s.app }

// Ready returns a channel that receives the listening address.
func (s *Server) Ready() <-chan string { return s.ready }

func (s *Server) routes() {
	s.app.Get("/healthz", s.healthz)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if err := s.health(ctx); err != nil {
		s.log.WithError(err).Warn("health check failed")
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable"})
	}
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version})
}

func (s *Server) errorHandler(c *fiber.Ctx, err error) error {
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

// Run listens and serves until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context) error {
	ln, err := s.listen()
	if err != nil {
		return err
	}
	s.ready <- ln.Addr().String()
	scheme := "https"
	if s.cfg.InsecureHTTP {
		scheme = "http"
	}
	s.log.WithFields(logrus.Fields{"address": ln.Addr().String(), "scheme": scheme}).Info("web server listening")
	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving http: %w", err)
	case <-ctx.Done():
	}
	if err := s.app.ShutdownWithTimeout(s.cfg.ShutdownWait); err != nil {
		return fmt.Errorf("shutting down web server: %w", err)
	}
	return nil
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
