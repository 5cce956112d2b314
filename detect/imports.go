package detect

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/activedefense/activedefense/schema"
)

// importLine is one parsed line: an address or CIDR, and for CSV input a
// reason and a date.
type importLine struct {
	n      int
	text   string
	prefix netip.Prefix
	reason string
	date   time.Time
}

const maxImportLines = 1_000_000

// parseImport reads one address or CIDR per line (the old system's
// blacklist.txt), or CSV rows of address, reason and date; '#' starts a
// comment, a CSV header row is skipped.
func parseImport(r io.Reader, rep *schema.ImportReport) ([]importLine, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	var out []importLine
	for n := 1; sc.Scan(); n++ {
		if n > maxImportLines {
			return nil, schema.Invalid("file", "more than %d lines", maxImportLines)
		}
		raw := sc.Text()
		line := strings.TrimSpace(raw)
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		l := importLine{n: n, text: clipText(raw)}
		fields := []string{line}
		if strings.ContainsAny(line, ",;") {
			cr := csv.NewReader(strings.NewReader(line))
			cr.Comma = ','
			if strings.Contains(line, ";") && !strings.Contains(line, ",") {
				cr.Comma = ';'
			}
			cr.LazyQuotes = true
			rec, err := cr.Read()
			if err != nil {
				rep.Skipped = append(rep.Skipped, schema.ImportSkip{Line: n, Text: l.text, Why: "not a CSV row: " + err.Error()})
				continue
			}
			fields = rec
		} else {
			fields = strings.Fields(line)[:1]
		}
		addr := strings.TrimSpace(fields[0])
		p, err := schema.ParsePrefix(addr)
		if err != nil {
			if n == 1 && len(fields) > 1 && strings.ContainsAny(strings.ToLower(addr), "abcdefghijklmnopqrstuvwxyz") && !strings.Contains(addr, ":") {
				continue // a header row
			}
			rep.Skipped = append(rep.Skipped, schema.ImportSkip{Line: n, Text: l.text, Why: "malformed: not an address or CIDR"})
			continue
		}
		l.prefix = p
		if len(fields) > 1 {
			l.reason = strings.TrimSpace(fields[1])
		}
		if len(fields) > 2 && strings.TrimSpace(fields[2]) != "" {
			t, err := parseDate(strings.TrimSpace(fields[2]))
			if err != nil {
				rep.Skipped = append(rep.Skipped, schema.ImportSkip{Line: n, Text: l.text, Why: "malformed date " + fmt.Sprintf("%q", clipText(fields[2]))})
				continue
			}
			l.date = t
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, schema.Invalid("file", "reading: %v", err)
	}
	return out, nil
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02", "2006/01/02 15:04:05", "2006/01/02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unknown date format")
}

func clipText(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// ImportBlacklist lists the addresses of an old system's blacklist.
// Addresses that are not globally routable, are on the never-block list or
// are malformed are reported line by line and skipped; addresses already
// listed are left as they are, so a re-run changes nothing.
func (s *Service) ImportBlacklist(ctx context.Context, actor schema.Actor, r io.Reader, reason string) (schema.ImportReport, error) {
	var rep schema.ImportReport
	lines, err := parseImport(r, &rep)
	if err != nil {
		return rep, err
	}
	s.runMu.Lock()
	defer s.runMu.Unlock()
	v := s.set.Values()
	pr, err := s.protection(ctx, v)
	if err != nil {
		return rep, err
	}
	current, err := schema.ListBlacklist(ctx, s.st, schema.BlacklistFilter{})
	if err != nil {
		return rep, err
	}
	byIP := map[netip.Addr]*schema.BlacklistEntry{}
	for i := range current {
		byIP[current[i].IP.Unmap()] = &current[i]
	}
	now := s.now()
	var add []schema.BlacklistEntry
	var evs []schema.AuditEvent
	seen := map[netip.Addr]bool{}
	for _, l := range lines {
		skip := func(why string) {
			rep.Skipped = append(rep.Skipped, schema.ImportSkip{Line: l.n, Text: l.text, Why: why})
		}
		if !l.prefix.IsSingleIP() {
			skip("a network: the blacklist holds addresses; serve networks as a feed (activedefense feed add NAME FILE)")
			continue
		}
		a := l.prefix.Addr()
		if ok, why := Routable(a); !ok {
			skip(why)
			continue
		}
		if why := pr.why(a); why != "" {
			skip(why)
			continue
		}
		prev := byIP[a]
		if seen[a] || (prev != nil && slices.Contains(activeStates, prev.State)) {
			rep.Already++
			continue
		}
		seen[a] = true
		e := newListing(v, prev, a, now)
		if !l.date.IsZero() && l.date.Before(now) {
			e.LastActivity, e.Expires = l.date, expiry(l.date, e.ReleaseMonths)
			if !e.Expires.After(now) {
				skip("last seen " + l.date.Format(time.DateOnly) + ", longer ago than its release window")
				continue
			}
		}
		note := strings.TrimSpace(reason)
		if l.reason != "" {
			note = l.reason
		}
		if note == "" {
			note = "imported"
		}
		e.State, e.Reason, e.Category, e.Severity, e.Source = schema.StateActive, schema.ReasonManual, schema.CategoryManual, 5, "import:"+actor.Name
		e.Evidence = schema.Evidence{Case: schema.CaseManual, Note: clipText(note), FirstSeen: e.LastActivity, LastSeen: e.LastActivity}
		add = append(add, e)
		evs = append(evs, actor.Event(schema.AuditAdd, "blacklist "+a.String(), "imported: "+clipText(note)))
	}
	rep.Added = len(add)
	if len(add) == 0 {
		return rep, nil
	}
	return rep, s.saveListings(ctx, add, evs)
}

// ImportAllowlist adds the addresses and networks of a file (one per line,
// or CSV with a note in the second column); existing entries are left as
// they are.
func (s *Service) ImportAllowlist(ctx context.Context, actor schema.Actor, r io.Reader) (schema.ImportReport, error) {
	var rep schema.ImportReport
	lines, err := parseImport(r, &rep)
	if err != nil {
		return rep, err
	}
	cur, err := schema.ListAllowlist(ctx, s.st)
	if err != nil {
		return rep, err
	}
	have := map[string]bool{}
	for _, e := range cur {
		have[e.CIDR] = true
	}
	var add []schema.AllowAdd
	for _, l := range lines {
		key := schema.PrefixString(l.prefix)
		if have[key] {
			rep.Already++
			continue
		}
		have[key] = true
		add = append(add, schema.AllowAdd{CIDR: key, Note: clipText(l.reason)})
	}
	for _, a := range add {
		if _, err := s.AddAllowlist(ctx, actor, a); err != nil {
			return rep, err
		}
		rep.Added++
	}
	return rep, nil
}
