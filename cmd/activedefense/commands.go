package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/api"
	"github.com/activedefense/activedefense/web/auth"
)

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// withClient runs fn with an API client.
func withClient(ctx context.Context, a *app, fn func(*client) error) error {
	c, err := a.client(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// sub parses a command with subcommands: it returns the subcommand and its
// positional arguments, checking their number.
func (a *app) sub(fs *flag.FlagSet, args []string, want map[string]int) (string, []string, error) {
	pos, err := a.parse(fs, args)
	if err != nil {
		return "", nil, err
	}
	if len(pos) == 0 {
		return "", nil, fmt.Errorf("%w: want one of: %s", errUsage, subNames(want))
	}
	n, ok := want[pos[0]]
	if !ok {
		return "", nil, fmt.Errorf("%w: unknown subcommand %q (want one of: %s)", errUsage, pos[0], subNames(want))
	}
	if n >= 0 && len(pos)-1 != n {
		return "", nil, fmt.Errorf("%w: %s takes %d argument(s), got %d", errUsage, pos[0], n, len(pos)-1)
	}
	return pos[0], pos[1:], nil
}

func subNames(want map[string]int) string {
	var out []string
	for k := range want {
		out = append(out, k)
	}
	sortStrings(out)
	return strings.Join(out, ", ")
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func cmdSQL(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("sql")
	header := fs.Bool("header", false, "print a header row with the column names")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "one QUERY"); err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		body, _ := json.Marshal(api.SQLRequest{Query: pos[0], Header: *header})
		resp, err := c.send(ctx, http.MethodPost, "/sql", "application/json", strings.NewReader(string(body)))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(a.io.out, resp.Body); err != nil {
			return err
		}
		if msg := resp.Trailer.Get(api.ErrorTrailer); msg != "" {
			return errors.New(msg)
		}
		return nil
	})
}

func cmdMigrate(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("migrate")
	retention := fs.Int("retention-days", 0, "days of firewall logs to keep (0: leave as is)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		var res schema.MigrateResult
		if err := c.do(ctx, http.MethodPost, "/migrate", api.MigrateRequest{RetentionDays: *retention}, &res); err != nil {
			return err
		}
		fmt.Fprintf(a.io.out, "schema at version %d\n", res.Current)
		return nil
	})
}

func cmdUser(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("user")
	role := fs.String("role", schema.RoleViewer, "role: admin or viewer")
	hunt := fs.Bool("hunt", false, "may use the hunting console")
	op, pos, err := a.sub(fs, args, map[string]int{"add": 1, "list": 0, "passwd": 1, "remove": 1})
	if err != nil {
		return err
	}
	if op == "add" && (!schema.ValidName(pos[0]) || !schema.ValidRole(*role)) {
		return fmt.Errorf("%w: invalid name %q or role %q (roles: admin, viewer)", errUsage, pos[0], *role)
	}
	var pw string
	if op == "add" || op == "passwd" {
		if pw, err = readPassword(a.io); err != nil {
			return err
		}
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "add":
			if err := c.do(ctx, http.MethodPost, "/users", auth.UserAdd{Name: pos[0], Role: *role, Password: pw, Hunt: *hunt}, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "user %s added (role %s)\n", pos[0], *role)
		case "passwd":
			if err := c.do(ctx, http.MethodPatch, "/users/"+pathEscape(pos[0]), auth.UserChange{Password: pw}, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "password of %s changed\n", pos[0])
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/users/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "user %s removed\n", pos[0])
		case "list":
			var us []schema.User
			if err := c.do(ctx, http.MethodGet, "/users", nil, &us); err != nil {
				return err
			}
			for _, u := range us {
				fmt.Fprintf(a.io.out, "%s\t%s\thunt=%t\tcreated=%s\n", u.Name, u.Role, u.Hunt || u.Role == schema.RoleAdmin, when(u.Created))
			}
		}
		return nil
	})
}

// readPassword reads the password from the first line of stdin.
func readPassword(s stdio) (string, error) {
	if f, ok := s.in.(*os.File); ok && isTerminal(f) {
		fmt.Fprint(s.err, "password: ")
	}
	line, err := bufio.NewReader(s.in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if len(pw) < auth.MinPassword {
		return "", fmt.Errorf("%w: the password (first line of stdin) must have at least %d characters", errUsage, auth.MinPassword)
	}
	if len(pw) > auth.MaxPassword {
		return "", fmt.Errorf("%w: the password must have at most %d bytes", errUsage, auth.MaxPassword)
	}
	return pw, nil
}

func cmdToken(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("token")
	scope := fs.String("scope", "", "read, write or hunt")
	op, pos, err := a.sub(fs, args, map[string]int{"add": 1, "list": 0, "remove": 1})
	if err != nil {
		return err
	}
	if op == "add" && !schema.ValidScope(*scope) {
		return fmt.Errorf("%w: --scope must be read, write or hunt", errUsage)
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "add":
			var t auth.NewToken
			if err := c.do(ctx, http.MethodPost, "/tokens", auth.TokenAdd{Name: pos[0], Scope: *scope}, &t); err != nil {
				return err
			}
			fmt.Fprintln(a.io.out, t.Secret)
			fmt.Fprintf(a.io.err, "token %s (scope %s) created; it is shown only now\n", t.Name, t.Scope)
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/tokens/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "token %s removed\n", pos[0])
		case "list":
			var ts []schema.Token
			if err := c.do(ctx, http.MethodGet, "/tokens", nil, &ts); err != nil {
				return err
			}
			for _, t := range ts {
				fmt.Fprintf(a.io.out, "%s\t%s\tcreated=%s\tby=%s\n", t.Name, t.Scope, when(t.Created), t.CreatedBy)
			}
		}
		return nil
	})
}

