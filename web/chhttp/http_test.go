package chhttp_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ClickHouse/ch-go/compress"
	chproto "github.com/ClickHouse/ch-go/proto"
)

// get builds a GET with ?query= and further parameters.
func (e *env) get(t *testing.T, query string, params ...string) *http.Request {
	t.Helper()
	v := url.Values{"query": {query}}
	for i := 0; i+1 < len(params); i += 2 {
		v.Add(params[i], params[i+1])
	}
	req, err := http.NewRequest(http.MethodGet, e.base+"?"+v.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(testUser, testKey)
	return req
}

// post builds a POST with the query as the body, the way curl -d sends it.
func (e *env) post(t *testing.T, rawQuery, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.base+"?"+rawQuery, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testUser, testKey)
	return req
}

func TestCurlShapes(t *testing.T) {
	e := newEnv(t)
	headerAuth := e.get(t, "SELECT count() FROM logs")
	headerAuth.Header.Del("Authorization")
	headerAuth.Header.Set("X-ClickHouse-User", testUser)
	headerAuth.Header.Set("X-ClickHouse-Key", testKey)
	urlAuth := e.get(t, "SELECT count() FROM logs", "user", testUser, "password", testKey)
	urlAuth.Header.Del("Authorization")
	formatHeader := e.post(t, "", "SELECT device FROM logs ORDER BY bytes_sent LIMIT 1")
	formatHeader.Header.Set("X-ClickHouse-Format", "JSONEachRow")
	tests := []struct {
		name       string
		req        *http.Request
		want       string
		wantFormat string
		wantType   string
	}{
		{"get", e.get(t, "SELECT count() FROM logs"), "3\n", "TabSeparated", "text/tab-separated-values"},
		{"form post", e.post(t, "", "SELECT count() FROM logs"), "3\n", "TabSeparated", ""},
		{"query param and body", e.post(t, "query=SELECT+count()", "FROM logs"), "3\n", "TabSeparated", ""},
		{"x-clickhouse headers", headerAuth, "3\n", "TabSeparated", ""},
		{"url credentials", urlAuth, "3\n", "TabSeparated", ""},
		{"tsv with names", e.get(t, "SELECT device, count() AS n FROM logs GROUP BY device ORDER BY device FORMAT TSVWithNames"),
			"device\tn\nfw1\t2\nfw2\t1\n", "TSVWithNames", ""},
		{"csv", e.get(t, "SELECT device, dst_port FROM logs ORDER BY dst_port FORMAT CSV"),
			"\"fw1\",22\n\"fw2\",80\n\"fw1\",443\n", "CSV", "text/csv"},
		{"default_format", e.get(t, "SELECT src_ip FROM logs WHERE device = 'fw2'", "default_format", "JSONEachRow"),
			"{\"src_ip\":\"2001:db8::1\"}\n", "JSONEachRow", "application/x-ndjson"},
		{"format header", formatHeader, "{\"device\":\"fw1\"}\n", "JSONEachRow", ""},
		{"column named format", e.get(t, "SELECT format FROM logs LIMIT 1"), "\n", "TabSeparated", ""},
		{"param", e.get(t, "SELECT count() FROM logs WHERE src_ip = {ip:String}", "param_ip", "203.0.113.7"), "2\n", "TabSeparated", ""},
		{"other database", e.get(t, "SELECT currentDatabase()", "database", "system"), "system\n", "TabSeparated", ""},
		{"allowed parameters", e.get(t, "SELECT 1", "limit", "10", "max_execution_time", "5", "readonly", "1",
			"wait_end_of_query", "1", "enable_http_compression", "1", "quota_key", "k"), "1\n", "TabSeparated", ""},
		{"empty result", e.get(t, "SELECT 1 WHERE 0"), "", "TabSeparated", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := do(t, tc.req)
			if st != http.StatusOK || body != tc.want || h.Get("X-ClickHouse-Format") != tc.wantFormat ||
				!strings.HasPrefix(h.Get("Content-Type"), tc.wantType) || h.Get("X-ClickHouse-Exception-Code") != "" {
				t.Fatalf("status %d, format %q, type %q, body %q; want %q in %s", st, h.Get("X-ClickHouse-Format"),
					h.Get("Content-Type"), body, tc.want, tc.wantFormat)
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		st, _, body := do(t, e.get(t, "SELECT device, count() AS n FROM logs GROUP BY device ORDER BY device FORMAT JSON"))
		var res struct {
			Data []struct {
				Device string `json:"device"`
				N      int    `json:"n"`
			} `json:"data"`
			Rows int `json:"rows"`
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil || st != http.StatusOK || res.Rows != 2 ||
			res.Data[0].Device != "fw1" || res.Data[0].N != 2 {
			t.Fatalf("status %d, %+v, %v: %s", st, res, err, body)
		}
	})
	t.Run("query id", func(t *testing.T) {
		_, h, _ := do(t, e.get(t, "SELECT 1", "query_id", "my-query-1"))
		_, h2, _ := do(t, e.get(t, "SELECT 1"))
		if h.Get("X-ClickHouse-Query-Id") != "my-query-1" || len(h2.Get("X-ClickHouse-Query-Id")) != 36 ||
			h.Get("X-ClickHouse-Timezone") != "UTC" {
			t.Fatalf("headers %v / %v", h, h2)
		}
	})
}

func TestPing(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{e.base + "ping", e.base, "http://" + e.addr + "/clickhouse"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(b) != "Ok.\n" {
			t.Fatalf("GET %s: %d %q", u, resp.StatusCode, b)
		}
	}
}

// TestRefusals checks every refusal's ClickHouse code and HTTP status.
func TestRefusals(t *testing.T) {
	e := newEnv(t)
	noAuth := e.get(t, "SELECT 1")
	noAuth.Header.Del("Authorization")
	wrongKey := e.get(t, "SELECT 1")
	wrongKey.SetBasicAuth(testUser, "nope")
	mixed := e.get(t, "SELECT 1")
	mixed.Header.Set("X-ClickHouse-User", testUser)
	mixed.Header.Set("X-ClickHouse-Key", testKey)
	bearer := e.get(t, "SELECT 1")
	bearer.Header.Set("Authorization", "Bearer "+testKey)
	certAuth := e.get(t, "SELECT 1")
	certAuth.Header.Set("X-ClickHouse-SSL-Certificate-Auth", "on")
	var mp bytes.Buffer
	w := multipart.NewWriter(&mp)
	_ = w.WriteField("query", "SELECT * FROM ext")
	w.Close()
	external := e.post(t, "ext_structure=x+UInt8", mp.String())
	external.Header.Set("Content-Type", w.FormDataContentType())
	tests := []struct {
		name   string
		req    *http.Request
		code   string
		status int
	}{
		{"no credentials", noAuth, "516", 403},
		{"wrong key", wrongKey, "516", 403},
		{"mixed auth", mixed, "516", 403},
		{"bearer", bearer, "516", 403},
		{"certificate auth", certAuth, "516", 403},
		{"insert", e.post(t, "", "INSERT INTO firewall_logs (device) VALUES ('x')"), "164", 500},
		{"insert format", e.post(t, "query=INSERT+INTO+firewall_logs+(device)+FORMAT+TSV", "x\n"), "164", 500},
		{"drop", e.get(t, "DROP TABLE firewall_logs"), "164", 500},
		{"truncate", e.get(t, "TRUNCATE TABLE firewall_logs"), "164", 500},
		{"set", e.get(t, "SET max_threads = 1"), "164", 500},
		{"settings clause", e.get(t, "SELECT 1 SETTINGS max_execution_time = 10"), "164", 500},
		{"setting parameter", e.get(t, "SELECT 1", "max_threads", "1"), "164", 500},
		{"readonly parameter", e.get(t, "SELECT 1", "readonly", "0"), "164", 500},
		{"file", e.get(t, "SELECT * FROM file('/etc/passwd', 'LineAsString')"), "164", 500},
		{"url", e.get(t, "SELECT * FROM url('http://127.0.0.1:1/', 'LineAsString')"), "164", 500},
		{"file function", e.get(t, "SELECT file('/etc/passwd')"), "164", 500},
		{"describe file", e.get(t, "DESC file('/etc/passwd', 'TSVWithNames')"), "164", 500},
		{"system.models", e.get(t, "SELECT * FROM system.models"), "164", 500},
		{"into outfile", e.get(t, "SELECT 1 INTO OUTFILE '/tmp/ad-chhttp-test.tsv'"), "164", 500},
		{"kill", e.get(t, "KILL QUERY WHERE 1"), "164", 500},
		{"multi-statement", e.get(t, "SELECT 1; SELECT 2"), "62", 400},
		{"multi-statement write", e.post(t, "", "SELECT 1;\nDROP TABLE firewall_logs;"), "62", 400},
		{"empty query", e.post(t, "", "  "), "62", 400},
		{"syntax error", e.get(t, "SELEC 1"), "62", 400},
		{"unknown parameter", e.get(t, "SELECT 1", "no_such_thing", "1"), "115", 404},
		{"session", e.get(t, "SELECT 1", "session_id", "abc"), "344", 500},
		{"decompress", e.post(t, "decompress=1", "SELECT 1"), "344", 500},
		{"external tables", external, "344", 500},
		{"unknown table", e.get(t, "SELECT * FROM nope"), "60", 404},
		{"unknown database", e.get(t, "SELECT 1", "database", "nope"), "81", 404},
		{"bad max_execution_time", e.get(t, "SELECT 1", "max_execution_time", "soon"), "36", 400},
		{"row limit", e.get(t, "SELECT number FROM numbers(5000)"), "396", 500},
		{"timeout", e.get(t, "SELECT sleep(2)", "max_execution_time", "0.5"), "159", 408},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := do(t, tc.req)
			if st != tc.status || h.Get("X-ClickHouse-Exception-Code") != tc.code ||
				!strings.HasPrefix(body, "Code: "+tc.code+". DB::Exception: ") || !strings.HasSuffix(body, ")\n") {
				t.Fatalf("status %d, code %q, body %q; want %d, %s", st, h.Get("X-ClickHouse-Exception-Code"), body, tc.status, tc.code)
			}
		})
	}
	st, _, body := do(t, e.get(t, "SELECT count() FROM firewall_logs"))
	if st != http.StatusOK || body != "3\n" {
		t.Fatalf("after refusals: %d %q", st, body)
	}
}

