package panos

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fuzzSeeds returns the testdata lines, a few lines of each shared sample file when the
// corpus is present, and some edge cases.
func fuzzSeeds(f *testing.F) []string {
	var seeds []string
	for _, c := range readCases(f, filepath.Join("testdata", "lines.txt")) {
		seeds = append(seeds, c.Input)
	}
	seeds = append(seeds, "", ",", "1,2025/06/20 15:22:38,", "\x00", "<14>1 ", "Type=", `"`, "{", "SrcIP=1.1.1.1;DstIP=::;Type=THREAT")
	dir := os.Getenv("AD_PANOS_SAMPLES")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "panos", "samples")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for i := 0; i < 3 && sc.Scan(); i++ {
			seeds = append(seeds, sc.Text())
		}
		fh.Close()
	}
	return seeds
}

// warm is a long-lived parser whose caches carry state between fuzz inputs.
var warm = struct {
	sync.Mutex
	p *Parser
}{p: testParser()}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var fresh Record
		err := testParser().Parse(line, &fresh)
		checkOutcome(t, line, &fresh, err)

		var again Record
		warm.Lock()
		err2 := warm.p.Parse(line, &again)
		warm.Unlock()
		if (err == nil) != (err2 == nil) || fresh != again {
			t.Fatalf("warm parser disagrees with a fresh one: %v vs %v\n%+v\n%+v", err, err2, fresh, again)
		}
	})
}

// checkOutcome asserts the Parse contract for any input.
func checkOutcome(t *testing.T, line string, r *Record, err error) {
	t.Helper()
	if err != nil {
		var skip *SkipError
		var rej *RejectError
		switch {
		case errors.As(err, &skip):
			if skip.Type == "" {
				t.Fatalf("SkipError without type for %q", line)
			}
		case errors.As(err, &rej):
			if rej.Reason == "" || strings.ContainsAny(rej.Reason, " -") {
				t.Fatalf("bad reject reason %q for %q", rej.Reason, line)
			}
		default:
			t.Fatalf("error of type %T for %q: %v", err, line, err)
		}
		if *r != (Record{}) {
			t.Fatalf("record not zeroed after error for %q", line)
		}
		return
	}
	if r.Time.IsZero() || r.Generated.IsZero() {
		t.Fatalf("zero time for %q", line)
	}
	if !r.SrcIP.IsValid() || !r.DstIP.IsValid() || r.SrcIP.Is4In6() || r.DstIP.Is4In6() {
		t.Fatalf("bad addresses %v %v for %q", r.SrcIP, r.DstIP, line)
	}
	if r.Type != "TRAFFIC" && r.Type != "THREAT" {
		t.Fatalf("type %q for %q", r.Type, line)
	}
	if r.Format != FormatCSV && r.Format != FormatKV {
		t.Fatalf("format %v for %q", r.Format, line)
	}
	if r.Type == "TRAFFIC" && (r.Severity != SeverityNone || r.ThreatID != 0 || r.ThreatName != "" || r.Misc != "") {
		t.Fatalf("TRAFFIC with threat fields for %q", line)
	}
	if r.Severity > SeverityCritical {
		t.Fatalf("severity %d out of range for %q", r.Severity, line)
	}
}

func FuzzSplitHeader(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	opts := goldenOptions()
	f.Fuzz(func(t *testing.T, line string) {
		h := SplitHeader(line, opts)
		if h.Payload < -1 || h.Payload > len(line) {
			t.Fatalf("payload %d out of bounds for %d-byte line %q", h.Payload, len(line), line)
		}
		if h.Host != "" && !strings.Contains(line, h.Host) {
			t.Fatalf("host %q is not part of the line %q", h.Host, line)
		}
		if h.Payload >= 0 && h.Host != "" && !strings.Contains(line[:h.Payload], h.Host) {
			t.Fatalf("host %q is not in the header %q", h.Host, line[:h.Payload])
		}
	})
}
