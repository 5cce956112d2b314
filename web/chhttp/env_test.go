package chhttp_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/schema/chembed"
	"github.com/activedefense/activedefense/schema/chembed/chembedtest"
	"github.com/activedefense/activedefense/web/chhttp"
)

func TestMain(m *testing.M) { chembedtest.VerifyMain(m) }

const (
	testUser = "hunter"
	testKey  = "s3cret-token"
)

// auth accepts one user and key, as the lead's token check does.
func auth(_ context.Context, user, key string) error {
	if user == testUser && key == testKey {
		return nil
	}
	return fmt.Errorf("unknown token: %w", schema.ErrUnauthorized)
}

// readOnlySettings are the read-only store's settings, with small limits
// the tests can reach.
var readOnlySettings = map[string]string{
	"readonly":             "1",
	"max_execution_time":   "5",
	"max_result_rows":      "1000",
	"max_result_bytes":     "10000000",
	"result_overflow_mode": "throw",
	"max_memory_usage":     "1000000000",
}

// env is a migrated test database with three log rows, a read-only store
// on it, and the endpoint served by Fiber on 127.0.0.1 under /clickhouse.
type env struct {
	db   string
	addr string // host:port
	base string // http://host:port/clickhouse/
	ro   *chembed.Store
	now  time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	rw := chembedtest.Open(t)
	if _, err := schema.Migrate(ctx, rw, schema.DefaultRenderOptions()); err != nil {
		t.Fatal(err)
	}
	e := &env{db: rw.Info().Database, now: time.Now().UTC().Truncate(time.Second)}
	ts := e.now.Format(time.DateTime)
	ins := fmt.Sprintf(`INSERT INTO firewall_logs (ts, generated, device, type, src_ip, dst_ip, dst_port, action, severity, bytes_sent) VALUES
		('%[1]s', '%[1]s', 'fw1', 'TRAFFIC', '::ffff:203.0.113.7', '::ffff:10.0.0.5', 22, 'deny', '', 100),
		('%[1]s', '%[1]s', 'fw1', 'THREAT', '::ffff:203.0.113.7', '::ffff:10.0.0.6', 443, 'reset-both', 'critical', 200),
		('%[1]s', '%[1]s', 'fw2', 'TRAFFIC', '2001:db8::1', '::ffff:10.0.0.7', 80, 'allow', '', 300)`, ts)
	if err := rw.Exec(ctx, ins, nil); err != nil {
		t.Fatal(err)
	}
	dir, err := chembedtest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	e.ro, err = chembed.Open(ctx, chembed.Options{Path: dir, Database: e.db, PoolSize: 2, Settings: readOnlySettings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.ro.Close() })
	logger, _ := test.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	h := chhttp.New(chhttp.Config{Database: e.db, MaxExecutionTime: 10 * time.Second}, e.ro, auth, logrus.NewEntry(logger))
	e.addr = serve(t, h.Register)
	e.base = "http://" + e.addr + "/clickhouse/"
	return e
}

// serve runs a Fiber app with routes under /clickhouse on a free
// 127.0.0.1 port until the test ends.
func serve(t *testing.T, register func(fiber.Router)) string {
	t.Helper()
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	register(app.Group("/clickhouse"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = app.Listener(ln)
	}()
	t.Cleanup(func() {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		<-done
	})
	return ln.Addr().String()
}

// do sends one request and returns status, headers and body.
func do(t *testing.T, req *http.Request) (int, http.Header, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
