package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/activedefense/activedefense/schema"
	"github.com/activedefense/activedefense/web/api"
	"github.com/activedefense/activedefense/web/edl"
)

func pathEscape(s string) string { return url.PathEscape(s) }

func sortStrings(s []string) { sort.Strings(s) }

func cmdDetect(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("detect")
	dry := fs.Bool("dry-run", false, "backtest over stored history; change nothing")
	since := fs.String("since", "7d", "dry run: how far back (e.g. 7d, 24h)")
	var sets listFlag
	fs.Var(&sets, "set", "dry run: KEY=VALUE setting to try (repeatable)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(pos, 0, "no arguments"); err != nil {
		return err
	}
	if !*dry && len(sets) > 0 {
		return fmt.Errorf("%w: --set needs --dry-run (use `settings set` to change a setting)", errUsage)
	}
	overrides := map[string]string{}
	for _, s := range sets {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("%w: --set wants KEY=VALUE, got %q", errUsage, s)
		}
		overrides[strings.TrimSpace(k)] = v
	}
	return withClient(ctx, a, func(c *client) error {
		if *dry {
			var bt schema.Backtest
			if err := c.do(ctx, http.MethodPost, "/detect/backtest", api.BacktestRequest{Since: *since, Set: overrides}, &bt); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(a.io.out, bt)
			}
			printBacktest(a.io.out, bt)
			return nil
		}
		var res schema.RunResult
		if err := c.do(ctx, http.MethodPost, "/detect/run", nil, &res); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(a.io.out, res)
		}
		fmt.Fprintf(a.io.out, "run %s: %d found, %d blocked, %d held, %d monitored, %d suppressed, %d refreshed in %s\n",
			res.ID, res.Found, res.Blocked, res.Held, res.Monitored, res.Suppressed, res.Refreshed,
			res.Finished.Sub(res.Started).Round(time.Millisecond))
		for _, e := range res.NewEntries {
			fmt.Fprintf(a.io.out, "%s\t%s\t%s\n", e.IP, e.Reason, e.Evidence.Summary())
		}
		return nil
	})
}

func printBacktest(w io.Writer, bt schema.Backtest) {
	fmt.Fprintf(w, "backtest %s – %s\n", when(bt.From), when(bt.To))
	if len(bt.Items) == 0 {
		fmt.Fprintln(w, "nothing would be listed")
		return
	}
	kase := ""
	for _, it := range bt.Items {
		if it.Case != kase {
			kase = it.Case
			fmt.Fprintf(w, "\n%s:\n", it.Reason)
		}
		why := it.Verdict
		if it.Why != "" {
			why += " (" + it.Why + ")"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", it.IP, why, it.Summary)
	}
}

func cmdBlacklist(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("blacklist")
	reason := fs.String("reason", "", "add, import: why")
	permanent := fs.Bool("permanent", false, "add: never release")
	state := fs.String("state", "", "list: active (default), monitored, held, released, discarded, or a comma list")
	asJSON := fs.Bool("json", false, "list: print JSON")
	noFeeds := fs.Bool("no-feeds", false, "list: leave out the feeds' entries")
	op, pos, err := a.sub(fs, args, map[string]int{"list": 0, "add": 1, "remove": 1, "expire": 0, "import": 1})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "list":
			var es []schema.BlacklistEntry
			q := ""
			if *state != "" {
				q = "?state=" + url.QueryEscape(*state)
			}
			if err := c.do(ctx, http.MethodGet, "/blacklist"+q, nil, &es); err != nil {
				return err
			}
			if *asJSON {
				return printJSON(a.io.out, es)
			}
			for _, e := range es {
				printEntry(a.io.out, e)
			}
			if *noFeeds || (*state != "" && *state != schema.StateActive) {
				return nil
			}
			var feeds map[string][]string
			if err := c.do(ctx, http.MethodGet, "/feeds/entries", nil, &feeds); err != nil {
				return err
			}
			names := make([]string, 0, len(feeds))
			for n := range feeds {
				names = append(names, n)
			}
			sortStrings(names)
			for _, n := range names {
				for _, p := range feeds[n] {
					fmt.Fprintf(a.io.out, "%s\t%s\tsource feed:%s\n", p, n, n)
				}
			}
		case "add":
			var e schema.BlacklistEntry
			if err := c.do(ctx, http.MethodPost, "/blacklist", schema.BlacklistAdd{IP: pos[0], Reason: *reason, Permanent: *permanent}, &e); err != nil {
				return err
			}
			printEntry(a.io.out, e)
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/blacklist/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "%s released\n", pos[0])
		case "expire":
			var res struct {
				Released []schema.BlacklistEntry `json:"released"`
			}
			if err := c.do(ctx, http.MethodPost, "/blacklist/expire", nil, &res); err != nil {
				return err
			}
			for _, e := range res.Released {
				fmt.Fprintf(a.io.out, "%s\treleased\t%s\n", e.IP, e.ReleaseReason)
			}
			fmt.Fprintf(a.io.out, "%d entries released\n", len(res.Released))
		case "import":
			return importList(ctx, a, c, "/blacklist/import?reason="+url.QueryEscape(*reason), pos[0])
		}
		return nil
	})
}

