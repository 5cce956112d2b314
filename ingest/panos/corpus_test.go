package panos

import (
	"bufio"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// corpusLine is one line of a shared sample file with the parser's outcome.
type corpusLine struct {
	file string
	n    int
	text string
	rec  Record
	err  error
}

// samplesDir returns the shared sample corpus: $AD_PANOS_SAMPLES, else
// ../../../shared/panos/samples relative to the package directory. A missing corpus fails the
// test when CI=true and skips it otherwise.
func samplesDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("AD_PANOS_SAMPLES")
	if dir == "" {
		// go test runs in the package directory; prefer this file's absolute location when
		// known (it is not under -trimpath).
		base := "."
		if _, self, _, ok := runtime.Caller(0); ok && filepath.IsAbs(self) {
			base = filepath.Dir(self)
		}
		dir = filepath.Join(base, "..", "..", "..", "shared", "panos", "samples")
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PAN-OS sample corpus not found at %s (set AD_PANOS_SAMPLES)", dir)
		}
		t.Skipf("PAN-OS sample corpus not found at %s; set AD_PANOS_SAMPLES to run the corpus test", dir)
	}
	return dir
}

// loadCorpus parses every line of every *.log, *.samplelog and *.EXCERPT* file.
func loadCorpus(t *testing.T, dir string) map[string]*corpusLine {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.log", "*.samplelog", "*.EXCERPT*"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatalf("globbing %s: %v", pat, err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no sample files in %s", dir)
	}
	p := testParser()
	lines := map[string]*corpusLine{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatalf("reading %s: %v", f, err)
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			cl := &corpusLine{file: filepath.Base(f), n: n, text: sc.Text()}
			cl.err = p.Parse(cl.text, &cl.rec)
			// Copy the strings we keep, as a real caller would.
			cl.rec.Host = strings.Clone(cl.rec.Host)
			lines[cl.file+":"+strconv.Itoa(n)] = cl
		}
	}
	return lines
}

// panType finds the PAN log type of a line independently of the parser:
// ",<time>,<serial>,<TYPE>," or, for CDL lines, " <iso time>,<serial>,<TYPE>,".
var (
	reStd     = regexp.MustCompile(`,(\d{4}[/-]\d\d[/-]\d\d[ T][0-9:.]+Z?),[^,]*,([A-Za-z-]*),`)
	reCDL     = regexp.MustCompile(`(?:^|\s)(\d{4}-\d\d-\d\dT[0-9:.]+Z),[^,]*,([A-Z-]+),`)
	reStdFrom = regexp.MustCompile(`[^ ,>]*,\d{4}[/-]\d\d[/-]\d\d[ T][0-9:.]+Z?,`)
)

func panType(line string) (typ string, cdl bool) {
	std, alt := reStd.FindStringSubmatchIndex(line), reCDL.FindStringSubmatchIndex(line)
	switch {
	case alt != nil && (std == nil || alt[0] < std[0]):
		return line[alt[4]:alt[5]], true
	case std != nil:
		return line[std[4]:std[5]], false
	}
	return "", false
}

// corpusExceptions are TRAFFIC/THREAT lines that are broken in the fixtures themselves
// and must be rejected with the given reason rather than parsed into nonsense.
var corpusExceptions = map[string]string{
	"graylog__PaloAlto9xTemplatesTest__lines.log:7": ReasonBadSrcIP,     // synthetic row, every column empty
	"graylog__PaloAlto9xTemplatesTest__lines.log:8": ReasonBadSrcIP,     // synthetic row, every column empty
	"metron__PaloaltoOutput.log:88":                 ReasonBadDstIP,     // anonymiser wrote 23.200,10,217 (three columns)
	"wazuh__paloalto.ini__lines.log:2":              ReasonTooFewFields, // truncated stub "...,TRAFFIC,"
	"wazuh__paloalto.ini__lines.log:4":              ReasonTooFewFields, // truncated stub "...,THREAT,"
	"wazuh__paloalto.ini__lines.log:5":              ReasonUnknownType,  // stub with type OTHERS
	"wazuh__paloalto.ini__lines.log:13":             ReasonBadTime,      // placeholder date 2020/00/00
	"wazuh__paloalto.ini__lines.log:14":             ReasonBadTime,      // placeholder date 2020/00/00
	"wazuh__paloalto.ini__lines.log:15":             ReasonBadTime,      // placeholder date 2020/00/00
	"wazuh__paloalto.ini__lines.log:16":             ReasonBadTime,      // placeholder date 2020/00/00
}

