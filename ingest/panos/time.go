package panos

import "time"

// stamp is a calendar timestamp as written on the wire, before conversion to an instant.
type stamp struct {
	year, month, day  int
	hour, minute, sec int
	nsec              int
	offset            int  // seconds east of UTC, when zone is set
	zone              bool // an explicit "Z" or numeric offset was given
}

// scanStamp reads a timestamp at the start of s and returns it with its length in bytes
// (0 when s does not start with one). Accepted shapes:
//
//	YYYY/MM/DD hh:mm:ss                      PAN-OS receive/generated time
//	YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh[:mm]] ISO-8601 / RFC 3339 (CDL, RFC 5424, rsyslog)
//
// Only the shape is checked here; valid checks the ranges.
func scanStamp(s string) (stamp, int) {
	var st stamp
	if len(s) < 19 {
		return st, 0
	}
	sep := s[4]
	if (sep != '/' && sep != '-') || s[7] != sep || (s[10] != ' ' && s[10] != 'T') ||
		s[13] != ':' || s[16] != ':' {
		return st, 0
	}
	var ok [6]bool
	st.year, ok[0] = digitsN(s[0:4])
	st.month, ok[1] = digitsN(s[5:7])
	st.day, ok[2] = digitsN(s[8:10])
	st.hour, ok[3] = digitsN(s[11:13])
	st.minute, ok[4] = digitsN(s[14:16])
	st.sec, ok[5] = digitsN(s[17:19])
	if ok != [6]bool{true, true, true, true, true, true} {
		return st, 0
	}
	n := 19 + scanFraction(s[19:], &st)
	return st, n + scanZone(s[n:], &st)
}

// scanFraction reads ".digits" and returns its length (0 if absent). Digits beyond nanoseconds are ignored.
func scanFraction(s string, st *stamp) int {
	if len(s) < 2 || s[0] != '.' || !isDigit(s[1]) {
		return 0
	}
	n, scale := 1, 100000000
	for n < len(s) && isDigit(s[n]) {
		st.nsec += int(s[n]-'0') * scale
		scale /= 10
		n++
	}
	return n
}

// scanZone reads "Z", "±hh", "±hhmm" or "±hh:mm" and returns its length (0 if absent).
func scanZone(s string, st *stamp) int {
	if len(s) == 0 {
		return 0
	}
	if s[0] == 'Z' || s[0] == 'z' {
		st.zone = true
		return 1
	}
	if (s[0] != '+' && s[0] != '-') || len(s) < 3 {
		return 0
	}
	h, ok := digitsN(s[1:3])
	if !ok {
		return 0
	}
	n, m := 3, 0
	if len(s) >= 6 && s[3] == ':' {
		m, ok = digitsN(s[4:6])
		n = 6
	} else if len(s) >= 5 && isDigit(s[3]) {
		m, ok = digitsN(s[3:5])
		n = 5
	}
	if !ok {
		return 0
	}
	st.zone, st.offset = true, h*3600+m*60
	if s[0] == '-' {
		st.offset = -st.offset
	}
	return n
}

// valid reports whether every component is in range. Years before 1970 are rejected
// so that placeholder dates never turn into "successful" records.
func (st *stamp) valid() bool {
	return st.year >= 1970 && st.month >= 1 && st.month <= 12 &&
		st.day >= 1 && st.day <= daysIn(st.month, st.year) &&
		st.hour < 24 && st.minute < 60 && st.sec < 60 &&
		st.offset > -24*3600 && st.offset < 24*3600
}

// time converts the stamp to an instant: in UTC when a zone was given, else in loc.
func (st *stamp) time(loc *time.Location) time.Time {
	if st.zone {
		t := time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.sec, st.nsec, time.UTC)
		return t.Add(-time.Duration(st.offset) * time.Second)
	}
	return time.Date(st.year, time.Month(st.month), st.day, st.hour, st.minute, st.sec, st.nsec, loc)
}

// parseStamp parses a whole field as a timestamp (see scanStamp).
func parseStamp(s string, loc *time.Location) (time.Time, bool) {
	st, n := scanStamp(s)
	if n == 0 || n != len(s) || !st.valid() {
		return time.Time{}, false
	}
	return st.time(loc), true
}