// printEntry prints one blacklist entry on one line, the address first.
func printEntry(w io.Writer, e schema.BlacklistEntry) {
	expires := "never"
	if !e.Permanent && !e.Expires.IsZero() {
		expires = when(e.Expires)
	}
	reason := e.Reason
	if e.State != schema.StateActive {
		reason += " (" + e.State + ")"
	}
	released := ""
	if !e.Released.IsZero() && (e.State == schema.StateReleased || e.State == schema.StateDiscarded) {
		released = fmt.Sprintf("\treleased %s by %s: %s", when(e.Released), e.ReleasedBy, e.ReleaseReason)
	}
	fmt.Fprintf(w, "%s\t%s\tcreated %s\tlast activity %s\texpires %s\trelease window %d month(s)\treturns %d\tsource %s\t%s%s\n",
		e.IP, reason, when(e.Created), when(e.LastActivity), expires, e.ReleaseMonths, e.Returns, e.Source, e.Evidence.Summary(), released)
}

// importList sends a file to an import endpoint and prints the report.
func importList(ctx context.Context, a *app, c *client, path, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	defer f.Close()
	var rep schema.ImportReport
	if err := c.do(ctx, http.MethodPost, path, f, &rep); err != nil {
		return err
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(a.io.out, "line %d: skipped %q: %s\n", s.Line, s.Text, s.Why)
	}
	fmt.Fprintf(a.io.out, "%d added, %d already there, %d skipped\n", rep.Added, rep.Already, len(rep.Skipped))
	return nil
}

func cmdAllowlist(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("allowlist")
	note := fs.String("note", "", "add: why")
	op, pos, err := a.sub(fs, args, map[string]int{"list": 0, "add": 1, "remove": 1, "import": 1})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "list":
			var es []schema.AllowEntry
			if err := c.do(ctx, http.MethodGet, "/allowlist", nil, &es); err != nil {
				return err
			}
			for _, e := range es {
				fmt.Fprintf(a.io.out, "%s\t%s\tby %s\t%s\n", e.CIDR, e.Note, e.CreatedBy, when(e.Created))
			}
		case "add":
			var e schema.AllowEntry
			if err := c.do(ctx, http.MethodPost, "/allowlist", schema.AllowAdd{CIDR: pos[0], Note: *note}, &e); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "%s allow-listed\n", e.CIDR)
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/allowlist?cidr="+url.QueryEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "%s removed from the allowlist\n", pos[0])
		case "import":
			return importList(ctx, a, c, "/allowlist/import", pos[0])
		}
		return nil
	})
}

