package chhttp

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// ClickHouse error codes the endpoint produces itself.
const (
	codeBadArguments     = 36
	codeSyntaxError      = 62
	codeUnknownFormat    = 73
	codeUnknownSetting   = 115
	codeTimeoutExceeded  = 159
	codeReadonly         = 164
	codeQueryTooLarge    = 229
	codeSupportDisabled  = 344
	codeTooManyRowsBytes = 396
	codeAuthFailed       = 516
	codeUnknownException = 1002
)

var codeNames = map[int]string{
	codeBadArguments:     "BAD_ARGUMENTS",
	codeSyntaxError:      "SYNTAX_ERROR",
	codeUnknownFormat:    "UNKNOWN_FORMAT",
	codeUnknownSetting:   "UNKNOWN_SETTING",
	codeTimeoutExceeded:  "TIMEOUT_EXCEEDED",
	codeReadonly:         "READONLY",
	codeQueryTooLarge:    "QUERY_IS_TOO_LARGE",
	codeSupportDisabled:  "SUPPORT_IS_DISABLED",
	codeTooManyRowsBytes: "TOO_MANY_ROWS_OR_BYTES",
	codeAuthFailed:       "AUTHENTICATION_FAILED",
	codeUnknownException: "UNKNOWN_EXCEPTION",
}

// chError is an error in ClickHouse's form.
type chError struct {
	code int
	msg  string // the text after "DB::Exception: ", with its "(NAME)" suffix
}

func (e *chError) Error() string { return e.body() }

// newError builds an error with ClickHouse's "<msg>. (NAME)" text.
func newError(code int, format string, args ...any) *chError {
	msg := fmt.Sprintf(format, args...)
	if name := codeNames[code]; name != "" {
		msg += ". (" + name + ")"
	}
	return &chError{code: code, msg: msg}
}

// body is the response body: "Code: N. DB::Exception: <msg>\n".
func (e *chError) body() string {
	return "Code: " + strconv.Itoa(e.code) + ". DB::Exception: " + e.msg + "\n"
}

var (
	codeRe    = regexp.MustCompile(`^Code: (\d+)\. DB::Exception: `)
	versionRe = regexp.MustCompile(` \(version [0-9.]+\)`)
)

// engineError turns an engine message ("Code: N. DB::Exception: ...") into
// a chError; a message without a code becomes UNKNOWN_EXCEPTION.
func engineError(msg string) *chError {
	msg = strings.TrimSpace(msg)
	m := codeRe.FindStringSubmatch(msg)
	if m == nil {
		return newError(codeUnknownException, "%s", msg)
	}
	code, err := strconv.Atoi(m[1])
	if err != nil {
		return newError(codeUnknownException, "%s", msg)
	}
	rest := msg[len(m[0]):]
	// The engine sometimes nests its own prefix and version; say it once.
	rest = strings.TrimPrefix(rest, m[0])
	rest = versionRe.ReplaceAllString(rest, "")
	return &chError{code: code, msg: dedupName(rest)}
}

// dedupName drops a repeated "(NAME)" suffix: "x. (READONLY). (READONLY)".
func dedupName(s string) string {
	i := strings.LastIndex(s, ". (")
	if i >= 0 && strings.HasSuffix(s[:i], " "+s[i+2:]) {
		return s[:i]
	}
	return s
}

// status maps a ClickHouse error code to its HTTP status, as ClickHouse's
// HTTP handler does.
func status(code int) int {
	switch code {
	case 194: // REQUIRED_PASSWORD
		return http.StatusUnauthorized
	case 192, 193, 497, 512, 516: // UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED, SET_NON_GRANTED_ROLE, AUTHENTICATION_FAILED
		return http.StatusForbidden
	case 6, 8, 15, 25, 26, 27, 36, 37, 38, 41, 44, 53, 62, 72, 117, 123, 167, 168, 223, 321, 376, 427, 441, 676, 677:
		return http.StatusBadRequest
	case 46, 47, 50, 56, 60, 63, 73, 78, 81, 115, 152, 336, 511:
		return http.StatusNotFound
	case codeQueryTooLarge:
		return http.StatusRequestEntityTooLarge
	case 48: // NOT_IMPLEMENTED
		return http.StatusNotImplemented
	case 76, 209, 439: // CANNOT_OPEN_FILE, SOCKET_TIMEOUT, CANNOT_SCHEDULE_TASK
		return http.StatusServiceUnavailable
	case 381: // HTTP_LENGTH_REQUIRED
		return http.StatusLengthRequired
	case codeTimeoutExceeded:
		return http.StatusRequestTimeout
	default:
		return http.StatusInternalServerError
	}
}
