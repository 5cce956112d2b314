package chhttp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
)

// Handler serves the read-only ClickHouse HTTP interface.
type Handler struct {
	cfg   Config
	store schema.RawQuerier // nil when proxying
	proxy *proxy            // nil on the embedded engine
	auth  Authenticator
	log   *logrus.Entry
	meta  metaCache
}

// New returns a handler that runs queries on store, which should be a
// read-only store (readonly=1 with execution and result limits). A nil auth
// refuses every query.
func New(cfg Config, store schema.RawQuerier, auth Authenticator, log *logrus.Entry) *Handler {
	return &Handler{cfg: cfg.withDefaults(), store: store, auth: auth, log: log}
}

// Register mounts the endpoint on r: GET /ping, and queries by GET and
// POST on / (a GET without a query answers like /ping).
func (h *Handler) Register(r fiber.Router) {
	r.Get("/ping", h.ping)
	r.Get("/", h.serve)
	r.Post("/", h.serve)
}

func (h *Handler) ping(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=UTF-8")
	return c.SendString("Ok.\n")
}

// serve authenticates, checks and runs one query.
func (h *Handler) serve(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodPost && !c.Context().QueryArgs().Has("query") {
		return h.ping(c)
	}
	start := time.Now()
	user, key, cerr := credentials(c)
	if cerr == nil {
		cerr = h.authenticate(c, user, key)
	}
	var req *request
	if cerr == nil {
		req, cerr = parseRequest(c, h.cfg.MaxQueryBytes)
	}
	if cerr != nil {
		return h.fail(c, req, user, start, cerr)
	}
	if req.queryID == "" {
		req.queryID = newQueryID()
	}
	sc := scanSQL(req.query)
	if sc.multi {
		return h.fail(c, req, user, start, errMultiStatement())
	}
	if h.proxy != nil {
		return h.forward(c, req, user, start)
	}
	out, format, cerr := h.execute(c.UserContext(), req, sc)
	if cerr != nil {
		return h.fail(c, req, user, start, cerr)
	}
	return h.send(c, req, user, start, out, format)
}

// authenticate asks the Authenticator; every failure looks the same to the
// client, and only failures that are not about the credentials
// (schema.ErrUnauthorized, schema.ErrForbidden) are logged as warnings.
func (h *Handler) authenticate(c *fiber.Ctx, user, key string) *chError {
	var err error = schema.ErrUnauthorized
	if h.auth != nil && key != "" {
		ctx, cancel := context.WithTimeout(c.UserContext(), h.cfg.AuthTimeout)
		defer cancel()
		if err = h.auth(ctx, user, key); err == nil {
			return nil
		}
	}
	l := h.log.WithError(err).WithFields(logrus.Fields{"user": user, "remote_addr": c.IP()})
	if errors.Is(err, schema.ErrUnauthorized) || errors.Is(err, schema.ErrForbidden) {
		l.Debug("clickhouse authentication failed")
	} else {
		l.Warn("clickhouse authentication error")
	}
	return newError(codeAuthFailed, "%s: Authentication failed: password is incorrect, or there is no user with such name", user)
}

func errMultiStatement() *chError {
	return newError(codeSyntaxError, "Multi-statements are not allowed")
}

// result is what a query goroutine hands back.
type result struct {
	out []byte
	err error
}

