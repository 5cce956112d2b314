package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
)

type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// globals are the settings every command takes (config.go lists them with
// serve's, their flags, environment variables and file keys).
type globals struct {
	dataDir     string
	dsn         string
	cluster     string
	chdbLib     string
	logLevel    string
	logFormat   string
	keyFile     string
	memoryLimit int64
}

type app struct {
	g          globals
	srv        serveFlags
	io         stdio
	log        *logrus.Logger
	env        func(string) string
	logDir     string            // serve: device and feed files added over the network must lie under it
	configPath string            // --config
	pre        map[string]string // global flags given before the command
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
		{"demo", "demo [--duration D] [--file PATH]         a simulated firewall with attacks, to see the product work", cmdDemo},
		{"backup", "backup FILE [--base EARLIER-FILE]           back the embedded store up into FILE (.tar, .tar.gz, .tar.zst)", cmdBackup},
		{"restore", "restore FILE                               restore a backup into an empty data dir", cmdRestore},
		{"migrate", "migrate                                    apply schema migrations", cmdMigrate},
		{"version", "version                                    print the version", cmdVersion},
	}
}

// errUsage marks a usage error (exit status 2).
var errUsage = errors.New("usage error")

func run(ctx context.Context, args []string, env func(string) string, s stdio) int {
	a := &app{io: s, env: env, log: logrus.New()}
	a.log.SetOutput(s.err)
	args, err := a.parseGlobals(args)
	if errors.Is(err, flag.ErrHelp) || err == nil && (len(args) == 0 || args[0] == "help") {
		a.usage(s.out)
		return 0
	}
	if err != nil {
		fmt.Fprintf(s.err, "activedefense: %v\n\n", err)
		a.usage(s.err)
		return 2
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

// parseGlobals parses the global flags before the command and returns the
// rest of the line, the command first.
func (a *app) parseGlobals(args []string) ([]string, error) {
	fs := flag.NewFlagSet("activedefense", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	a.register(fs, false)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%v (before the command only the global flags are allowed)", dashes(err))
	}
	a.pre = a.given(fs)
	return fs.Args(), nil
}

func (a *app) usage(w io.Writer) {
	fmt.Fprintln(w, "usage: activedefense COMMAND [ARGS] [FLAGS]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s\n", c.usage)
	}
	fmt.Fprintln(w, "\nglobal flags, before or after the command (flag > environment > config file > default):")
	fmt.Fprintf(w, "  %-28s %s\n", "--config FILE", "YAML configuration file ("+configEnv+"; deploy/activedefense.yaml documents every key)")
	for _, st := range a.settings() {
		if !st.serve {
			def := ""
			if st.def != "" {
				def = ", default " + st.def
			}
			fmt.Fprintf(w, "  %-28s %s (%s, key %s%s)\n", "--"+st.flag, st.usage, envName(st.flag), st.key, def)
		}
	}
	fmt.Fprintln(w, "\nserve's flags: activedefense serve --help")
}

// flagSet returns a FlagSet for one subcommand with the global flags added.
func (a *app) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(a.io.err)
	a.register(fs, name == "serve")
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
			return nil, fmt.Errorf("%w: %v", errUsage, dashes(err))
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
	if err := a.resolve(fs); err != nil {
		return nil, err
	}
	return pos, a.configureLog()
}

// configureLog sets the level and the format: "auto" is text on a
// terminal and JSON elsewhere (a service's journal, a log shipper).
func (a *app) configureLog() error {
	lvl, err := logrus.ParseLevel(a.g.logLevel)
	if err != nil {
		return fmt.Errorf("%w: --log-level: %v", errUsage, err)
	}
	a.log.SetLevel(lvl)
	tty := isTerminal(a.io.err)
	format := a.g.logFormat
	if format == "auto" || format == "" {
		format = map[bool]string{true: "text", false: "json"}[tty]
	}
	switch format {
	case "json":
		a.log.SetFormatter(&logrus.JSONFormatter{TimestampFormat: time.RFC3339Nano})
	case "text":
		a.log.SetFormatter(&logrus.TextFormatter{FullTimestamp: true, DisableColors: !tty})
	default:
		return fmt.Errorf("%w: --log-format must be auto, text or json", errUsage)
	}
	return nil
}

// dashes spells the flags in a flag package error as the usage does:
// --name, not -name.
func dashes(err error) string {
	return flagName.ReplaceAllString(err.Error(), "$1 --$2")
}

var flagName = regexp.MustCompile(`(flag|defined:) -([a-z])`)

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
