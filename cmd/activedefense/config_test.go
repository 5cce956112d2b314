package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"go.yaml.in/yaml/v3"
)

func testApp(env map[string]string) *app {
	var out, errw bytes.Buffer
	return &app{env: func(k string) string { return env[k] }, log: logrus.New(),
		io: stdio{in: strings.NewReader(""), out: &out, err: &errw}}
}

// parseLine parses a command line as run does, up to the command's flags.
func parseLine(t *testing.T, env map[string]string, args ...string) (*app, []string, error) {
	t.Helper()
	a := testApp(env)
	rest, err := a.parseGlobals(args)
	if err != nil {
		return a, nil, err
	}
	if len(rest) == 0 {
		t.Fatalf("no command in %q", args)
	}
	pos, err := a.parse(a.flagSet(rest[0]), rest[1:])
	return a, pos, err
}

func TestGlobalFlagsBeforeAndAfterTheCommand(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		dataDir string
		pos     []string
		wantErr string
	}{
		{name: "before", args: []string{"--data-dir", "/d", "sql", "SELECT 1"}, dataDir: "/d", pos: []string{"SELECT 1"}},
		{name: "before with =", args: []string{"-data-dir=/d", "sql", "SELECT 1"}, dataDir: "/d", pos: []string{"SELECT 1"}},
		{name: "after", args: []string{"sql", "SELECT 1", "--data-dir", "/d"}, dataDir: "/d", pos: []string{"SELECT 1"}},
		{name: "between", args: []string{"sql", "--data-dir", "/d", "SELECT 1"}, dataDir: "/d", pos: []string{"SELECT 1"}},
		{name: "after wins over before", args: []string{"--data-dir", "/a", "sql", "--data-dir", "/b", "q"}, dataDir: "/b", pos: []string{"q"}},
		{name: "default", args: []string{"sql", "q"}, dataDir: "data", pos: []string{"q"}},
		{name: "environment", env: map[string]string{"AD_DATA_DIR": "/e"}, args: []string{"sql", "q"}, dataDir: "/e", pos: []string{"q"}},
		{name: "flag before beats environment", env: map[string]string{"AD_DATA_DIR": "/e"},
			args: []string{"--data-dir", "/f", "device", "list"}, dataDir: "/f", pos: []string{"list"}},
		{name: "serve flag before the command", args: []string{"--listen", ":1", "serve"},
			wantErr: "flag provided but not defined: --listen (before the command only the global flags are allowed)"},
		{name: "unknown flag after", args: []string{"sql", "--nope", "q"}, wantErr: "flag provided but not defined: --nope"},
		{name: "bad flag value", args: []string{"sql", "--log-format", "xml", "q"}, wantErr: `invalid value "xml" for flag --log-format: want auto, text, json`},
		{name: "bad value before", args: []string{"--memory-limit", "lots", "sql", "q"}, wantErr: "want a size such as 512MiB"},
		{name: "bad environment", env: map[string]string{"AD_LOG_LEVEL": "loud"}, args: []string{"sql", "q"},
			wantErr: `AD_LOG_LEVEL: want trace, debug, info, warn, error, got "loud"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, pos, err := parseLine(t, tc.env, tc.args...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.g.dataDir != tc.dataDir || strings.Join(pos, "|") != strings.Join(tc.pos, "|") {
				t.Errorf("data dir %q, args %q; want %q, %q", a.g.dataDir, pos, tc.dataDir, tc.pos)
			}
		})
	}
}

func TestRunWithGlobalFlagsFirst(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		out, err string
	}{
		{args: []string{"--data-dir", "/nowhere", "--log-level", "debug", "version"}, code: 0, out: "activedefense"},
		{args: []string{"--help"}, code: 0, out: "global flags, before or after the command"},
		{args: []string{"--data-dir", "/d"}, code: 0, out: "usage: activedefense COMMAND"},
		{args: []string{"--bogus", "version"}, code: 2, err: "activedefense: flag provided but not defined: --bogus"},
		{args: []string{"--data-dir", "/d", "nosuch"}, code: 2, err: `unknown command "nosuch"`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errw bytes.Buffer
			code := run(t.Context(), tc.args, func(string) string { return "" }, stdio{in: strings.NewReader(""), out: &out, err: &errw})
			if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errw.String(), tc.err) {
				t.Errorf("exit %d, stdout %q, stderr %q; want %d, %q, %q", code, out.String(), errw.String(), tc.code, tc.out, tc.err)
			}
		})
	}
}

func TestPrecedenceFlagEnvFileDefault(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ad.yaml")
	writeFile(t, file, "web:\n  listen: file:1\ningest:\n  batch_rows: 1000\nmemory:\n  limit: 1GiB\nlock_wait: 5s\n")
	env := map[string]string{"AD_CONFIG": file, "AD_LISTEN": "env:1", "AD_BATCH_ROWS": "2000"}
	a, _, err := parseLine(t, env, "serve", "--listen", "flag:1")
	if err != nil {
		t.Fatal(err)
	}
	got := []any{a.srv.listen, a.srv.ingest.BatchRows, a.g.memoryLimit, a.srv.lockWait, a.srv.ingest.FlushInterval}
	want := []any{"flag:1", 2000, int64(1 << 30), 5 * time.Second, time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("setting %d: %v, want %v (flag > env > file > default)", i, got[i], want[i])
		}
	}
	// --config before the command wins over AD_CONFIG.
	other := filepath.Join(t.TempDir(), "other.yaml")
	writeFile(t, other, "data_dir: /from-flag-file\n")
	if a, _, err = parseLine(t, env, "--config", other, "sql", "q"); err != nil || a.g.dataDir != "/from-flag-file" {
		t.Errorf("data dir %q, %v; want the --config file's", a.g.dataDir, err)
	}
}

func TestSecretsFromTheEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ad.yaml")
	writeFile(t, file, "hunt:\n  clickhouse_password: ${HUNT_PW}\nclickhouse:\n  dsn: clickhouse://ad:${CH_PW}@ch1:9000/ad\n")
	a, _, err := parseLine(t, map[string]string{"AD_CONFIG": file, "HUNT_PW": "s3cret", "CH_PW": "p@ss"}, "sql", "q")
	if err != nil {
		t.Fatal(err)
	}
	if a.srv.hunt.Password != "s3cret" || a.g.dsn != "clickhouse://ad:p@ss@ch1:9000/ad" {
		t.Errorf("password %q, dsn %q", a.srv.hunt.Password, a.g.dsn)
	}
}

// TestBadConfigs loads each testdata/*.bad.yaml, expecting its error.
func TestBadConfigs(t *testing.T) {
	want := map[string]string{
		"unknown-key":          "line 3: unknown key web.lisen",
		"unknown-top-key":      "line 2: unknown key dta_dir",
		"bad-int":              "line 2: ingest.batch_rows: want a whole number of at least 1, got \"lots\"",
		"zero-batch":           "line 2: ingest.batch_rows: want a whole number of at least 1, got \"0\"",
		"bad-duration":         "line 1: lock_wait: want a duration such as 30s or 5m, got \"5 minutes\"",
		"bad-bool":             "line 2: web.insecure_http: want true or false, got \"maybe\"",
		"bad-size":             "line 2: memory.limit: want a size such as 512MiB or 2GiB, got \"plenty\"",
		"small-memory":         "memory limit 1MiB: want at least 320MiB, or 0 for none",
		"missing-variable":     "line 4: hunt.clickhouse_password: environment variable AD_TEST_UNSET_SECRET is not set",
		"section-scalar":       "line 1: web is a section: want keys below it",
		"list-value":           "line 1: data_dir: want a single value",
		"duplicate-key":        "line 4: key data_dir repeated (first on line 1)",
		"syntax":               "yaml: line 1: did not find expected ',' or ']'",
		"two-documents":        "one YAML document expected",
		"top-level-list":       "line 1: want a mapping of keys at the top",
		"log-format":           `line 2: log.format: want auto, text, json, got "xml"`,
		"tls-cert-without-key": "TLS: give both the certificate and the key, or neither",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.bad.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/*.bad.yaml: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".bad.yaml")
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("%s has no expected error in TestBadConfigs", f)
			}
			delete(want, name)
			_, _, err := parseLine(t, map[string]string{"AD_CONFIG": f}, "serve")
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Fatalf("error %v, want it to contain %q", err, w)
			}
			if strings.Contains(w, "line ") && !strings.Contains(err.Error(), f) {
				t.Errorf("error %v does not name the file", err)
			}
		})
	}
	for name := range want {
		t.Errorf("testdata/%s.bad.yaml is missing", name)
	}
}

// TestExampleConfig: deploy/activedefense.yaml loads, names every setting
// once and gives each its default.
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "deploy", "activedefense.yaml")
	a, _, err := parseLine(t, map[string]string{"AD_CONFIG": path}, "serve")
	if err != nil {
		t.Fatalf("the example config does not load: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.MappingNode {
				walk(v, prefix+k.Value+".")
			} else {
				keys[prefix+k.Value] = v.Value
			}
		}
	}
	walk(root.Content[0], "")
	for _, s := range a.settings() {
		v, ok := keys[s.key]
		if !ok {
			t.Errorf("deploy/activedefense.yaml does not document %s", s.key)
			continue
		}
		if v != s.def {
			t.Errorf("deploy/activedefense.yaml: %s: %q, want the default %q", s.key, v, s.def)
		}
		if !strings.Contains(string(b), "--"+s.flag+", "+envName(s.flag)) {
			t.Errorf("deploy/activedefense.yaml: %s does not name its flag and variable (--%s, %s)", s.key, s.flag, envName(s.flag))
		}
		delete(keys, s.key)
	}
	for k := range keys {
		t.Errorf("deploy/activedefense.yaml: %s is no setting", k)
	}
}

func TestSettingsTable(t *testing.T) {
	a := testApp(nil)
	seen := map[string]bool{}
	for _, s := range a.settings() {
		for _, name := range []string{"key " + s.key, "flag " + s.flag} {
			if seen[name] {
				t.Errorf("%s appears twice", name)
			}
			seen[name] = true
		}
		if err := s.val.Set(s.def); err != nil {
			t.Errorf("%s: default %q does not parse: %v", s.key, s.def, err)
		} else if got := s.val.String(); got != s.def && !(s.def == "" && got == "") {
			t.Errorf("%s: default %q reads back as %q", s.key, s.def, got)
		}
	}
	// Every global flag is accepted before the command, serve's are not.
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	a.register(fs, false)
	for _, s := range a.settings() {
		if (fs.Lookup(s.flag) != nil) == s.serve {
			t.Errorf("--%s: registered globally = %t, want %t", s.flag, !s.serve, !s.serve)
		}
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{in: "512MiB", want: 512 << 20},
		{in: "512mib", want: 512 << 20},
		{in: "1GiB", want: 1 << 30},
		{in: "1.5GiB", want: 3 << 29},
		{in: "300MB", want: 300e6},
		{in: "300 MB", want: 300e6},
		{in: "4096", want: 4096},
		{in: "0", want: 0},
		{in: "", wantErr: "want a size"},
		{in: "-1MiB", wantErr: "want a size"},
		{in: "12 parsecs", wantErr: "want a size"},
		{in: "99999999TiB", wantErr: "want a size"},
	}
	for _, tc := range tests {
		got, err := parseSize(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseSize(%q) = %d, %v; want error %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if back, err := parseSize(formatSize(got)); err != nil || back != got {
			t.Errorf("formatSize(%d) = %q does not read back: %d, %v", got, formatSize(got), back, err)
		}
	}
}

func TestLogFormatAutoIsJSONOffATerminal(t *testing.T) {
	for format, json := range map[string]bool{"auto": true, "json": true, "text": false} {
		a, _, err := parseLine(t, map[string]string{"AD_LOG_FORMAT": format}, "sql", "q")
		if err != nil {
			t.Fatal(err)
		}
		_, isJSON := a.log.Formatter.(*logrus.JSONFormatter)
		if isJSON != json {
			t.Errorf("--log-format %s off a terminal: JSON %t, want %t", format, isJSON, json)
		}
	}
}

func TestUsageErrorsAreUsageErrors(t *testing.T) {
	_, _, err := parseLine(t, map[string]string{"AD_BATCH_ROWS": "x"}, "serve")
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "AD_BATCH_ROWS: want a whole number") {
		t.Errorf("error %v, want a usage error naming AD_BATCH_ROWS", err)
	}
}

func TestMemoryPlan(t *testing.T) {
	if p := planMemory(0); p.goLimit != 0 || p.buffer != 0 || len(p.engine) != 0 {
		t.Errorf("limit 0 plans %+v, want nothing", p)
	}
	p := planMemory(512 << 20)
	rest := int64(512<<20 - codeReserve)
	if p.goLimit != rest/4 || p.buffer != rest/16 || p.engine["max_server_memory_usage"] != fmt.Sprint(rest) ||
		p.engine["merges_mutations_memory_usage_soft_limit"] != fmt.Sprint(rest/4) || p.engine["uncompressed_cache_size"] != "0" {
		t.Errorf("512MiB plans %+v", p)
	}
	var caches int64
	for k, v := range p.engine {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Errorf("%s = %q", k, v)
		}
		if strings.HasSuffix(k, "_cache_size") {
			caches += n
		}
	}
	if caches > rest/4 {
		t.Errorf("caches take %d of %d", caches, rest)
	}
	// No re-exec without a plan, or when JE_MALLOC_CONF is already set.
	for _, env := range []map[string]string{{}, {"JE_MALLOC_CONF": "x"}} {
		plan := p
		if len(env) == 0 {
			plan = planMemory(0)
		}
		if err := plan.reexecForMalloc(func(k string) string { return env[k] }); err != nil {
			t.Errorf("reexec with %v: %v", env, err)
		}
	}
}
