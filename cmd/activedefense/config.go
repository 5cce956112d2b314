package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The restart-only settings. Each has a key in the YAML file, a flag and an
// AD_<FLAG> environment variable; precedence is flag > environment > file >
// default. Runtime settings (thresholds, windows, notifications) live in
// the settings table instead (`activedefense settings`).

// setting is one restart-only setting.
type setting struct {
	key   string // dotted YAML key, e.g. "web.listen"
	flag  string // flag name; the environment variable is envName(flag)
	serve bool   // a flag of serve only; the file and the environment apply to every command
	def   string // default, parsed by val like any other value
	usage string
	val   flag.Value
}

// configEnv names the config file in the environment (flag --config).
const configEnv = "AD_CONFIG"

// envName is the environment variable of a flag: AD_ and the flag in
// upper case with '_' for '-'.
func envName(flagName string) string {
	return "AD_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settings lists every restart-only setting, bound to the app's fields.
func (a *app) settings() []setting {
	g, s := &a.g, &a.srv
	return []setting{
		{key: "data_dir", flag: "data-dir", def: "data", val: strVal{&g.dataDir},
			usage: "embedded data, control socket, lock, TLS files"},
		{key: "key_file", flag: "key-file", val: strVal{&g.keyFile},
			usage: "key encrypting stored secrets (default DATA-DIR/secret.key)"},
		{key: "log.level", flag: "log-level", def: "info", val: enumVal{&g.logLevel, []string{"trace", "debug", "info", "warn", "error"}},
			usage: "trace, debug, info, warn or error"},
		{key: "log.format", flag: "log-format", def: "auto", val: enumVal{&g.logFormat, []string{"auto", "text", "json"}},
			usage: "text, json, or auto: text on a terminal, else JSON"},
		{key: "clickhouse.dsn", flag: "clickhouse-dsn", val: strVal{&g.dsn},
			usage: "use a ClickHouse server, e.g. clickhouse://user:pass@host:9000/activedefense"},
		{key: "clickhouse.cluster", flag: "clickhouse-cluster", val: strVal{&g.cluster},
			usage: "cluster for ON CLUSTER / Replicated / Distributed DDL (needs a DSN)"},
		{key: "clickhouse.chdb_lib", flag: "chdb-lib", val: strVal{&g.chdbLib},
			usage: "libchdb.so of the embedded engine (default: the cache, then the linker's paths)"},
		{key: "memory.limit", flag: "memory-limit", def: defaultMemoryLimit, val: sizeVal{&g.memoryLimit},
			usage: "memory budget of a process running the embedded engine, e.g. 512MiB (0: no limits)"},
		{key: "web.listen", flag: "listen", serve: true, def: ":8443", val: strVal{&s.listen},
			usage: "web listen address"},
		{key: "web.insecure_http", flag: "insecure-http", serve: true, def: "false", val: boolVal{&s.insecureHTTP},
			usage: "serve plain HTTP instead of HTTPS"},
		{key: "web.tls_cert", flag: "tls-cert", serve: true, val: strVal{&s.tlsCert},
			usage: "TLS certificate (PEM); default: self-signed in DATA-DIR/tls"},
		{key: "web.tls_key", flag: "tls-key", serve: true, val: strVal{&s.tlsKey},
			usage: "TLS private key (PEM)"},
		{key: "ingest.log_dir", flag: "log-dir", serve: true, def: "/var/log/Firewall", val: strVal{&a.logDir},
			usage: "device and feed files added over the network must lie under it"},
		{key: "ingest.batch_rows", flag: "batch-rows", serve: true, def: "50000", val: intVal{&s.ingest.BatchRows, 1},
			usage: "flush a batch at this many lines"},
		{key: "ingest.flush_interval", flag: "flush-interval", serve: true, def: "1s", val: durVal{&s.ingest.FlushInterval},
			usage: "flush a batch this long after its first line"},
		{key: "ingest.syslog_udp", flag: "syslog-udp", serve: true, val: strVal{&s.syslog.UDP},
			usage: "built-in syslog listener UDP address, e.g. :5514 (off by default)"},
		{key: "ingest.syslog_tcp", flag: "syslog-tcp", serve: true, val: strVal{&s.syslog.TCP},
			usage: "built-in syslog listener TCP address (off by default)"},
		{key: "retention_days", flag: "retention-days", serve: true, def: "0", val: intVal{&s.retentionDays, 0},
			usage: "days of logs to keep, overriding the retention.months setting (0: use the setting)"},
		{key: "lock_wait", flag: "lock-wait", serve: true, def: "30s", val: durVal{&s.lockWait},
			usage: "how long to wait for a data dir held by another process"},
		{key: "hunt.clickhouse_url", flag: "hunt-clickhouse-url", serve: true, val: strVal{&s.hunt.URL},
			usage: "server mode: ClickHouse HTTP URL for hunting (a read-only user)"},
		{key: "hunt.clickhouse_user", flag: "hunt-clickhouse-user", serve: true, val: strVal{&s.hunt.User},
			usage: "server mode: the read-only user"},
		{key: "hunt.clickhouse_password", flag: "hunt-clickhouse-password", serve: true, val: strVal{&s.hunt.Password},
			usage: "server mode: its password"},
	}
}

// register adds the global settings' flags (and serve's when serve is
// true) to fs, with every setting at its default.
func (a *app) register(fs *flag.FlagSet, serve bool) {
	a.configPath = ""
	fs.StringVar(&a.configPath, "config", "", "YAML configuration file ("+configEnv+")")
	for _, s := range a.settings() {
		_ = s.val.Set(s.def)
		if !s.serve || serve {
			fs.Var(s.val, s.flag, s.usage+" ("+envName(s.flag)+")")
		}
	}
}

// given returns the flags set on the command line: before the command
// (a.pre) and after it (fs), the later winning.
func (a *app) given(fs *flag.FlagSet) map[string]string {
	out := map[string]string{}
	for k, v := range a.pre {
		out[k] = v
	}
	if fs != nil {
		fs.Visit(func(f *flag.Flag) { out[f.Name] = f.Value.String() })
	}
	return out
}

// resolve sets every setting from its default, the config file, the
// environment and the flags given, in that order.
func (a *app) resolve(fs *flag.FlagSet) error {
	given := a.given(fs)
	all := a.settings()
	for _, s := range all {
		_ = s.val.Set(s.def)
	}
	path, ok := given["config"]
	if !ok {
		path = a.env(configEnv)
	}
	if path != "" {
		if err := a.loadFile(path, all); err != nil {
			return err
		}
	}
	for _, s := range all {
		if v := a.env(envName(s.flag)); v != "" {
			if err := s.val.Set(v); err != nil {
				return fmt.Errorf("%w: %s: %v", errUsage, envName(s.flag), err)
			}
		}
	}
	for _, s := range all {
		if v, ok := given[s.flag]; ok {
			if err := s.val.Set(v); err != nil {
				return fmt.Errorf("%w: --%s: %v", errUsage, s.flag, err)
			}
		}
	}
	return a.validate()
}

// validate checks what a single value cannot: every problem at once.
func (a *app) validate() error {
	var errs []error
	if (a.srv.tlsCert == "") != (a.srv.tlsKey == "") {
		errs = append(errs, errors.New("TLS: give both the certificate and the key, or neither"))
	}
	if a.g.memoryLimit > 0 && a.g.memoryLimit < minMemoryLimit {
		errs = append(errs, fmt.Errorf("memory limit %s: want at least %s, or 0 for none",
			formatSize(a.g.memoryLimit), formatSize(minMemoryLimit)))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	return nil
}

// loadFile applies a YAML config file: a mapping of the settings' keys,
// nested by their dots. An unknown or repeated key, a value of the wrong
// kind and a ${VAR} naming an unset variable are errors naming the key and
// its line.
func (a *app) loadFile(path string, all []setting) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	fail := func(err error) error { return fmt.Errorf("config %s: %w", path, err) }
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil // empty: every default
	} else if err != nil {
		return fail(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		return fail(fmt.Errorf("line %d: one YAML document expected", next.Line))
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // comments only
	}
	if root.Kind != yaml.MappingNode {
		return fail(fmt.Errorf("line %d: want a mapping of keys at the top", root.Line))
	}
	byKey := map[string]setting{}
	sections := map[string]bool{}
	for _, s := range all {
		byKey[s.key] = s
		for i := strings.IndexByte(s.key, '.'); i > 0; i = nextDot(s.key, i) {
			sections[s.key[:i]] = true
		}
	}
	if err := a.walk(root, "", byKey, sections); err != nil {
		return fail(err)
	}
	return nil
}

func nextDot(s string, i int) int {
	j := strings.IndexByte(s[i+1:], '.')
	if j < 0 {
		return -1
	}
	return i + 1 + j
}

// walk applies the keys of one mapping; prefix is its dotted path.
func (a *app) walk(m *yaml.Node, prefix string, byKey map[string]setting, sections map[string]bool) error {
	var errs []error
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if v.Kind == yaml.AliasNode {
			v = v.Alias
		}
		key := prefix + k.Value
		if line, dup := seen[k.Value]; dup {
			errs = append(errs, fmt.Errorf("line %d: key %s repeated (first on line %d)", k.Line, key, line))
			continue
		}
		seen[k.Value] = k.Line
		if s, ok := byKey[key]; ok {
			if err := a.apply(s, v); err != nil {
				errs = append(errs, fmt.Errorf("line %d: %s: %w", v.Line, key, err))
			}
			continue
		}
		if !sections[key] {
			errs = append(errs, fmt.Errorf("line %d: unknown key %s", k.Line, key))
			continue
		}
		switch {
		case v.Kind == yaml.MappingNode:
			errs = append(errs, a.walk(v, key+".", byKey, sections))
		case v.Tag != "!!null":
			errs = append(errs, fmt.Errorf("line %d: %s is a section: want keys below it", v.Line, key))
		}
	}
	return errors.Join(errs...)
}

// apply sets one setting from a YAML value; null keeps the default.
func (a *app) apply(s setting, v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return errors.New("want a single value")
	}
	if v.Tag == "!!null" {
		return nil
	}
	val, err := a.expand(v.Value)
	if err != nil {
		return err
	}
	return s.val.Set(val)
}

var varRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces ${VAR} with the variable's value; an unset (or empty)
// variable is an error.
func (a *app) expand(s string) (string, error) {
	var missing []string
	out := varRef.ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[2 : len(ref)-1]
		v := a.env(name)
		if v == "" {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("environment variable %s is not set", strings.Join(missing, ", "))
	}
	return out, nil
}
