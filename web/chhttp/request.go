package chhttp

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/ch-go/compress"
	"github.com/gofiber/fiber/v2"
)

// request is one parsed query request. Every string is a copy: nothing
// points into fasthttp's buffers, so a query may outlive its handler.
type request struct {
	query        string
	database     string
	format       string // default_format or X-ClickHouse-Format; "" = TabSeparated
	queryID      string
	params       map[string]string // param_<name>
	settings     []string          // other parameter names, checked against the engine's settings
	compress     bool
	method       compress.Method
	maxExec      time.Duration // client's max_execution_time; 0 = none
	protoVersion uint64        // client_protocol_version
}

// Handler parameters (ClickHouse's reserved names) that need no setting.
var ignoredParams = map[string]bool{
	"quota_key": true, "enable_http_compression": true, "wait_end_of_query": true,
	"http_wait_end_of_query": true, "buffer_size": true, "http_response_buffer_size": true,
	"network_zstd_compression_level": true,
	// Row limits: the store's max_result_rows (overflow throws) applies.
	"limit": true, "max_result_rows": true,
}

var sessionParams = map[string]bool{"session_id": true, "session_check": true, "session_timeout": true, "close_session": true}

// credentials reads the client's user and key. Using more than one of basic
// auth, the X-ClickHouse headers and the URL parameters is refused, as
// ClickHouse does; no credentials at all is user "default" with no key.
func credentials(c *fiber.Ctx) (user, key string, err *chError) {
	h := &c.Request().Header
	var methods int
	if a := string(h.Peek("Authorization")); a != "" {
		methods++
		scheme, cred, _ := strings.Cut(a, " ")
		if !strings.EqualFold(scheme, "Basic") {
			return "", "", newError(codeAuthFailed, "Only HTTP basic authentication is supported")
		}
		raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
		if derr != nil {
			return "", "", newError(codeAuthFailed, "Malformed HTTP basic authentication")
		}
		user, key, _ = strings.Cut(string(raw), ":")
	}
	if u, k := h.Peek("X-ClickHouse-User"), h.Peek("X-ClickHouse-Key"); u != nil || k != nil {
		methods++
		user, key = string(u), string(k)
	}
	if strings.EqualFold(string(h.Peek("X-ClickHouse-SSL-Certificate-Auth")), "on") {
		return "", "", newError(codeAuthFailed, "Certificate authentication is not supported")
	}
	args := c.Context().QueryArgs()
	if args.Has("user") || args.Has("password") {
		methods++
		user, key = string(args.Peek("user")), string(args.Peek("password"))
	}
	if methods > 1 {
		return "", "", newError(codeAuthFailed, "Invalid authentication: it is not allowed to use more than one authentication method at once")
	}
	if user == "" {
		user = "default"
	}
	return user, key, nil
}

// parseRequest reads the URL parameters, the X-ClickHouse headers and the
// body. It reads the URL with fasthttp's query arguments only: a form
// content type (curl -d) must not turn the body into form fields.
func parseRequest(c *fiber.Ctx, maxQuery int) (*request, *chError) {
	r := &request{params: map[string]string{}, method: compress.LZ4}
	if strings.HasPrefix(strings.ToLower(string(c.Request().Header.ContentType())), "multipart/form-data") {
		return nil, newError(codeSupportDisabled, "External tables are not supported")
	}
	var queryParam string
	var perr *chError
	c.Context().QueryArgs().VisitAll(func(k, v []byte) {
		if perr == nil {
			perr = r.param(string(k), string(v), &queryParam)
		}
	})
	if perr != nil {
		return nil, perr
	}
	r.headers(c)
	if cerr := r.validate(); cerr != nil {
		return nil, cerr
	}
	return r, r.setQuery(c, queryParam, maxQuery)
}

// validate checks the values that are echoed in response headers.
func (r *request) validate() *chError {
	if r.format != "" && !isWord(r.format) {
		return newError(codeUnknownFormat, "Unknown format %q", r.format)
	}
	if len(r.queryID) > maxQueryID {
		return newError(codeBadArguments, "query_id is longer than %d bytes", maxQueryID)
	}
	for i := 0; i < len(r.queryID); i++ {
		if c := r.queryID[i]; c < 0x20 || c > 0x7e {
			return newError(codeBadArguments, "query_id must be printable ASCII")
		}
	}
	return nil
}

// maxQueryID caps a client's query_id (a UUID is 36 bytes).
const maxQueryID = 256

// param applies one URL parameter.
func (r *request) param(k, v string, query *string) *chError {
	switch {
	case k == "query":
		*query = v
	case k == "database":
		r.database = v
	case k == "default_format":
		r.format = v
	case k == "query_id":
		r.queryID = v
	case k == "user" || k == "password" || ignoredParams[k]:
	case k == "compress":
		r.compress = v == "1" || strings.EqualFold(v, "true")
	case k == "decompress":
		if v != "" && v != "0" {
			return newError(codeSupportDisabled, "Compressed requests (decompress) are not supported")
		}
	case k == "network_compression_method":
		r.method = compressionMethod(v)
	case k == "client_protocol_version":
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return newError(codeBadArguments, "Invalid client_protocol_version %q", v)
		}
		r.protoVersion = n
	case k == "max_execution_time":
		return r.setMaxExec(v)
	case k == "readonly":
		if v != "1" {
			return newError(codeReadonly, "Cannot modify 'readonly' setting in readonly mode")
		}
	case strings.HasPrefix(k, "param_") && len(k) > len("param_"):
		r.params[k[len("param_"):]] = v
	case sessionParams[k]:
		return newError(codeSupportDisabled, "Sessions are not supported (%s)", k)
	default:
		r.settings = append(r.settings, k)
	}
	return nil
}

func (r *request) setMaxExec(v string) *chError {
	sec, err := strconv.ParseFloat(v, 64)
	if err != nil || sec < 0 || sec > 1e9 {
		return newError(codeBadArguments, "Invalid max_execution_time %q", v)
	}
	r.maxExec = time.Duration(sec * float64(time.Second))
	return nil
}

func compressionMethod(v string) compress.Method {
	switch strings.ToUpper(v) {
	case "ZSTD":
		return compress.ZSTD
	case "NONE":
		return compress.None
	default:
		return compress.LZ4
	}
}

// headers applies the X-ClickHouse headers, which override the parameters.
func (r *request) headers(c *fiber.Ctx) {
	h := &c.Request().Header
	if v := h.Peek("X-ClickHouse-Format"); len(v) > 0 {
		r.format = string(v)
	}
	if v := h.Peek("X-ClickHouse-Database"); len(v) > 0 {
		r.database = string(v)
	}
	if v := h.Peek("X-ClickHouse-Query-Id"); len(v) > 0 {
		r.queryID = string(v)
	}
}

// setQuery joins the query parameter and the POST body with a newline.
func (r *request) setQuery(c *fiber.Ctx, param string, maxQuery int) *chError {
	var body []byte
	if c.Method() == fiber.MethodPost {
		body = c.Body()
	}
	if len(param)+len(body) > maxQuery {
		return newError(codeQueryTooLarge, "Max query size exceeded: %d bytes, the limit is %d", len(param)+len(body), maxQuery)
	}
	switch {
	case param != "" && len(body) > 0:
		r.query = param + "\n" + string(body)
	case param != "":
		r.query = param
	default:
		r.query = string(body)
	}
	if strings.TrimSpace(r.query) == "" {
		return newError(codeSyntaxError, "Empty query")
	}
	return nil
}
