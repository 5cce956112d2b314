// Package api is the JSON API under /api/v1: the product's single set of
// operations over HTTP. It is served on the TCP listener to API tokens (and
// read-only to web sessions) and on the 0600 Unix socket to the CLI, which
// is a client of this API like any script.
//
// Errors are JSON, {"error": {"code": ..., "message": ..., "field": ...}},
// with a stable code per kind and a message naming the field at fault;
// never a 500 for bad input.
package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/auth"
	"github.com/activedefense/activedefense/web/edl"
	"github.com/activedefense/activedefense/web/ops"
)

// Deps are what the API calls.
type Deps struct {
	Store    schema.Store // the application store (socket-only SQL)
	Detect   ops.Detect
	Devices  ops.Devices
	Jobs     ops.Jobs
	EDL      *edl.Server
	Users    *auth.Users
	Tokens   *auth.Tokens
	Sessions *auth.Sessions
	// Migrate applies schema migrations (socket only).
	Migrate func(c *fiber.Ctx, retentionDays int) (schema.MigrateResult, error)
	Backups Backups // nil: the store has no backup of its own (socket only)
	Version string
}

// API holds the handlers.
type API struct {
	d   Deps
	log *logrus.Entry
}

// New returns the API; it does no I/O.
func New(d Deps, log *logrus.Entry) *API { return &API{d: d, log: log} }

// Error codes.
const (
	CodeInvalid      = "invalid"
	CodeNotFound     = "not_found"
	CodeExists       = "exists"
	CodeConflict     = "conflict"
	CodeProtected    = "protected"
	CodeForbidden    = "forbidden"
	CodeUnauthorized = "unauthorized"
	CodeTooLarge     = "too_large"
	CodeUnavailable  = "unavailable"
	CodeInternal     = "internal"
)

// Error is the error body.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorBody wraps Error.
type ErrorBody struct {
	Error Error `json:"error"`
}

// StatusOf maps an operation's error to its HTTP status and API error.
func StatusOf(err error) (int, Error) {
	var fe *schema.FieldError
	var fiberErr *fiber.Error
	msg := err.Error()
	switch {
	case errors.As(err, &fe):
		return fiber.StatusBadRequest, Error{Code: CodeInvalid, Message: msg, Field: fe.Field}
	case errors.Is(err, schema.ErrInvalid):
		return fiber.StatusBadRequest, Error{Code: CodeInvalid, Message: msg}
	case errors.Is(err, schema.ErrNotFound):
		return fiber.StatusNotFound, Error{Code: CodeNotFound, Message: msg}
	case errors.Is(err, schema.ErrExists):
		return fiber.StatusConflict, Error{Code: CodeExists, Message: msg}
	case errors.Is(err, schema.ErrConflict):
		return fiber.StatusConflict, Error{Code: CodeConflict, Message: msg}
	case errors.Is(err, schema.ErrProtected):
		return fiber.StatusUnprocessableEntity, Error{Code: CodeProtected, Message: msg}
	case errors.Is(err, schema.ErrForbidden):
		return fiber.StatusForbidden, Error{Code: CodeForbidden, Message: msg}
	case errors.Is(err, schema.ErrUnauthorized):
		return fiber.StatusUnauthorized, Error{Code: CodeUnauthorized, Message: msg}
	case errors.As(err, &fiberErr):
		switch fiberErr.Code {
		case fiber.StatusRequestEntityTooLarge:
			return fiberErr.Code, Error{Code: CodeTooLarge, Message: fiberErr.Message}
		case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
			return fiberErr.Code, Error{Code: CodeNotFound, Message: fiberErr.Message}
		}
		if fiberErr.Code < 500 {
			return fiberErr.Code, Error{Code: CodeInvalid, Message: fiberErr.Message}
		}
	case errors.Is(err, schema.ErrEngineUnavailable), errors.Is(err, schema.ErrClosed):
		return fiber.StatusServiceUnavailable, Error{Code: CodeUnavailable, Message: "the store is unavailable"}
	}
	return fiber.StatusInternalServerError, Error{Code: CodeInternal, Message: "internal error"}
}

// ErrorHandler renders an error as JSON; 5xx errors are logged and their
// text is not sent.
func (a *API) ErrorHandler(c *fiber.Ctx, err error) error {
	status, body := StatusOf(err)
	if status >= 500 {
		a.log.WithError(err).WithFields(logrus.Fields{"path": c.Path(), "method": c.Method()}).Error("api request failed")
	}
	return c.Status(status).JSON(ErrorBody{Error: body})
}

// maxJSON bounds a JSON request body.
const maxJSON = 1 << 20

// decode reads a JSON body strictly: unknown fields and wrong types are
// errors naming the field.
func decode(c *fiber.Ctx, dst any) error {
	body := c.Body()
	if len(body) > maxJSON {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxJSON))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return schema.Invalid("body", "a JSON object is required")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return schema.Invalid("body", "one JSON object expected, found more")
	}
	return nil
}

func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return schema.Invalid(field, "must be %s, got %s", jsonKind(te.Type.Kind().String()), te.Value)
	case errors.As(err, &se):
		return schema.Invalid("body", "malformed JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return schema.Invalid(f, "unknown field")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return schema.Invalid("body", "truncated JSON")
	}
	return schema.Invalid("body", "malformed JSON")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice":
		return "a list"
	case "map", "struct":
		return "an object"
	}
	return "a number"
}

// principal returns the request's principal (set by the auth middleware).
func principal(c *fiber.Ctx) auth.Principal {
	p, _ := auth.From(c)
	return p
}

// actor names the caller for the audit trail.
func actor(c *fiber.Ctx) schema.Actor { return principal(c).Actor() }
