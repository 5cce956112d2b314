package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/ingest"
	"github.com/activedefense/activedefense/schema"
)

// The control socket: serve listens on a 0600 Unix socket inside the data
// dir and answers the CLI's requests with the same localOps a CLI command
// uses when no server runs. HTTP/1.1 with JSON bodies; a SQL result streams
// as text with any late error in the X-Ad-Error trailer.

const errorTrailer = "X-Ad-Error"

// controlServer serves ops on the socket.
type controlServer struct {
	dir string // data dir holding the socket
	ops *localOps
	log *logrus.Entry
}

func (c *controlServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/sql", c.sql)
	mux.HandleFunc("POST /v1/users", jsonOp(func(ctx context.Context, u schema.User) (any, error) {
		return nil, c.ops.AddUser(ctx, u)
	}))
	mux.HandleFunc("POST /v1/devices", jsonOp(func(ctx context.Context, d schema.Device) (any, error) {
		return nil, c.ops.AddDevice(ctx, d)
	}))
	mux.HandleFunc("POST /v1/devices/remove", jsonOp(func(ctx context.Context, req struct{ Name string }) (any, error) {
		return nil, c.ops.RemoveDevice(ctx, req.Name)
	}))
	mux.HandleFunc("GET /v1/devices", jsonOp(func(ctx context.Context, _ struct{}) (any, error) {
		return c.ops.Devices(ctx)
	}))
	mux.HandleFunc("POST /v1/migrate", jsonOp(func(ctx context.Context, req migrateRequest) (any, error) {
		return c.ops.Migrate(ctx, req)
	}))
	mux.HandleFunc("POST /v1/import", jsonOp(func(ctx context.Context, req importRequest) (any, error) {
		return c.ops.Import(ctx, req)
	}))
	return mux
}

// jsonOp adapts an operation taking and returning JSON values.
func jsonOp[Req any](op func(context.Context, Req) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req Req
		if r.Method == http.MethodPost {
			if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
				http.Error(w, "decoding request: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
		res, err := op(r.Context(), req)
		if err != nil {
			http.Error(w, err.Error(), statusOf(err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(res)
	}
}

func statusOf(err error) int {
	switch {
	case errors.Is(err, schema.ErrExists):
		return http.StatusConflict
	case errors.Is(err, schema.ErrNotFound):
		return http.StatusNotFound
	default:
		return http.StatusUnprocessableEntity
	}
}

func (c *controlServer) sql(w http.ResponseWriter, r *http.Request) {
	var req sqlRequest
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
		http.Error(w, "decoding request: "+err.Error(), http.StatusBadRequest)
		return
	}
	rows, err := c.ops.st.Query(r.Context(), req.Query, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		return
	}
	defer rows.Close()
	w.Header().Set("Trailer", errorTrailer)
	w.Header().Set("Content-Type", "text/tab-separated-values")
	if err := writeTSV(w, rows, req.Header); err != nil {
		w.Header().Set(errorTrailer, strings.ReplaceAll(err.Error(), "\n", " "))
	}
}

// run listens until ctx is done. The socket file is replaced if stale: the
// caller holds the data dir lock, so no other server can own it.
func (c *controlServer) run(ctx context.Context) error {
	path, release, err := socketPath(c.dir)
	if err != nil {
		return err
	}
	defer release()
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listening on control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("restricting control socket: %w", err)
	}
	// Requests run under ctx: at shutdown a running query or import sees the
	// cancellation at once.
	srv := &http.Server{Handler: c.handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	c.log.WithField("socket", filepath.Join(c.dir, socketName)).Info("control socket listening")
	select {
	case err := <-errc:
		return fmt.Errorf("serving control socket: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// A client that stopped reading (a paused `sql | less`) would keep
		// its handler, and the store connection it holds, forever.
		srv.Close()
		c.log.WithError(err).Warn("control socket clients cut off at shutdown")
	}
	_ = os.Remove(path)
	return nil
}

// remoteOps is the CLI side of the control socket.
type remoteOps struct {
	hc      *http.Client
	release func()
}

// dialControl connects to a server's control socket in dir; ok is false when
// no server answers there.
func dialControl(ctx context.Context, dir string) (*remoteOps, bool) {
	if _, err := os.Stat(filepath.Join(dir, socketName)); err != nil {
		return nil, false
	}
	path, release, err := socketPath(dir)
	if err != nil {
		return nil, false
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		release()
		return nil, false
	}
	conn.Close()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return d.DialContext(ctx, "unix", path)
	}}
	return &remoteOps{hc: &http.Client{Transport: tr}, release: release}, true
}

func (r *remoteOps) Close() error {
	r.hc.CloseIdleConnections()
	r.release()
	return nil
}

func (r *remoteOps) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://activedefense"+path, rd)
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(req)
	if err != nil {
		return fmt.Errorf("talking to the running server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return remoteError(resp)
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func remoteError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	msg := strings.TrimSpace(string(b))
	switch resp.StatusCode {
	case http.StatusConflict:
		return fmt.Errorf("%s (%w)", msg, schema.ErrExists)
	case http.StatusNotFound:
		return fmt.Errorf("%s (%w)", msg, schema.ErrNotFound)
	}
	return errors.New(msg)
}

func (r *remoteOps) SQL(ctx context.Context, req sqlRequest, w io.Writer) error {
	b, _ := json.Marshal(req)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://activedefense/v1/sql", strings.NewReader(string(b)))
	if err != nil {
		return err
	}
	resp, err := r.hc.Do(hreq)
	if err != nil {
		return fmt.Errorf("talking to the running server: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return remoteError(resp)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return err
	}
	if msg := resp.Trailer.Get(errorTrailer); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func (r *remoteOps) AddUser(ctx context.Context, u schema.User) error {
	return r.do(ctx, http.MethodPost, "/v1/users", u, nil)
}

func (r *remoteOps) AddDevice(ctx context.Context, d schema.Device) error {
	return r.do(ctx, http.MethodPost, "/v1/devices", d, nil)
}

func (r *remoteOps) RemoveDevice(ctx context.Context, name string) error {
	return r.do(ctx, http.MethodPost, "/v1/devices/remove", struct{ Name string }{name}, nil)
}

func (r *remoteOps) Devices(ctx context.Context) ([]deviceStatus, error) {
	var out []deviceStatus
	return out, r.do(ctx, http.MethodGet, "/v1/devices", nil, &out)
}

func (r *remoteOps) Migrate(ctx context.Context, req migrateRequest) (schema.MigrateResult, error) {
	var out schema.MigrateResult
	return out, r.do(ctx, http.MethodPost, "/v1/migrate", req, &out)
}

func (r *remoteOps) Import(ctx context.Context, req importRequest) (ingest.ImportResult, error) {
	var out ingest.ImportResult
	return out, r.do(ctx, http.MethodPost, "/v1/import", req, &out)
}
