package panos

import "time"

// Options carries per-device context. The zero value is usable (time.Local, time.Now).
type Options struct {
	// Location is the zone for PAN timestamps without offset (the device's configured zone); nil means time.Local.
	Location *time.Location
	// Now is used only to guess the year of an RFC 3164 syslog header when PAN gives no time; nil means time.Now.
	Now func() time.Time
}

// location returns Location or time.Local.
func (o Options) location() *time.Location {
	if o.Location == nil {
		return time.Local
	}
	return o.Location
}

// now returns the current time from Now or time.Now.
func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// Parser parses lines. It keeps scratch buffers and a timestamp cache, so one Parser
// must not be used by two goroutines at once; use one Parser per goroutine.
type Parser struct {
	opts  Options
	loc   *time.Location
	fs    fields
	cache [2]timeCache // 0: receive time, 1: generated time
}

// NewParser returns a Parser for lines from devices described by opts.
func NewParser(opts Options) *Parser {
	return &Parser{opts: opts, loc: opts.location()}
}

// Parse parses one line (without the trailing newline) into r, which it resets first.
// It returns nil on success, a *SkipError for well-formed PAN-OS logs of other types
// (SYSTEM, CONFIG, HIPMATCH, GLOBALPROTECT, CORRELATION, USERID, ...), or a *RejectError.
// On error r is left zeroed. String fields of r may share memory with line.
func (p *Parser) Parse(line string, r *Record) error {
	*r = Record{}
	if err := p.parse(line, r); err != nil {
		*r = Record{}
		return err
	}
	return nil
}

// parse dispatches on the located payload format.
func (p *Parser) parse(line string, r *Record) error {
	line = trimEOL(line)
	if trimSpace(line) == "" {
		return rejectText(ReasonEmptyLine, "empty line")
	}
	pl := locate(line)
	var err error
	switch {
	case pl.format == FormatCSV:
		err = p.parseCSV(line, pl, r)
	case pl.format == FormatKV:
		err = p.parseKV(line, pl.start, r)
	case pl.cef:
		return rejectText(ReasonUnsupportedFormat, "CEF/LEEF line, not PAN-OS syslog CSV or Key=value")
	default:
		return reject(ReasonUnrecognizedFormat, "no PAN-OS payload in line", line)
	}
	if err != nil {
		return err
	}
	if r.Host == "" {
		r.Host = scanHeader(line[:pl.start]).host
	}
	return nil
}

// stampField parses a PAN timestamp field through the per-Parser cache; slot 0 is the
// receive time, slot 1 the generated time (both slots are consulted on lookup).
func (p *Parser) stampField(slot int, s string) (time.Time, bool) {
	for i := range p.cache {
		if t, ok := p.cache[i].get(s); ok {
			return t, true
		}
	}
	t, ok := parseStamp(s, p.loc)
	if ok {
		p.cache[slot].put(s, t)
	}
	return t, ok
}

// trimEOL removes trailing CR and LF characters.
func trimEOL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
