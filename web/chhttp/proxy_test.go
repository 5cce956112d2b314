package chhttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/activedefense/activedefense/web/chhttp"
)

// upstream is a fake ClickHouse server that records what it receives.
type upstream struct {
	mu     sync.Mutex
	calls  int
	query  url.Values
	header http.Header
	body   string
	srv    *httptest.Server
}

func newUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.calls++
		u.query, u.header, u.body = r.URL.Query(), r.Header.Clone(), string(b)
		u.mu.Unlock()
		switch {
		case strings.Contains(string(b), "sleep"):
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		case strings.Contains(string(b), "nope"):
			w.Header().Set("X-ClickHouse-Exception-Code", "60")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "Code: 60. DB::Exception: Unknown table nope. (UNKNOWN_TABLE)\n")
		default:
			w.Header().Set("X-ClickHouse-Query-Id", r.URL.Query().Get("query_id"))
			w.Header().Set("X-ClickHouse-Format", "TabSeparated")
			w.Header().Set("Content-Type", "text/tab-separated-values; charset=UTF-8")
			io.WriteString(w, "1\n")
		}
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) seen() (int, url.Values, http.Header, string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls, u.query, u.header, u.body
}

func proxyBase(t *testing.T, target string) string {
	logger, _ := test.NewNullLogger()
	h := chhttp.NewProxy(chhttp.ProxyConfig{URL: target, User: "ro", Password: "ro-pass", Database: "activedefense"},
		auth, logrus.NewEntry(logger))
	return "http://" + serve(t, h.Register) + "/clickhouse/"
}

func TestProxyForwards(t *testing.T) {
	up := newUpstream(t)
	base := proxyBase(t, up.srv.URL+"/")
	req, _ := http.NewRequest(http.MethodPost, base+"?query=SELECT&max_execution_time=5&limit=10&param_x=1&compress=1&user="+testUser+"&password="+testKey,
		strings.NewReader("{x:UInt8}"))
	req.Header.Set("X-ClickHouse-Query-Id", "q-1")
	req.Header.Set("X-ClickHouse-Format", "JSON")
	st, h, body := do(t, req)
	calls, q, hdr, sent := up.seen()
	if st != http.StatusOK || body != "1\n" || h.Get("X-ClickHouse-Query-Id") != "q-1" || h.Get("X-ClickHouse-Format") != "TabSeparated" ||
		!strings.HasPrefix(h.Get("Content-Type"), "text/tab-separated-values") {
		t.Fatalf("response %d %q %v", st, body, h)
	}
	if calls != 1 || sent != "SELECT\n{x:UInt8}" || hdr.Get("X-ClickHouse-User") != "ro" || hdr.Get("X-ClickHouse-Key") != "ro-pass" ||
		hdr.Get("Authorization") != "" {
		t.Fatalf("upstream got body %q, headers %v", sent, hdr)
	}
	for k, want := range map[string]string{"param_x": "1", "compress": "1", "database": "activedefense", "default_format": "JSON",
		"query_id": "q-1", "user": "", "password": "", "query": "", "max_execution_time": "", "limit": ""} {
		if got := q.Get(k); got != want {
			t.Fatalf("upstream parameter %s = %q, want %q (all: %v)", k, got, want, q)
		}
	}
}

func TestProxyRefusals(t *testing.T) {
	up := newUpstream(t)
	base := proxyBase(t, up.srv.URL+"/")
	get := func(query string, authed bool, params ...string) *http.Request {
		v := url.Values{"query": {query}}
		for i := 0; i+1 < len(params); i += 2 {
			v.Add(params[i], params[i+1])
		}
		req, _ := http.NewRequest(http.MethodGet, base+"?"+v.Encode(), nil)
		if authed {
			req.SetBasicAuth(testUser, testKey)
		}
		return req
	}
	wrong := get("SELECT 1", false)
	wrong.SetBasicAuth(testUser, "nope")
	tests := []struct {
		name     string
		req      *http.Request
		code     string
		status   int
		upstream bool // the request reaches the server
	}{
		{"no credentials", get("SELECT 1", false), "516", 403, false},
		{"wrong key", wrong, "516", 403, false},
		{"multi-statement", get("SELECT 1; DROP TABLE logs", true), "62", 400, false},
		{"session", get("SELECT 1", true, "session_id", "s"), "344", 500, false},
		{"server error passes through", get("SELECT * FROM nope", true), "60", 404, true},
		{"timeout", get("SELECT sleep(3)", true, "max_execution_time", "0.2"), "159", 408, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _, _, _ := up.seen()
			st, h, body := do(t, tc.req)
			after, _, _, _ := up.seen()
			if st != tc.status || h.Get("X-ClickHouse-Exception-Code") != tc.code || !strings.HasPrefix(body, "Code: "+tc.code+".") ||
				(after > before) != tc.upstream {
				t.Fatalf("status %d, code %q, body %q, upstream calls %d -> %d", st, h.Get("X-ClickHouse-Exception-Code"), body, before, after)
			}
		})
	}
}

func TestProxyUnreachable(t *testing.T) {
	up := newUpstream(t)
	dead := up.srv.URL + "/"
	up.srv.Close()
	for _, target := range []string{dead, "not a url", ""} {
		base := proxyBase(t, target)
		req, _ := http.NewRequest(http.MethodGet, base+"?query=SELECT+1", nil)
		req.SetBasicAuth(testUser, testKey)
		st, h, body := do(t, req)
		if st < 500 || h.Get("X-ClickHouse-Exception-Code") == "" || !strings.HasPrefix(body, "Code: ") {
			t.Fatalf("%q: status %d, body %q", target, st, body)
		}
	}
}
