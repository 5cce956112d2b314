package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web"
	"github.com/activedefense/activedefense/web/api"
)

// client is the CLI's side of the JSON API: over the Unix socket of a
// running server, or, when none runs, over an in-memory connection to the
// same API served here on a store opened by this command. Either way the
// same handlers and rules answer.
type client struct {
	hc    *http.Client
	close func() error
}

// backendWait bounds how long a CLI command waits for a data dir that is
// locked by a server still starting up (or by another CLI command).
const backendWait = 60 * time.Second

// client connects to the running server, or serves the API in-process.
func (a *app) client(ctx context.Context) (*client, error) {
	if c, ok := dialSocket(ctx, a.g.dataDir); ok {
		return c, nil
	}
	if a.g.dsn != "" {
		return a.localClient(ctx, nil)
	}
	deadline := time.Now().Add(backendWait)
	for {
		lock, err := tryLockDataDir(ctx, a.g.dataDir)
		if err == nil {
			return a.localClient(ctx, lock)
		}
		if !errors.Is(err, schema.ErrDataDirInUse) {
			return nil, err
		}
		if c, ok := dialSocket(ctx, a.g.dataDir); ok {
			return c, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waiting %s for the data dir: %w", backendWait, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// dialSocket connects to a server's socket in dir; ok is false when no
// server answers there.
func dialSocket(ctx context.Context, dir string) (*client, bool) {
	if _, err := os.Stat(web.SocketFile(dir)); err != nil {
		return nil, false
	}
	path, release, err := web.SocketPath(dir)
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
	hc := &http.Client{Transport: tr}
	return &client{hc: hc, close: func() error {
		hc.CloseIdleConnections()
		release()
		return nil
	}}, true
}

// localClient opens the store here (under the data dir lock) and serves the
// socket's API on an in-memory listener.
func (a *app) localClient(ctx context.Context, lock *dataLock) (*client, error) {
	st, err := a.openStore(ctx)
	if err != nil {
		lock.release()
		return nil, err
	}
	fail := func(err error) (*client, error) {
		st.Close()
		lock.release()
		return nil, err
	}
	if _, err := migrate(ctx, st, 0); err != nil {
		return fail(err)
	}
	c, err := a.newCore(ctx, st, nil)
	if err != nil {
		return fail(err)
	}
	srv := web.New(web.Config{Version: version}, c.webDeps(func(ctx context.Context, days int) (schema.MigrateResult, error) {
		return migrate(ctx, st, days)
	}), a.log.WithField("component", "cli"))
	ln := fasthttputil.NewInmemoryListener()
	nctx, stopNotify := context.WithCancel(context.WithoutCancel(ctx))
	notified := make(chan struct{})
	go func() { defer close(notified); _ = c.det.Notifier().Run(nctx) }()
	served := make(chan struct{})
	go func() { defer close(served); _ = srv.SocketApp().Listener(ln) }()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return ln.Dial()
	}}}
	return &client{hc: hc, close: func() error {
		hc.CloseIdleConnections()
		_ = srv.SocketApp().ShutdownWithTimeout(5 * time.Second)
		<-served
		c.det.Notifier().Wait(30 * time.Second) // deliver what this command queued
		stopNotify()
		<-notified
		err := st.Close()
		lock.release()
		return err
	}}, nil
}

func (c *client) Close() error { return c.close() }

// do sends a JSON request to /api/v1 and decodes the answer into out.
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd, ctype = b, "text/plain"
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd, ctype = bytes.NewReader(buf), "application/json"
	}
	resp, err := c.send(ctx, method, path, ctype, rd)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	return nil
}

// send sends a request and returns a successful response; an error answer
// becomes an error carrying the API's message.
func (c *client) send(ctx context.Context, method, path, ctype string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://activedefense/api/v1"+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("talking to the server: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, apiError(resp)
}

// apiError turns an API error answer into an error wrapping the matching
// schema sentinel.
func apiError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var eb api.ErrorBody
	if json.Unmarshal(b, &eb) != nil || eb.Error.Message == "" {
		return fmt.Errorf("server answered %s: %s", resp.Status, strings.TrimSpace(string(b)))
	}
	sentinel := map[string]error{api.CodeInvalid: schema.ErrInvalid, api.CodeNotFound: schema.ErrNotFound,
		api.CodeExists: schema.ErrExists, api.CodeConflict: schema.ErrConflict, api.CodeProtected: schema.ErrProtected, api.CodeForbidden: schema.ErrForbidden,
		api.CodeUnauthorized: schema.ErrUnauthorized}[eb.Error.Code]
	if sentinel == nil {
		return errors.New(eb.Error.Message)
	}
	return &apiErr{msg: eb.Error.Message, err: sentinel}
}

type apiErr struct {
	msg string
	err error
}

func (e *apiErr) Error() string { return e.msg }
func (e *apiErr) Unwrap() error { return e.err }
