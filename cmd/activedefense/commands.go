package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/activedefense/activedefense/schema"
)

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
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	return b.SQL(ctx, sqlRequest{Query: pos[0], Header: *header}, a.io.out)
}

func cmdMigrate(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("migrate")
	retention := fs.Int("retention-days", 0, "days of firewall logs to keep (0: leave as is; 90 on a new schema)")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return err
	}
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	res, err := b.Migrate(ctx, migrateRequest{RetentionDays: *retention})
	if err != nil {
		return err
	}
	fmt.Fprintf(a.io.out, "schema at version %d\n", res.Current)
	return nil
}

func cmdUser(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("user")
	role := fs.String("role", schema.RoleViewer, "role: admin or viewer")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "add" {
		return fmt.Errorf("%w: want: user add NAME", errUsage)
	}
	u := schema.User{Name: pos[1], Role: *role}
	if !schema.ValidName(u.Name) || !schema.ValidRole(u.Role) {
		return fmt.Errorf("%w: invalid name %q or role %q (roles: admin, viewer)", errUsage, u.Name, u.Role)
	}
	pw, err := readPassword(a.io)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), 12)
	if err != nil {
		return fmt.Errorf("hashing password: %w", err)
	}
	u.PasswordHash = string(hash)
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := b.AddUser(ctx, u); err != nil {
		return err
	}
	fmt.Fprintf(a.io.out, "user %s added (role %s)\n", u.Name, u.Role)
	return nil
}

// minPasswordLen is the shortest password accepted.
const minPasswordLen = 8

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
	if len(pw) < minPasswordLen {
		return "", fmt.Errorf("%w: the password (first line of stdin) must have at least %d characters", errUsage, minPasswordLen)
	}
	if len(pw) > 72 {
		return "", fmt.Errorf("%w: the password must have at most 72 bytes", errUsage)
	}
	return pw, nil
}

func cmdDevice(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("device")
	tz := fs.String("timezone", "", "IANA time zone of the firewall's timestamps (default: this server's)")
	asJSON := fs.Bool("json", false, "list: print JSON")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: want add, list or remove", errUsage)
	}
	switch {
	case pos[0] == "add" && len(pos) == 3:
		return deviceAdd(ctx, a, pos[1], pos[2], *tz)
	case pos[0] == "list" && len(pos) == 1:
		return deviceList(ctx, a, *asJSON)
	case pos[0] == "remove" && len(pos) == 2:
		return withBackend(ctx, a, func(b backend) error {
			if err := b.RemoveDevice(ctx, pos[1]); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "device %s removed\n", pos[1])
			return nil
		})
	}
	return fmt.Errorf("%w: want: device add NAME PATH | device list | device remove NAME", errUsage)
}

func withBackend(ctx context.Context, a *app, fn func(backend) error) error {
	b, err := a.backend(ctx)
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}

func deviceAdd(ctx context.Context, a *app, name, path, tz string) error {
	if !schema.ValidName(name) {
		return fmt.Errorf("%w: invalid device name %q: use 1-64 letters, digits, '.', '_', '@' or '-'", errUsage, name)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", path, err)
	}
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
			return fmt.Errorf("%w: unknown time zone %q (want an IANA name such as Europe/Berlin)", errUsage, tz)
		}
	}
	d := schema.Device{Name: name, Path: abs, Timezone: tz, Enabled: true}
	return withBackend(ctx, a, func(b backend) error {
		if err := b.AddDevice(ctx, d); err != nil {
			return err
		}
		fmt.Fprintf(a.io.out, "device %s added: %s\n", name, abs)
		return nil
	})
}

func deviceList(ctx context.Context, a *app, asJSON bool) error {
	return withBackend(ctx, a, func(b backend) error {
		devs, err := b.Devices(ctx)
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(a.io.out)
			enc.SetIndent("", "  ")
			return enc.Encode(devs)
		}
		printDevices(a.io.out, devs, time.Now())
		return nil
	})
}

func printDevices(w io.Writer, devs []deviceStatus, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tFILE\tOFFSET\tSIZE\tLINES\tREJECTS\tLAG\tTIMEZONE")
	for _, d := range devs {
		lag := "-"
		if l := d.lag(now); l >= 0 {
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
		if d.Error != "" {
			state += " (" + d.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\n", d.Name, state, d.Path, d.Offset, size, d.Lines, d.Rejected, lag, tz)
	}
	tw.Flush()
}