func cmdDetections(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("detections")
	since := fs.String("since", "", "list: how far back (e.g. 24h, 7d)")
	action := fs.String("action", "", "list: blocked, refreshed, monitored, suppressed, held, approved or discarded")
	all := fs.Bool("all", false, "approve, discard: every held source")
	asJSON := fs.Bool("json", false, "list: print JSON")
	op, pos, err := a.sub(fs, args, map[string]int{"list": 0, "approve": -1, "discard": -1})
	if err != nil {
		return err
	}
	if op != "list" && (len(pos) == 1) == *all {
		return fmt.Errorf("%w: %s wants one ADDRESS or --all", errUsage, op)
	}
	return withClient(ctx, a, func(c *client) error {
		if op != "list" {
			req := api.HeldDecision{All: *all}
			if len(pos) == 1 {
				req.IP = pos[0]
			}
			var es []schema.BlacklistEntry
			if err := c.do(ctx, http.MethodPost, "/detections/"+op, req, &es); err != nil {
				return err
			}
			done := map[string]string{"approve": "approved", "discard": "discarded"}[op]
			for _, e := range es {
				fmt.Fprintf(a.io.out, "%s\t%s\n", e.IP, done)
			}
			fmt.Fprintf(a.io.out, "%d %s\n", len(es), done)
			return nil
		}
		q := url.Values{}
		if *since != "" {
			q.Set("since", *since)
		}
		if *action != "" {
			q.Set("action", *action)
		}
		var ds []schema.Detection
		if err := c.do(ctx, http.MethodGet, "/detections?"+q.Encode(), nil, &ds); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(a.io.out, ds)
		}
		for _, d := range ds {
			why := d.Why
			if why == "" {
				why = "-"
			}
			fmt.Fprintf(a.io.out, "%s\t%s\t%s\t%s\t%s\t%s\n", d.IP, d.Action, d.Reason, when(d.TS), why, d.Evidence.Summary())
		}
		return nil
	})
}

func cmdFeed(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("feed")
	interval := fs.String("interval", "", "add: refresh interval (default 1h)")
	op, pos, err := a.sub(fs, args, map[string]int{"list": 0, "add": 2, "remove": 1, "refresh": 0})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		var fs []schema.FeedStatus
		switch op {
		case "add":
			src := pos[1]
			if !strings.Contains(src, "://") {
				abs, err := absPath(src)
				if err != nil {
					return err
				}
				src = abs
			}
			var f schema.FeedStatus
			if err := c.do(ctx, http.MethodPost, "/feeds", schema.FeedAdd{Name: pos[0], URL: src, Interval: *interval}, &f); err != nil {
				return err
			}
			fs = []schema.FeedStatus{f}
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/feeds/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "feed %s removed\n", pos[0])
			return nil
		case "refresh":
			if err := c.do(ctx, http.MethodPost, "/feeds/refresh", nil, &fs); err != nil {
				return err
			}
		case "list":
			if err := c.do(ctx, http.MethodGet, "/feeds", nil, &fs); err != nil {
				return err
			}
		}
		for _, f := range fs {
			status := "ok"
			if f.State.LastError != "" {
				status = "failing (keeping the last good copy): " + f.State.LastError
			}
			src, every := f.URL, "every "+f.Interval.String()
			if src == "" {
				src, every = "(networks from blacklist import)", "-"
			}
			fmt.Fprintf(a.io.out, "%s\t%s\t%s\t%d entries\t%d skipped\tlast ok %s\t%s\n",
				f.Name, src, every, f.State.Count, f.State.Skipped, when(f.State.LastOK), status)
		}
		return nil
	})
}

func cmdSettings(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("settings")
	asJSON := fs.Bool("json", false, "show: print JSON")
	op, pos, err := a.sub(fs, args, map[string]int{"show": 0, "set": 2})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		if op == "set" {
			var res struct {
				Changed []string `json:"changed"`
			}
			if err := c.do(ctx, http.MethodPatch, "/settings", map[string]string{pos[0]: pos[1]}, &res); err != nil {
				return err
			}
			if len(res.Changed) == 0 {
				fmt.Fprintf(a.io.out, "%s unchanged\n", pos[0])
			} else {
				fmt.Fprintf(a.io.out, "%s set\n", strings.Join(res.Changed, ", "))
			}
			return nil
		}
		var ss []api.Setting
		if err := c.do(ctx, http.MethodGet, "/settings", nil, &ss); err != nil {
			return err
		}
		if *asJSON {
			return printJSON(a.io.out, ss)
		}
		tw := tabwriter.NewWriter(a.io.out, 0, 4, 2, ' ', 0)
		for _, s := range ss {
			v := s.Value
			if v == "" {
				v = `""`
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Key, v, s.Help)
		}
		return tw.Flush()
	})
}

