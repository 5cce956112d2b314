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
		var fields []string
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
	var nets []netip.Prefix
	seen := map[netip.Addr]bool{}
	for _, l := range lines {
		skip := func(why string) {
			rep.Skipped = append(rep.Skipped, schema.ImportSkip{Line: l.n, Text: l.text, Why: why})
		}
		if !l.prefix.IsSingleIP() {
			if ok, why := PrefixRoutable(l.prefix); !ok {
				skip(why)
			} else if len(subtractPrefixes(l.prefix, pr.overlapping(l.prefix))) == 0 {
				skip("inside the never-block list")
			} else {
				nets = append(nets, l.prefix) // served split around anything protected inside it
			}
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
		if !l.date.IsZero() && l.date.Before(now) && prev == nil {
			e.FirstListed = l.date // when the old system listed it; its release window starts now
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
	slices.SortFunc(rep.Skipped, func(a, b schema.ImportSkip) int { return a.Line - b.Line })
	rep.Added = len(add)
	added, err := s.importNetworks(ctx, actor, nets)
	if err != nil {
		return rep, err
	}
	rep.Added += added
	rep.Already += len(nets) - added
	if len(add) == 0 {
		if added > 0 {
			s.lists.Notify()
		}
		return rep, nil
	}
	return rep, s.saveListings(ctx, add, evs)
}

// ImportedFeed is the list that holds the networks imported with the
// blacklist (the blacklist itself holds addresses).
const ImportedFeed = "imported"

// importNetworks adds networks to the imported list and returns how many
// were new.
func (s *Service) importNetworks(ctx context.Context, actor schema.Actor, nets []netip.Prefix) (int, error) {
	if len(nets) == 0 {
		return 0, nil
	}
	states, err := schema.ListFeedStates(ctx, s.st, true)
	if err != nil {
		return 0, err
	}
	st := states[ImportedFeed]
	have := map[string]bool{}
	for _, e := range st.Entries {
		have[e] = true
	}
	added := 0
	for _, p := range nets {
		if k := schema.PrefixString(p); !have[k] {
			have[k] = true
			st.Entries = append(st.Entries, k)
			added++
		}
	}
	if added == 0 {
		return 0, nil
	}
	fs, err := schema.ListFeeds(ctx, s.st)
	if err != nil {
		return 0, err
	}
	if !slices.ContainsFunc(fs, func(f schema.Feed) bool { return f.Name == ImportedFeed }) {
		if err := schema.PutFeed(ctx, s.st, schema.Feed{Name: ImportedFeed, CreatedBy: actor.Name, Created: s.now()}, false); err != nil {
			return 0, err
		}
	}
	slices.Sort(st.Entries)
	st.Name, st.LastAttempt, st.LastOK, st.LastError = ImportedFeed, s.now(), s.now(), ""
	if err := schema.PutFeedState(ctx, s.st, st); err != nil {
		return 0, err
	}
	return added, schema.PutAudit(ctx, s.st, actor.Event(schema.AuditAdd, "feed "+ImportedFeed, fmt.Sprintf("%d networks imported", added)))
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
