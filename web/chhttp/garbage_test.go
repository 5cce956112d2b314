package chhttp_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/chhttp"
)

// fakeStore answers the handler's engine-facts query and echoes others.
type fakeStore struct{}

func (fakeStore) QueryRaw(_ context.Context, q schema.RawQuery) ([]byte, error) {
	switch {
	case strings.Contains(q.SQL, "system.settings"):
		return []byte("v\t26.7.2.1\ns\tmax_threads\nf\tTabSeparated\nf\tNative\nf\tJSON\n"), nil
	case strings.Contains(q.SQL, "boom"):
		return nil, errors.New("clickhouse: Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)")
	case strings.Contains(q.SQL, "plain"):
		return nil, errors.New("connection lost")
	}
	return []byte(q.SQL), nil
}

// checkResponse asserts the ClickHouse response invariants: a success has
// no exception code, a failure has one, in the body and the status.
func checkResponse(t *testing.T, resp *http.Response) {
	t.Helper()
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	code := resp.Header.Get("X-ClickHouse-Exception-Code")
	switch {
	case resp.StatusCode == http.StatusOK && code == "":
	case resp.StatusCode >= 400 && code != "" && strings.HasPrefix(string(body), "Code: "+code+". DB::Exception: "):
	default:
		t.Fatalf("status %d, code %q, body %q", resp.StatusCode, code, body)
	}
}

func fakeApp() *fiber.App {
	logger, _ := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	chhttp.New(chhttp.Config{}, fakeStore{}, auth, logrus.NewEntry(logger)).Register(app.Group("/clickhouse"))
	return app
}

func FuzzHandler(f *testing.F) {
	f.Add(true, "query=SELECT+1", "", testKey)
	f.Add(false, "", "SELECT 1; SELECT 2", testKey)
	f.Add(false, "default_format=Native&client_protocol_version=54460", "SELECT displayName(), version(), revision(), timezone()", testKey)
	f.Add(false, "compress=1&network_compression_method=zstd&param_x=%00", "SELECT {x:String}", testKey)
	f.Add(true, "query=boom&max_execution_time=-1", "", "")
	f.Add(false, "max_threads=1&session_id=1&%ff=%zz", "plain", testKey)
	app := fakeApp()
	f.Fuzz(func(t *testing.T, get bool, rawQuery, body, key string) {
		method := http.MethodPost
		if get {
			method = http.MethodGet
		}
		if strings.ContainsFunc(rawQuery, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '#' }) {
			t.Skip() // not a valid request line: the HTTP server's business
		}
		req, err := http.NewRequest(method, "http://x/clickhouse/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.RawQuery = rawQuery
		req.SetBasicAuth(testUser, key)
		resp, err := app.Test(req, -1)
		if err != nil {
			t.Skip() // fasthttp refused the request line itself
		}
		checkResponse(t, resp)
	})
}

// TestGarbage sends hostile and malformed requests to the real engine:
// each gets a ClickHouse answer, and the endpoint keeps working.
func TestGarbage(t *testing.T) {
	e := newEnv(t)
	bodies := []string{
		"\x00\xff\xfe", "SELECT '", "/*", "$$", "SELECT {x:String}", "SELECT {x:UInt8}", "SELECT 1 FORMAT NoSuchFormat",
		"SELECT " + strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), strings.Repeat("SELECT 1 UNION ALL ", 2000) + "SELECT 1",
		strings.Repeat("x", 2<<20), "SELECT * FROM system.numbers", "SELECT throwIf(1)", "EXPLAIN SELECT 1", "DESC logs; DESC logs",
		"WITH x AS (SELECT 1) SELECT * FROM x", "SELECT 1 INTO OUTFILE 'x' FORMAT CSV", "SELECT '\\'", "-- just a comment",
	}
	params := []string{"", "param_x=%ff%00", "param_x=300", "default_format=%00", "default_format=Native", "compress=1&network_compression_method=nope",
		"client_protocol_version=abc", "database=%60%3B", "query_id=" + strings.Repeat("q", 300), "query_id=a%0d%0aX-Evil:+1", "max_execution_time=1e30"}
	client := &http.Client{}
	for _, b := range bodies {
		for _, p := range params {
			resp, err := client.Do(e.post(t, p, b))
			if err != nil {
				t.Fatal(err)
			}
			checkResponse(t, resp)
		}
	}
	st, _, body := do(t, e.get(t, "SELECT count() FROM logs"))
	if st != http.StatusOK || body != "3\n" {
		t.Fatalf("after garbage: %d %q", st, body)
	}
}