// execute runs the query on the store under min(client, configured)
// max_execution_time. The engine cannot be interrupted, so at the deadline
// the client gets TIMEOUT_EXCEEDED and the statement finishes in the
// background, bounded by the store's own max_execution_time.
func (h *Handler) execute(ctx context.Context, req *request, sc scanned) ([]byte, string, *chError) {
	limit := h.cfg.MaxExecutionTime
	if req.maxExec > 0 && req.maxExec < limit {
		limit = req.maxExec
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	meta, err := h.meta.get(ctx, h.store)
	if err != nil {
		return nil, "", h.queryError(err, start, limit)
	}
	if cerr := checkSettings(meta, req.settings); cerr != nil {
		return nil, "", cerr
	}
	format := meta.outputFormat(sc.format, req.format)
	if format == "" {
		format = "TabSeparated"
	}
	if format == "Native" && isHello(req.query) {
		return helloBlock(req.protoVersion, h.cfg.DisplayName, meta.version, h.cfg.Timezone), format, nil
	}
	q := schema.RawQuery{SQL: req.query, Format: format, Database: req.database, Params: req.params}
	if q.Database == "" {
		q.Database = h.cfg.Database
	}
	out, err := h.run(ctx, q)
	if err != nil {
		return nil, format, h.queryError(err, start, limit)
	}
	if len(out) > h.cfg.MaxResultBytes {
		return nil, format, newError(codeTooManyRowsBytes, "Limit for result exceeded, max bytes: %d, current bytes: %d", h.cfg.MaxResultBytes, len(out))
	}
	return out, format, nil
}

// run returns the statement's result, or ctx's error as soon as ctx is
// done, leaving the statement to finish on its own.
func (h *Handler) run(ctx context.Context, q schema.RawQuery) ([]byte, error) {
	done := make(chan result, 1)
	go func() {
		out, err := h.store.QueryRaw(ctx, q)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// checkSettings refuses URL parameters that would change settings: known
// ones as a read-only user would be refused, unknown ones as ClickHouse
// refuses unknown settings.
func checkSettings(meta *engineMeta, names []string) *chError {
	if len(names) == 0 {
		return nil
	}
	if n := names[0]; meta.settings[n] {
		return newError(codeReadonly, "Cannot modify '%s' setting in readonly mode", n)
	}
	return newError(codeUnknownSetting, "Setting %s is neither a builtin setting nor started with the prefix 'custom_' registered for user-defined settings", names[0])
}

var engineCodeRe = regexp.MustCompile(`Code: \d+\. DB::Exception: `)

// queryError turns a store error into a ClickHouse error.
func (h *Handler) queryError(err error, start time.Time, limit time.Duration) *chError {
	switch {
	case errors.Is(err, schema.ErrMultiStatement):
		return errMultiStatement()
	case errors.Is(err, schema.ErrNotReadOnly):
		return newError(codeReadonly, "Cannot execute query in readonly mode: %v", err)
	case errors.Is(err, context.DeadlineExceeded):
		return newError(codeTimeoutExceeded, "Timeout exceeded: elapsed %.3f ms, maximum: %d ms",
			float64(time.Since(start).Microseconds())/1000, limit.Milliseconds())
	}
	msg := err.Error()
	if loc := engineCodeRe.FindStringIndex(msg); loc != nil {
		return engineError(msg[loc[0]:])
	}
	h.log.WithError(err).Warn("clickhouse query failed")
	return newError(codeUnknownException, "Query failed")
}

// send writes a successful result.
func (h *Handler) send(c *fiber.Ctx, req *request, user string, start time.Time, out []byte, format string) error {
	h.headers(c, req)
	c.Set("X-ClickHouse-Format", format)
	c.Set(fiber.HeaderContentType, contentType(format))
	if req.compress {
		framed, err := frame(out, req.method)
		if err != nil {
			return h.fail(c, req, user, start, newError(codeUnknownException, "%v", err))
		}
		out = framed
	}
	h.logQuery(c, req, user, start, len(out), 0)
	return c.Status(fiber.StatusOK).Send(out)
}

// fail writes err in ClickHouse's form, never compressed.
func (h *Handler) fail(c *fiber.Ctx, req *request, user string, start time.Time, e *chError) error {
	if req != nil {
		h.headers(c, req)
	}
	code := strconv.Itoa(e.code)
	c.Set("X-ClickHouse-Exception-Code", code)
	c.Set(fiber.HeaderContentType, "text/plain; charset=UTF-8")
	h.logQuery(c, req, user, start, 0, e.code)
	return c.Status(status(e.code)).SendString(e.body())
}

func (h *Handler) headers(c *fiber.Ctx, req *request) {
	if req.queryID != "" {
		c.Set("X-ClickHouse-Query-Id", req.queryID)
	}
	c.Set("X-ClickHouse-Timezone", h.cfg.Timezone)
	c.Set("X-ClickHouse-Server-Display-Name", h.cfg.DisplayName)
}

func (h *Handler) logQuery(c *fiber.Ctx, req *request, user string, start time.Time, n, code int) {
	if !h.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		return
	}
	f := logrus.Fields{"user": user, "remote_addr": c.IP(), "bytes": n, "code": code,
		"duration_ms": time.Since(start).Milliseconds()}
	if req != nil {
		f["query_id"] = req.queryID
	}
	h.log.WithFields(f).Debug("clickhouse query")
}

// newQueryID returns a random UUID-shaped id.
func newQueryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	s := hex.EncodeToString(b[:])
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