// TestNativeHello pins the bytes of the hello answer and the compressed
// framing.
func TestNativeHello(t *testing.T) {
	e := newEnv(t)
	const hello = "SELECT displayName(), version(), revision(), timezone()"
	for _, rev := range []string{"0", "54460"} {
		st, h, body := do(t, e.post(t, "default_format=Native&client_protocol_version="+rev, hello))
		r := chproto.NewReader(strings.NewReader(body))
		if rev != "0" {
			info := make([]byte, 8)
			if _, err := io.ReadFull(r, info); err != nil || !bytes.Equal(info, []byte{1, 0, 2, 0xff, 0xff, 0xff, 0xff, 0}) {
				t.Fatalf("rev %s: block info % x, %v", rev, info, err)
			}
		}
		cols, _ := r.UVarInt()
		rows, _ := r.UVarInt()
		if st != http.StatusOK || cols != 4 || rows != 1 || h.Get("X-ClickHouse-Format") != "Native" {
			t.Fatalf("rev %s: status %d, %d columns, %d rows", rev, st, cols, rows)
		}
		var vals []string
		for range 4 {
			name, _ := r.Str()
			typ, _ := r.Str()
			if rev != "0" {
				if b, _ := r.Byte(); b != 0 {
					t.Fatalf("rev %s: serialization byte %d", rev, b)
				}
			}
			if typ == "UInt32" {
				v, _ := r.UInt32()
				if v != 0 {
					t.Fatalf("revision() = %d, want 0", v)
				}
				continue
			}
			s, _ := r.Str()
			vals = append(vals, name+"="+s)
		}
		if len(vals) != 3 || vals[0] != "displayName()=activedefense" || !strings.HasPrefix(vals[1], "version()=26.") || vals[2] != "timezone()=UTC" {
			t.Fatalf("rev %s: hello %v", rev, vals)
		}
	}
}

