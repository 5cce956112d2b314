package panos

import (
	"strings"
	"time"
)

// Header is what the syslog header of a line says.
type Header struct {
	// Time is the (innermost) header timestamp; zero if the header has none or it could not be parsed.
	Time time.Time
	// Host is the (innermost) header hostname; "" if none (BSD without hostname, bare CSV).
	Host string
	// Payload is the byte offset where the PAN payload (CSV field 1, or the first Key=) starts; -1 if not found.
	Payload int
}

// SplitHeader recognises the syslog header forms of PANOS-FORMATS.md §1.1 and rsyslog's
// file formats (RSYSLOG_TraditionalFileFormat "Nov 28 04:25:47 host msg" and
// RSYSLOG_FileFormat "2026-11-28T04:25:47.123456+01:00 host msg"): octet-counting
// prefixes, PRI with and without a following space, padded and unpadded days, RFC 5424
// with one or two spaces before the payload, relay double headers (the innermost header
// wins), ISO timestamps without PRI, and no header at all. It is used by the syslog
// listener to name the sending device. Header times without a zone are read in
// opts.Location and RFC 3164 years are guessed from opts.Now (the year nearest to it).
// When no payload is found, the leading headers of the line are still reported.
func SplitHeader(line string, opts Options) Header {
	pl := locate(line)
	region := line
	if pl.start >= 0 {
		region = line[:pl.start]
	}
	hs := scanHeader(region)
	t, _ := hs.time(opts.location(), opts.now())
	return Header{Time: t, Host: hs.host, Payload: pl.start}
}

// headerScan is the result of walking the header region of a line.
type headerScan struct {
	host string
	kind int // 0 no timestamp, 1 RFC 3164 (bsd), 2 ISO (iso)
	bsd  bsdStamp
	iso  stamp
}

// time converts the innermost header timestamp; false if there was none or it is invalid.
func (hs *headerScan) time(loc *time.Location, now time.Time) (time.Time, bool) {
	switch hs.kind {
	case 1:
		return hs.bsd.time(loc, now)
	case 2:
		if hs.iso.valid() {
			return hs.iso.time(loc), true
		}
	}
	return time.Time{}, false
}

// scanHeader walks one or more syslog headers at the start of h (a relay may prepend its
// own): [octet count] [<PRI>[version]] timestamp [host] [tag or RFC 5424 fields], repeated.
// It stops at the first position that does not start a header.
func scanHeader(h string) headerScan {
	var hs headerScan
	pos := 0
	for pos < len(h) {
		pos = skipOctetCount(h, skipSpaces(h, pos))
		var rfc5424 bool
		pos, rfc5424 = skipPRI(h, pos)
		pos = skipSpaces(h, pos)
		n := hs.scanTime(h[pos:])
		if n == 0 {
			break
		}
		host, next := nextToken(h, pos+n)
		if host == "" {
			hs.host = ""
			break
		}
		hs.host, pos = hostName(host), next
		if rfc5424 {
			pos = skipRFC5424Fields(h, pos)
		} else {
			pos = skipTag(h, pos)
		}
	}
	return hs
}

// scanTime reads an ISO or RFC 3164 timestamp at the start of s into hs and returns its length.
func (hs *headerScan) scanTime(s string) int {
	if st, n := scanStamp(s); n > 0 && (n == len(s) || isSpace(s[n])) {
		hs.kind, hs.iso = 2, st
		return n
	}
	if b, n := scanBSD(s); n > 0 {
		hs.kind, hs.bsd = 1, b
		return n
	}
	return 0
}

// skipSpaces returns the first offset at or after pos that is not a space or tab.
func skipSpaces(h string, pos int) int {
	for pos < len(h) && isSpace(h[pos]) {
		pos++
	}
	return pos
}

// skipOctetCount skips an RFC 6587 octet count ("521 <14>...").
func skipOctetCount(h string, pos int) int {
	_, n := leadingDigits(h[pos:], 10)
	if n > 0 && pos+n+1 < len(h) && h[pos+n] == ' ' && h[pos+n+1] == '<' {
		return pos + n + 1
	}
	return pos
}

// skipPRI skips "<PRI>" and an RFC 5424 version digit ("<14>1 "), reporting whether a version was seen.
func skipPRI(h string, pos int) (int, bool) {
	if pos >= len(h) || h[pos] != '<' {
		return pos, false
	}
	_, n := leadingDigits(h[pos+1:], 3)
	end := pos + 1 + n
	if n == 0 || end >= len(h) || h[end] != '>' {
		return pos, false
	}
	pos = end + 1
	if pos+1 < len(h) && isDigit(h[pos]) && h[pos+1] == ' ' {
		return pos + 2, true
	}
	return pos, false
}

// nextToken returns the space-delimited token at or after pos and the offset after it.
func nextToken(h string, pos int) (string, int) {
	pos = skipSpaces(h, pos)
	end := pos
	for end < len(h) && !isSpace(h[end]) {
		end++
	}
	return h[pos:end], end
}

// hostName maps a header host token to a host: "-" (RFC 5424 nil) and tags ("prog:") are not hosts.
func hostName(tok string) string {
	if tok == "-" || strings.HasSuffix(tok, ":") {
		return ""
	}
	return tok
}

// skipTag skips an RFC 3164 tag after the host: "-" or a token ending in ':'.
func skipTag(h string, pos int) int {
	if tok, next := nextToken(h, pos); tok == "-" || (len(tok) > 1 && strings.HasSuffix(tok, ":")) {
		return next
	}
	return pos
}

// skipRFC5424Fields skips APP-NAME, PROCID, MSGID and STRUCTURED-DATA after the host.
func skipRFC5424Fields(h string, pos int) int {
	for i := 0; i < 3; i++ {
		_, pos = nextToken(h, pos)
	}
	pos = skipSpaces(h, pos)
	if pos < len(h) && h[pos] == '[' {
		if k := strings.Index(h[pos:], "] "); k >= 0 {
			return pos + k + 1
		}
		return len(h)
	}
	_, pos = nextToken(h, pos)
	return pos
}