func TestCorpus(t *testing.T) {
	dir := samplesDir(t)
	lines := loadCorpus(t, dir)
	keys := make([]string, 0, len(lines))
	for k := range lines {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ok, skipped, rejected int
	for _, k := range keys {
		cl := lines[k]
		checkCorpusLine(t, k, cl)
		switch rejectReason(t, cl.err) {
		case "":
			ok++
		default:
			if strings.HasPrefix(rejectReason(t, cl.err), "skip:") {
				skipped++
			} else {
				rejected++
			}
		}
	}
	t.Logf("corpus: %d lines, %d parsed, %d skipped, %d rejected", len(keys), ok, skipped, rejected)
	if ok < 380 {
		t.Errorf("only %d TRAFFIC/THREAT lines parsed, want at least 380", ok)
	}
	t.Run("crowdsec", func(t *testing.T) { checkCrowdsec(t, dir, lines) })
	t.Run("panossyslog-hs", func(t *testing.T) { checkHaskell(t, dir, lines) })
	t.Run("spot", func(t *testing.T) { checkSpots(t, lines) })
}

// checkCorpusLine applies the outcome rules to one line.
func checkCorpusLine(t *testing.T, key string, cl *corpusLine) {
	typ, cdl := panType(cl.text)
	reason := rejectReason(t, cl.err)
	if want, ok := corpusExceptions[key]; ok {
		if reason != want {
			t.Errorf("%s: reason %q (%v), want %q", key, reason, cl.err, want)
		}
		return
	}
	switch typ {
	case "":
		var rej *RejectError
		if !errors.As(cl.err, &rej) {
			t.Errorf("%s: non-PAN line not rejected (err %v): %.80q", key, cl.err, cl.text)
		}
	case "TRAFFIC", "THREAT":
		if cl.err != nil {
			t.Errorf("%s: %v", key, cl.err)
			return
		}
		checkRecordInvariants(t, key, typ, &cl.rec)
		if !cdl {
			crossCheckCSV(t, key, cl)
		}
	default:
		if reason != "skip:"+strings.ToUpper(typ) {
			t.Errorf("%s: type %s: got %q (%v), want a skip", key, typ, reason, cl.err)
		}
	}
}

func checkRecordInvariants(t *testing.T, key, typ string, r *Record) {
	t.Helper()
	if r.Type != typ || !r.SrcIP.IsValid() || !r.DstIP.IsValid() || r.Time.IsZero() || r.Generated.IsZero() {
		t.Errorf("%s: bad record type=%q src=%v dst=%v time=%v", key, r.Type, r.SrcIP, r.DstIP, r.Time)
	}
	if r.SrcIP.Is4In6() || r.DstIP.Is4In6() {
		t.Errorf("%s: 4in6 address not unmapped", key)
	}
	if y := r.Time.Year(); y < 2010 || y > 2030 {
		t.Errorf("%s: implausible receive time %v", key, r.Time)
	}
	if typ == "THREAT" && r.Severity == SeverityNone {
		t.Errorf("%s: THREAT without severity", key)
	}
	if typ == "TRAFFIC" && (r.Severity != SeverityNone || r.ThreatID != 0) {
		t.Errorf("%s: TRAFFIC with threat fields", key)
	}
}

// crossCheckCSV re-splits a default-layout line with encoding/csv (lazy quotes) and
// compares addresses, ports, action, the External Dynamic Lists (PAN-OS 10.0+),
// severity and threat id with the record.
func crossCheckCSV(t *testing.T, key string, cl *corpusLine) {
	t.Helper()
	loc := reStdFrom.FindStringIndex(cl.text)
	rd := csv.NewReader(strings.NewReader(cl.text[loc[0]:]))
	rd.LazyQuotes, rd.FieldsPerRecord = true, -1
	cols, err := rd.Read()
	if err != nil {
		t.Errorf("%s: encoding/csv: %v", key, err)
		return
	}
	col := func(pos int) string {
		if pos <= len(cols) {
			return strings.TrimSpace(cols[pos-1])
		}
		return ""
	}
	r := &cl.rec
	got := []string{r.SrcIP.String(), r.DstIP.String(), strconv.Itoa(int(r.SrcPort)), strconv.Itoa(int(r.DstPort)), r.Action,
		r.SrcEDL, r.DstEDL}
	want := []string{col(8), col(9), col(25), col(26), col(31), col(96), col(97)}
	if r.Type == "THREAT" {
		got = append(got, r.Severity.String(), strconv.FormatUint(r.ThreatID, 10), r.Misc)
		_, id := splitThreat(col(33))
		want = append(want[:5], col(100), col(101), strings.ToLower(col(35)), strconv.FormatUint(id, 10), cols[31])
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: record %q, encoding/csv %q", key, got, want)
	}
}