func TestCompressedFrames(t *testing.T) {
	e := newEnv(t)
	for _, m := range []string{"LZ4", "ZSTD"} {
		// The JDBC driver's shape: RowBinaryWithNamesAndTypes by header,
		// compress=1.
		req := e.post(t, "compress=1&network_compression_method="+m, "SELECT number FROM numbers(1000)")
		req.Header.Set("X-ClickHouse-Format", "RowBinaryWithNamesAndTypes")
		st, h, body := do(t, req)
		method := byte(0x82)
		if m == "ZSTD" {
			method = 0x90
		}
		if st != http.StatusOK || len(body) < 25 || body[16] != method || h.Get("X-ClickHouse-Format") != "RowBinaryWithNamesAndTypes" {
			t.Fatalf("%s: status %d, header %q, %d bytes", m, st, h.Get("X-ClickHouse-Format"), len(body))
		}
		// 1 column "number" UInt64, then 1000 little-endian values, and
		// nothing after them.
		zr := compress.NewReader(strings.NewReader(body))
		raw := make([]byte, 1+7+7+8*1000)
		if _, err := io.ReadFull(zr, raw); err != nil || !bytes.HasPrefix(raw, []byte("\x01\x06number\x06UInt64")) {
			t.Fatalf("%s: %q..., %v", m, raw[:20], err)
		}
		if n, err := zr.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
			t.Fatalf("%s: %d bytes after the result, %v", m, n, err)
		}
	}
	// Errors are never compressed.
	st, _, body := do(t, e.post(t, "compress=1", "SELECT * FROM nope"))
	if st != http.StatusNotFound || !strings.HasPrefix(body, "Code: 60.") {
		t.Fatalf("compressed error: %d %q", st, body)
	}
}

// TestConcurrent sends more requests at once than the store has
// connections: they queue, and every one gets its answer.
func TestConcurrent(t *testing.T) {
	e := newEnv(t)
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 8 {
				q := url.Values{"query": {"SELECT count() + {n:UInt32} FROM logs"}, "param_n": {strconv.Itoa(i*8 + j)}}
				req, _ := http.NewRequest(http.MethodGet, e.base+"?"+q.Encode(), nil)
				req.SetBasicAuth(testUser, testKey)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err.Error()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := strconv.Itoa(3+i*8+j) + "\n"; string(b) != want {
					errs <- fmt.Sprintf("got %q, want %q", b, want)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
