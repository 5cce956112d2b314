package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// globals are the flags every subcommand accepts, each with an AD_* env
// fallback (flag > env > default).
type globals struct {
	dataDir   string
	dsn       string
	cluster   string
	chdbLib   string
	logLevel  string
	logFormat string
}

type app struct {
	g   globals
	io  stdio
	log *logrus.Logger
	env func(string) string
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, a *app, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve [--listen ADDR] [--insecure-http]   run the service", cmdServe},
		{"sql", "sql QUERY [--header]                      run one ClickHouse SQL statement, print TSV", cmdSQL},
		{"user", "user add NAME [--role admin|viewer]       add a web user (password on stdin)", cmdUser},
		{"device", "device add NAME PATH [--timezone Area/City] | list | remove NAME", cmdDevice},
		{"import", "import FILE --device NAME [--timezone Z] one-shot backfill of a log file", cmdImport},
		{"migrate", "migrate                                   apply schema migrations", cmdMigrate},
		{"version", "version                                   print the version", cmdVersion},
	}
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage error")

func run(ctx context.Context, args []string, env func(string) string, s stdio) int {
	a := &app{io: s, env: env, log: logrus.New()}
	a.log.SetOutput(s.err)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		a.usage(s.out)
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, a, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			fmt.Fprintf(s.err, "activedefense %s: %v\nusage: activedefense %s\n", c.name, err, c.usage)
			return 2
		default:
			fmt.Fprintf(s.err, "activedefense %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(s.err, "activedefense: unknown command %q\n\n", args[0])
	a.usage(s.err)
	return 2
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: activedefense COMMAND [ARGS] [FLAGS]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\n", c.usage)
	}
	fmt.Fprintln(w, `
global flags (also read from the environment):
  --data-dir DIR              embedded data directory (AD_DATA_DIR, default ./data)
  --clickhouse-dsn DSN        use a ClickHouse server, e.g. clickhouse://user:pass@host:9000/activedefense (AD_CLICKHOUSE_DSN)
  --clickhouse-cluster NAME   cluster for ON CLUSTER / Replicated / Distributed DDL (AD_CLICKHOUSE_CLUSTER)
  --chdb-lib PATH             libchdb.so of the embedded engine (AD_CHDB_LIB)
  --log-level LEVEL           debug, info, warn, error (AD_LOG_LEVEL, default info)
  --log-format FORMAT         text or json (AD_LOG_FORMAT, default text)`)
}

// flagSet returns a FlagSet for one subcommand with the global flags added.
func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.io.err)
	def := func(key, d string) string {
		if v := a.env(key); v != "" {
			return v
		}
		return d
	}
	fs.StringVar(&a.g.dataDir, "data-dir", def("AD_DATA_DIR", "data"), "embedded data directory")
	fs.StringVar(&a.g.dsn, "clickhouse-dsn", def("AD_CLICKHOUSE_DSN", ""), "ClickHouse server DSN")
	fs.StringVar(&a.g.cluster, "clickhouse-cluster", def("AD_CLICKHOUSE_CLUSTER", ""), "ClickHouse cluster name")
	fs.StringVar(&a.g.chdbLib, "chdb-lib", def("AD_CHDB_LIB", ""), "path of libchdb.so")
	fs.StringVar(&a.g.logLevel, "log-level", def("AD_LOG_LEVEL", "info"), "log level")
	fs.StringVar(&a.g.logFormat, "log-format", def("AD_LOG_FORMAT", "text"), "log format: text or json")
	return fs
}

// parse parses flags that may appear before, between or after positional
// arguments, and configures logging. "--" ends flag parsing.
func (a *app) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
	return pos, a.configureLog()
}

func (a *app) configureLog() error {
	lvl, err := logrus.ParseLevel(a.g.logLevel)
	if err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	a.log.SetLevel(lvl)
	switch a.g.logFormat {
	case "json":
		a.log.SetFormatter(&logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano})
	case "text", "":
		a.log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: !isTerminal(a.io.err)})
	default:
		return fmt.Errorf("%w: --log-format must be text or json", errUsage)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// wantArgs checks the number of positional arguments.
func wantArgs(pos []string, n int, what string) error {
	if len(pos) != n {
		return fmt.Errorf("%w: want %s, got %d argument(s): %s", errUsage, what, len(pos), strings.Join(pos, " "))
	}
	return nil
}