// daysIn returns the number of days in month m of year y.
func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	default:
		return 31
	}
}

// timeCache remembers the last timestamp string parsed into a slot. Consecutive log lines
// share seconds, so this skips time.Date and the zone lookup for most lines. The key is
// copied, so the cache stays correct when callers reuse the line's memory.
type timeCache struct {
	n   int
	key [40]byte
	t   time.Time
}

// get returns the cached time for s.
func (c *timeCache) get(s string) (time.Time, bool) {
	if c.n == len(s) && c.n > 0 && string(c.key[:c.n]) == s {
		return c.t, true
	}
	return time.Time{}, false
}

// put stores t for s if s fits the key buffer.
func (c *timeCache) put(s string, t time.Time) {
	if len(s) <= len(c.key) {
		c.n = copy(c.key[:], s)
		c.t = t
	}
}

// bsdStamp is an RFC 3164 timestamp "Mmm dd [yyyy ]hh:mm:ss"; year is 0 when absent.
type bsdStamp struct {
	year, month, day, hour, minute, sec int
}

var monthNames = [12]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

// scanBSD reads an RFC 3164 timestamp at the start of s ("Nov 28 04:25:47", "Jan  5 ...",
// "Mar 9 ...", "Mar 23 2017 07:27:36") and returns its length, 0 if there is none.
// The timestamp must be followed by a space, a tab or the end of s.
func scanBSD(s string) (bsdStamp, int) {
	var b bsdStamp
	if len(s) < 14 || s[3] != ' ' {
		return b, 0
	}
	if b.month = monthIndex(s[:3]); b.month == 0 {
		return b, 0
	}
	i := 4
	for i < len(s) && s[i] == ' ' {
		i++
	}
	d, n := leadingDigits(s[i:], 2)
	if n == 0 || i+n >= len(s) || s[i+n] != ' ' {
		return b, 0
	}
	b.day, i = d, i+n+1
	if y, n := leadingDigits(s[i:], 4); n == 4 && i+4 < len(s) && s[i+4] == ' ' {
		b.year, i = y, i+5
	}
	if len(s) < i+8 || s[i+2] != ':' || s[i+5] != ':' {
		return b, 0
	}
	var ok [3]bool
	b.hour, ok[0] = digitsN(s[i : i+2])
	b.minute, ok[1] = digitsN(s[i+3 : i+5])
	b.sec, ok[2] = digitsN(s[i+6 : i+8])
	if ok != [3]bool{true, true, true} || (len(s) > i+8 && !isSpace(s[i+8])) {
		return b, 0
	}
	return b, i + 8
}

// monthIndex returns 1..12 for a three-letter English month abbreviation (any case), else 0.
func monthIndex(s string) int {
	if len(s) != 3 {
		return 0
	}
	var low [3]byte
	for i := 0; i < 3; i++ {
		low[i] = s[i] | 0x20
	}
	for i, m := range monthNames {
		if string(low[:]) == m {
			return i + 1
		}
	}
	return 0
}

// time converts an RFC 3164 stamp in loc. Without a year it picks the year (now's, the one
// before or after) that puts the stamp nearest to now, so a December line read in January
// lands in the previous year. It reports false for impossible dates.
func (b bsdStamp) time(loc *time.Location, now time.Time) (time.Time, bool) {
	if b.month < 1 || b.day < 1 || b.hour > 23 || b.minute > 59 || b.sec > 59 {
		return time.Time{}, false
	}
	mk := func(y int) time.Time {
		return time.Date(y, time.Month(b.month), b.day, b.hour, b.minute, b.sec, 0, loc)
	}
	if b.year != 0 {
		return mk(b.year), b.day <= daysIn(b.month, b.year)
	}
	now = now.In(loc)
	var best time.Time
	bestDist := time.Duration(-1)
	for y := now.Year() - 1; y <= now.Year()+1; y++ {
		if b.day > daysIn(b.month, y) {
			continue
		}
		t := mk(y)
		d := t.Sub(now)
		if d < 0 {
			d = -d
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = t, d
		}
	}
	return best, bestDist >= 0
}