func cmdAudit(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("audit")
	since := fs.String("since", "", "how far back (e.g. 24h, 7d)")
	_, _, err := a.sub(fs, args, map[string]int{"list": 0})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		q := ""
		if *since != "" {
			q = "?since=" + url.QueryEscape(*since)
		}
		var evs []schema.AuditEvent
		if err := c.do(ctx, http.MethodGet, "/audit"+q, nil, &evs); err != nil {
			return err
		}
		for _, e := range evs {
			fmt.Fprintf(a.io.out, "%s\t%s\t%s\t%s\t%s\n", e.TS.UTC().Format(time.RFC3339), e.Actor, e.Action, e.Object, e.Detail)
		}
		return nil
	})
}

func cmdRecipient(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("recipient")
	op, pos, err := a.sub(fs, args, map[string]int{"list": 0, "add": 1, "remove": 1})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "add":
			if err := c.do(ctx, http.MethodPost, "/recipients", map[string]string{"email": pos[0]}, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "%s added\n", pos[0])
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/recipients/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "%s removed\n", pos[0])
		case "list":
			var rs []string
			if err := c.do(ctx, http.MethodGet, "/recipients", nil, &rs); err != nil {
				return err
			}
			for _, r := range rs {
				fmt.Fprintln(a.io.out, r)
			}
		}
		return nil
	})
}

func cmdWebhook(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("webhook")
	secret := fs.String("secret", "", "add: HMAC-SHA256 key for the X-ActiveDefense-Signature header")
	op, pos, err := a.sub(fs, args, map[string]int{"list": 0, "add": 2, "remove": 1})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		switch op {
		case "add":
			if err := c.do(ctx, http.MethodPost, "/webhooks", schema.WebhookAdd{Name: pos[0], URL: pos[1], Secret: *secret}, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "webhook %s added\n", pos[0])
		case "remove":
			if err := c.do(ctx, http.MethodDelete, "/webhooks/"+pathEscape(pos[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(a.io.out, "webhook %s removed\n", pos[0])
		case "list":
			var ws []schema.Webhook
			if err := c.do(ctx, http.MethodGet, "/webhooks", nil, &ws); err != nil {
				return err
			}
			for _, w := range ws {
				fmt.Fprintf(a.io.out, "%s\t%s\tsigned=%t\n", w.Name, w.URL, w.HasKey)
			}
		}
		return nil
	})
}

func cmdNotify(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("notify")
	if _, _, err := a.sub(fs, args, map[string]int{"test-email": 0}); err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		if err := c.do(ctx, http.MethodPost, "/notify/test-email", nil, nil); err != nil {
			return err
		}
		fmt.Fprintln(a.io.out, "test e-mail sent")
		return nil
	})
}

func cmdEDL(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("edl")
	op, _, err := a.sub(fs, args, map[string]int{"list": 0, "clients": 0})
	if err != nil {
		return err
	}
	return withClient(ctx, a, func(c *client) error {
		if op == "list" {
			var ls []edl.ListInfo
			if err := c.do(ctx, http.MethodGet, "/edl", nil, &ls); err != nil {
				return err
			}
			for _, l := range ls {
				warn := ""
				if l.Dropped > 0 {
					warn = fmt.Sprintf("\t%d left out by edl.max_entries", l.Dropped)
				}
				fmt.Fprintf(a.io.out, "%s\t%d entries\tmodified %s%s\n", l.Path, l.Entries, when(l.Modified), warn)
			}
			return nil
		}
		var cs []schema.EDLClient
		if err := c.do(ctx, http.MethodGet, "/edl/clients", nil, &cs); err != nil {
			return err
		}
		for _, cl := range cs {
			stale := ""
			if cl.Stale {
				stale = "\tSTOPPED POLLING"
			}
			fmt.Fprintf(a.io.out, "%s\t%s\t%s\tlast pulled %s ago\t%d polls\t%d entries\tauth %s\t%d%s\n", cl.Client, cl.Device, cl.List,
				time.Since(cl.LastPoll).Truncate(time.Second), cl.Polls, cl.Entries, cl.Auth, cl.Status, stale)
		}
		return nil
	})
}
