package panos

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current output")

// goldenLocation and goldenNow fix the device zone and clock for the golden file.
var (
	goldenLocation = mustLoadLocation("America/New_York")
	goldenNow      = time.Date(2026, time.January, 10, 12, 0, 0, 0, time.UTC)
)

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("loading time zone " + name + ": " + err.Error())
	}
	return loc
}

// goldenOptions returns the Options used by the golden test and the benchmarks.
func goldenOptions() Options {
	return Options{Location: goldenLocation, Now: func() time.Time { return goldenNow }}
}

// goldenCase is one line of testdata/lines.txt with its expected outcome.
type goldenCase struct {
	Line    int           `json:"line"`
	Comment string        `json:"comment,omitempty"`
	Input   string        `json:"input"`
	Header  goldenHeader  `json:"header"`
	Result  string        `json:"result"`
	Skip    string        `json:"skip_type,omitempty"`
	Reason  string        `json:"reason,omitempty"`
	Error   string        `json:"error,omitempty"`
	Record  *goldenRecord `json:"record,omitempty"`
}

type goldenHeader struct {
	Host    string `json:"host"`
	Time    string `json:"time,omitempty"`
	Payload int    `json:"payload"`
}

// goldenRecord is Record in JSON form: times in UTC, addresses as text, empty fields omitted.
type goldenRecord struct {
	Format, Type, Subtype, Time, Generated, Host, Serial, DeviceName, Vsys string
	SrcIP, DstIP, NATSrcIP, NATDstIP                                       string
	SrcPort, DstPort, NATSrcPort, NATDstPort                               uint16 `json:",omitempty"`
	SrcCountry, DstCountry, SrcUser, DstUser, SrcZone, DstZone             string `json:",omitempty"`
	InboundIf, OutboundIf, Rule, RuleUUID, App, Proto, Action              string `json:",omitempty"`
	SessionID                                                              uint64 `json:",omitempty"`
	RepeatCount                                                            uint32 `json:",omitempty"`
	BytesSent, BytesRecv, Packets                                          uint64 `json:",omitempty"`
	ElapsedSec                                                             uint32 `json:",omitempty"`
	Category, SessionEndReason, Misc, ThreatName                           string `json:",omitempty"`
	ThreatID                                                               uint64 `json:",omitempty"`
	Severity, Direction, ThreatCategory                                    string `json:",omitempty"`
	SrcEDL, DstEDL                                                         string `json:",omitempty"`
}

func toGolden(r *Record) *goldenRecord {
	addr := func(a interface {
		IsValid() bool
		String() string
	}) string {
		if !a.IsValid() {
			return ""
		}
		return a.String()
	}
	return &goldenRecord{
		Format: r.Format.String(), Type: r.Type, Subtype: r.Subtype,
		Time: utc(r.Time), Generated: utc(r.Generated), Host: r.Host, Serial: r.Serial,
		DeviceName: r.DeviceName, Vsys: r.Vsys,
		SrcIP: addr(r.SrcIP), DstIP: addr(r.DstIP), NATSrcIP: addr(r.NATSrcIP), NATDstIP: addr(r.NATDstIP),
		SrcPort: r.SrcPort, DstPort: r.DstPort, NATSrcPort: r.NATSrcPort, NATDstPort: r.NATDstPort,
		SrcCountry: r.SrcCountry, DstCountry: r.DstCountry, SrcUser: r.SrcUser, DstUser: r.DstUser,
		SrcZone: r.SrcZone, DstZone: r.DstZone, InboundIf: r.InboundIf, OutboundIf: r.OutboundIf,
		Rule: r.Rule, RuleUUID: r.RuleUUID, App: r.App, Proto: r.Proto, Action: r.Action,
		SessionID: r.SessionID, RepeatCount: r.RepeatCount, BytesSent: r.BytesSent, BytesRecv: r.BytesRecv,
		Packets: r.Packets, ElapsedSec: r.ElapsedSec, Category: r.Category, SessionEndReason: r.SessionEndReason,
		Misc: r.Misc, ThreatName: r.ThreatName, ThreatID: r.ThreatID, Severity: r.Severity.String(),
		Direction: r.Direction, ThreatCategory: r.ThreatCategory, SrcEDL: r.SrcEDL, DstEDL: r.DstEDL,
	}
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// readCases reads a lines file: one case per line, "#" comments attach to the next case.
func readCases(t testing.TB, path string) []goldenCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("opening %s: %v", path, err)
	}
	defer f.Close()
	var cases []goldenCase
	var comment string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			comment = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		default:
			cases = append(cases, goldenCase{Line: n, Comment: comment, Input: line})
			comment = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return cases
}

// run fills in the outcome of c with p.
func (c *goldenCase) run(p *Parser, opts Options) {
	h := SplitHeader(c.Input, opts)
	c.Header = goldenHeader{Host: h.Host, Time: utc(h.Time), Payload: h.Payload}
	var r Record
	err := p.Parse(c.Input, &r)
	var skip *SkipError
	var rej *RejectError
	switch {
	case err == nil:
		c.Result, c.Record = "ok", toGolden(&r)
	case errors.As(err, &skip):
		c.Result, c.Skip = "skip", skip.Type
	case errors.As(err, &rej):
		c.Result, c.Reason, c.Error = "reject", rej.Reason, err.Error()
	default:
		c.Result, c.Error = "error", err.Error()
	}
}

func TestGolden(t *testing.T) {
	cases := readCases(t, filepath.Join("testdata", "lines.txt"))
	opts := goldenOptions()
	p := NewParser(opts)
	for i := range cases {
		cases[i].run(p, opts)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(cases); err != nil {
		t.Fatalf("encoding golden: %v", err)
	}
	path := filepath.Join("testdata", "lines.golden.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatalf("writing %s: %v", path, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if !bytes.Equal(want, buf.Bytes()) {
		t.Errorf("%s differs from the parser output; inspect with -update and git diff:\n%s", path, firstDiff(want, buf.Bytes()))
	}
}

// firstDiff returns the first differing line of two texts, for a readable failure.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n golden: " + x + "\n    got: " + y
		}
	}
	return "(no line differs)"
}