func cmdDevice(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("device")
	tz := fs.String("timezone", "", "IANA time zone of the firewall's timestamps (default: this server's)")
	var senders listFlag
	fs.Var(&senders, "sender", "syslog sender address of the firewall (repeatable)")
	asJSON := fs.Bool("json", false, "list: print JSON")
	op, pos, err := a.sub(fs, args, map[string]int{"add": 2, "list": 0, "remove": 1})
	if err != nil {
		return err
	}
	var req schema.DeviceAdd
	if op == "add" {
		if !schema.ValidName(pos[0]) {
			return fmt.Errorf("%w: invalid device name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", errUsage, pos[0])
		}
		abs, err := filepath.Abs(pos[1])
		if err != nil {
			return fmt.Errorf("resolving %s: %w", pos[1], err)
		}
		if *tz != "" {
			if _, err := time.LoadLocation(*tz); err != nil || *tz == "Local" {
				return fmt.Errorf("%w: unknown time zone %q (want an IANA name such as Europe/Berlin)", errUsage, *tz)
			}
		}
		req = schema.DeviceAdd{Name: pos[0], Path: abs, Timezone: *tz, Senders: senders}
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "add":
			if err := c.do(ctx, http.MethodPost, "/devices", req, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "device %s added: %s\n", req.Name, req.Path)
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/devices/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "device %s removed\n", pos[0])
		case "list":
			var devs []schema.DeviceStatus
			if err := c.do(ctx, http.MethodGet, "/devices", nil, &devs); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(a.io.out, devs)
			}
			printDevices(a.io.out, devs, time.Now())
		}
		return nil
	})
}

func printDevices(w io.Writer, devs []schema.DeviceStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tFILE\tOFFSET\tSIZE\tLINES\tREJECTS\tLAG\tLAST LINE\tTIMEZONE")
	for _, d := range devs {
		lag := "-"
		if l := d.Lag(now); l >= 0 {
			lag = l.String()
		}
		size := "-"
		if d.Size >= 0 {
			size = fmt.Sprint(d.Size)
		}
		tz := d.Timezone
		if tz == "" {
			tz = "(server)"
		}
		state := d.State
		if d.Silent {
			state += ",silent"
		}
		if d.Error != "" {
			state += " (" + d.Error + ")"
		}
		last := "-"
		if !d.LastLine.IsZero() {
			last = now.Sub(d.LastLine).Truncate(time.Second).String() + " ago"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\n", d.Name, state, d.Path, d.Offset, size, d.Lines, d.Rejected, lag, last, tz)
	}
	tw.Flush()
}

func cmdImport(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("import")
	var req schema.LogImport
	fs.StringVar(&req.Device, "device", "", "device name for the rows (required)")
	fs.StringVar(&req.Timezone, "timezone", "", "IANA time zone of the file's timestamps (default: the device's, else this server's)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 1, "one FILE"); err != nil {
		return err
	}
	if req.Device == "" {
		return fmt.Errorf("%w: --device NAME is required", errUsage)
	}
	if req.Path, err = filepath.Abs(pos[0]); err != nil {
		return err
	}
	if _, err := os.Stat(req.Path); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if req.Timezone != "" {
		if _, err := time.LoadLocation(req.Timezone); err != nil {
			return fmt.Errorf("%w: unknown time zone %q", errUsage, req.Timezone)
		}
	}
	return withClient(ctx, a, func(c *client) error {
		var res schema.LogImportResult
		stop := a.importProgress(c, req)
		err := c.do(ctx, http.MethodPost, "/import", req, &res)
		stop()
		if err != nil {
			return err
		}
		if res.Already {
			fmt.Fprintf(a.io.out, "%s was already imported (%d lines); nothing to do\n", req.Path, res.Lines)
			if res.Unterminated > 0 {
				fmt.Fprintf(a.io.out, "its last %d bytes have no newline and are not imported\n", res.Unterminated)
			}
			return nil
		}
		fmt.Fprintf(a.io.out, "imported %s: %d lines, %d rows, %d skipped, %d rejected in %s\n",
			req.Path, res.Lines, res.Parsed, res.Skipped, res.Rejected, res.Duration.Round(time.Millisecond))
		if res.Unterminated > 0 {
			fmt.Fprintf(a.io.out, "the last %d bytes have no newline (a line still being written?) and were not imported; import again once it is complete\n", res.Unterminated)
		}
		return nil
	})
}

func absPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("resolving %s: %w", p, err)
	}
	return abs, nil
}
