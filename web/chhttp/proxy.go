package chhttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
)

// ProxyConfig configures the endpoint in front of a ClickHouse server.
type ProxyConfig struct {
	// URL is the server's HTTP interface, e.g. "https://ch1:8443/".
	URL string
	// User and Password are the server's read-only user: a profile with
	// readonly=1, max_execution_time, max_result_rows/bytes with
	// result_overflow_mode=throw, and max_memory_usage.
	User     string
	Password string
	// Database is sent when the client names none; "" leaves it to the
	// user's default database.
	Database string
	// MaxExecutionTime bounds one request (client's smaller
	// max_execution_time wins), as Config.MaxExecutionTime. Default 30s.
	MaxExecutionTime time.Duration
	// MaxQueryBytes caps the statement text. Default 1 MiB.
	MaxQueryBytes int
	// AuthTimeout bounds one Authenticator call. Default 5s.
	AuthTimeout time.Duration
	// Transport reaches the server; nil means http.DefaultTransport.
	Transport http.RoundTripper
}

// proxy is the upstream of a proxying Handler.
type proxy struct {
	target   *url.URL
	user     string
	password string
	client   *http.Client
}

// Parameters the proxy does not forward: credentials (its own replace
// them), the query (sent as the body), and the ones it enforces itself.
var unforwarded = map[string]bool{
	"user": true, "password": true, "query": true,
	"max_execution_time": true, "limit": true, "max_result_rows": true,
}

// Response headers copied from the server.
var forwardedHeaders = []string{fiber.HeaderContentType, fiber.HeaderContentEncoding}

// NewProxy returns a handler that checks requests as New does (our
// Authenticator, no multi-statements, no sessions) and forwards them to a
// ClickHouse server as its read-only user, without the client's
// credentials. The server applies its own limits and settings rules; the
// handler strips max_execution_time and enforces it with its own timer,
// since a readonly=1 user may not set it. An invalid URL makes every
// request fail with a logged error.
func NewProxy(cfg ProxyConfig, auth Authenticator, log *logrus.Entry) *Handler {
	c := Config{Database: cfg.Database, MaxExecutionTime: cfg.MaxExecutionTime,
		MaxQueryBytes: cfg.MaxQueryBytes, AuthTimeout: cfg.AuthTimeout}.withDefaults()
	p := &proxy{user: cfg.User, password: cfg.Password,
		client: &http.Client{Transport: cfg.Transport}}
	if u, err := url.Parse(cfg.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		p.target = u
	}
	return &Handler{cfg: c, proxy: p, auth: auth, log: log}
}

// forward sends the checked request to the server and streams its answer
// back, status, error code and all.
func (h *Handler) forward(c *fiber.Ctx, req *request, user string, start time.Time) error {
	if h.proxy.target == nil {
		h.log.Error("clickhouse proxy has no valid server URL")
		return h.fail(c, req, user, start, newError(codeUnknownException, "The ClickHouse server URL is not configured"))
	}
	limit := h.cfg.MaxExecutionTime
	if req.maxExec > 0 && req.maxExec < limit {
		limit = req.maxExec
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), limit)
	resp, err := h.proxy.do(ctx, c, req, h.cfg.Database)
	if err != nil {
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		if timedOut {
			return h.fail(c, req, user, start, newError(codeTimeoutExceeded, "Timeout exceeded: elapsed %d ms, maximum: %d ms",
				time.Since(start).Milliseconds(), limit.Milliseconds()))
		}
		h.log.WithError(err).Warn("clickhouse server unreachable")
		c.Set("X-ClickHouse-Exception-Code", "210")
		return c.Status(fiber.StatusBadGateway).SendString("Code: 210. DB::Exception: The ClickHouse server is unreachable. (NETWORK_ERROR)\n")
	}
	for k, vs := range resp.Header {
		if strings.HasPrefix(k, "X-Clickhouse-") || containsFold(forwardedHeaders, k) {
			c.Set(k, strings.Join(vs, ", "))
		}
	}
	code, _ := strconv.Atoi(resp.Header.Get("X-ClickHouse-Exception-Code"))
	h.logQuery(c, req, user, start, int(resp.ContentLength), code)
	c.Status(resp.StatusCode)
	// fasthttp closes the stream once sent; closing ends the timer.
	c.Context().SetBodyStream(&cancelOnClose{ReadCloser: resp.Body, cancel: cancel}, int(resp.ContentLength))
	return nil
}

// do builds and sends the upstream request: the client's parameters minus
// credentials and enforced limits, the query as the body, and the proxy's
// own credentials.
func (p *proxy) do(ctx context.Context, c *fiber.Ctx, req *request, database string) (*http.Response, error) {
	q := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if key := string(k); !unforwarded[key] {
			q.Set(key, string(v))
		}
	})
	if req.database != "" {
		q.Set("database", req.database)
	} else if database != "" {
		q.Set("database", database)
	}
	if req.format != "" {
		q.Set("default_format", req.format)
	}
	q.Set("query_id", req.queryID)
	u := *p.target
	u.RawQuery = q.Encode()
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader(req.query))
	if err != nil {
		return nil, fmt.Errorf("building clickhouse request: %w", err)
	}
	r.Header.Set("X-ClickHouse-User", p.user)
	r.Header.Set("X-ClickHouse-Key", p.password)
	if ae := c.Get(fiber.HeaderAcceptEncoding); ae != "" {
		r.Header.Set(fiber.HeaderAcceptEncoding, strings.Clone(ae))
	}
	resp, err := p.client.Do(r)
	if err != nil {
		return nil, fmt.Errorf("forwarding to clickhouse: %w", err)
	}
	return resp, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// cancelOnClose ends a request's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (r *cancelOnClose) Close() error {
	err := r.ReadCloser.Close()
	r.cancel()
	return err
}
