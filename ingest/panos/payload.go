package panos

import "strings"

// maxPayloadCommas bounds how many commas are examined while looking for the CSV receive time.
const maxPayloadCommas = 16

// maxKVProbes bounds how many '=' are examined while looking for the first Key=value key.
const maxKVProbes = 32

// payload says where and in which format the PAN-OS part of a line starts.
type payload struct {
	start  int // byte offset of CSV field 1 (or of the receive time when cdl), or of the first key; -1 if none
	format Format
	cdl    bool // CSV without field 1: Cortex Data Lake / Strata Logging Service forwarder layout
	cef    bool // a CEF or LEEF line (not PAN-OS syslog format)
}

// locate finds the PAN-OS payload without trusting the syslog header: a CSV payload
// starts at the field just before the first ",<timestamp>," (Elastic's rule), a
// Key=value payload at the first known key followed by '='.
func locate(line string) payload {
	if p, ok := locateCSV(line); ok {
		if k := locateKV(line[:p.start]); k >= 0 {
			return payload{start: k, format: FormatKV}
		}
		return p
	}
	if isCEFOrLEEF(line) {
		return payload{start: -1, cef: true}
	}
	if k := locateKV(line); k >= 0 {
		return payload{start: k, format: FormatKV}
	}
	return payload{start: -1}
}

// locateCSV looks for ",<timestamp>," among the first commas of line. As a second
// form it accepts a line whose first comma follows a timestamp and whose third field
// is a log-type word: the CDL layout without field 1.
func locateCSV(line string) (payload, bool) {
	from := 0
	for c := 0; c < maxPayloadCommas; c++ {
		k := strings.IndexByte(line[from:], ',')
		if k < 0 {
			break
		}
		comma := from + k
		if _, n := scanStamp(line[comma+1:]); n > 0 && comma+1+n < len(line) && line[comma+1+n] == ',' {
			return payload{start: fieldStart(line, comma), format: FormatCSV}, true
		}
		if c == 0 {
			s := fieldStart(line, comma)
			if _, n := scanStamp(line[s:comma]); n > 0 && n == comma-s && typeWordAfter(line[comma+1:]) {
				return payload{start: s, format: FormatCSV, cdl: true}, true
			}
		}
		from = comma + 1
	}
	return payload{}, false
}

// fieldStart returns where the field that ends at line[end] starts: after the last
// space, tab, '>' or ',' before end. Field 1 never contains those characters.
func fieldStart(line string, end int) int {
	i := end
	for i > 0 {
		switch line[i-1] {
		case ' ', '\t', '>', ',':
			return i
		}
		i--
	}
	return 0
}

// typeWordAfter reports whether the second field of s (serial, then type) looks like a
// PAN log type word: upper-case letters and '-', followed by a comma.
func typeWordAfter(s string) bool {
	k := strings.IndexByte(s, ',')
	if k < 0 {
		return false
	}
	s = s[k+1:]
	n := 0
	for n < len(s) && (s[n] >= 'A' && s[n] <= 'Z' || s[n] == '-') {
		n++
	}
	return n >= 3 && n < len(s) && s[n] == ','
}

// locateKV returns the offset of the first known key that is followed by '=' (spaces
// allowed before the '=') and preceded by the start of s, a space, a tab, '>' or ';'.
// Keys whose value starts with '"' are not counted: they are RFC 5424 structured-data
// parameters such as [meta type="x"], never custom-format pairs.
func locateKV(s string) int {
	from := 0
	for c := 0; c < maxKVProbes; c++ {
		k := strings.IndexByte(s[from:], '=')
		if k < 0 {
			return -1
		}
		eq := from + k
		e := eq
		for e > 0 && isSpace(s[e-1]) {
			e--
		}
		b := e
		for b > 0 && isLetter(s[b-1]) {
			b--
		}
		quoted := eq+1 < len(s) && s[eq+1] == '"'
		if b < e && !quoted && (b == 0 || isKVBoundary(s[b-1])) && kvKeyIndex(s[b:e]) >= 0 {
			return b
		}
		from = eq + 1
	}
	return -1
}

// isLetter reports whether c is an ASCII letter.
func isLetter(c byte) bool { return (c|0x20)-'a' < 26 }

// isKVBoundary reports whether c may precede a key.
func isKVBoundary(c byte) bool { return c == ' ' || c == '\t' || c == ';' || c == '>' }

// isCEFOrLEEF reports whether line carries a CEF ("CEF:0|") or LEEF ("LEEF:1.0|") payload.
func isCEFOrLEEF(line string) bool {
	if i := strings.Index(line, "CEF:"); i >= 0 {
		rest := line[i+4:]
		if len(rest) >= 2 && isDigit(rest[0]) && rest[1] == '|' {
			return true
		}
	}
	if i := strings.Index(line, "LEEF:"); i >= 0 {
		rest := line[i+5:]
		if j := strings.IndexByte(rest, '|'); j > 0 && j <= 4 && isDigit(rest[0]) {
			return true
		}
	}
	return false
}
