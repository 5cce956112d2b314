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
	keyFile   string
}

type app struct {
	g      globals
	io     stdio
	log    *logrus.Logger
	env    func(string) string
	logDir string // serve: device and feed files added over the network must lie under it
}

type command struct {
	name  string
	usage string
	run   func(ctx context.Context, a *app, args []string) error
}

func commands() []command {
	return []command{
		{"serve", "serve [--listen ADDR] [--insecure-http] [--log-dir DIR]   run the service", cmdServe},
		{"detect", "detect [--dry-run --since 7d [--set KEY=VALUE]...]   run detection now (or backtest)", cmdDetect},
		{"blacklist", "blacklist list [--state S] | add IP --reason TEXT [--permanent] | remove IP | expire | import FILE [--reason TEXT]", cmdBlacklist},
		{"allowlist", "allowlist list | add CIDR [--note TEXT] | remove CIDR | import FILE", cmdAllowlist},
		{"detections", "detections list [--since D] [--action A] | approve IP|--all | discard IP|--all", cmdDetections},
		{"feed", "feed list | add NAME URL-or-PATH [--interval D] | remove NAME | refresh", cmdFeed},
		{"settings", "settings show | set KEY VALUE", cmdSettings},
		{"device", "device add NAME PATH [--timezone Area/City] [--sender ADDR]... | list | remove NAME", cmdDevice},
		{"import", "import FILE --device NAME [--timezone Z]   one-shot backfill of a log file", cmdImport},
		{"user", "user add NAME [--role admin|viewer] [--hunt] | list | passwd NAME | remove NAME   (passwords on stdin)", cmdUser},
		{"token", "token add NAME --scope read|write|hunt | list | remove NAME", cmdToken},
		{"recipient", "recipient list | add EMAIL | remove EMAIL", cmdRecipient},
		{"webhook", "webhook list | add NAME URL [--secret S] | remove NAME", cmdWebhook},
		{"notify", "notify test-email                          send a test e-mail to the recipients", cmdNotify},
		{"edl", "edl list | clients                        the EDLs served and who polls them", cmdEDL},
		{"audit", "audit list [--since D]                     who or what changed what", cmdAudit},
		{"sql", "sql QUERY [--header]                       run one ClickHouse SQL statement, print TSV", cmdSQL},
		{"migrate", "migrate                                    apply schema migrations", cmdMigrate},
		{"version", "version                                    print the version", cmdVersion},
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
  --log-format FORMAT         text or json (AD_LOG_FORMAT, default text)
  --key-file PATH             key encrypting stored secrets (AD_KEY_FILE, default DATA-DIR/secret.key)`)
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
	fs.StringVar(&a.g.keyFile, "key-file", def("AD_KEY_FILE", ""), "secret key file (default DATA-DIR/secret.key)")
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
