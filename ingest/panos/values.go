package panos

import (
	"net/netip"
	"strings"
)

// isDigit reports whether c is an ASCII digit.
func isDigit(c byte) bool { return c-'0' < 10 }

// isSpace reports whether c is a space or a tab.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// trimSpace removes surrounding spaces and tabs without allocating.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// lowerASCII returns s with ASCII upper-case letters lowered; it allocates only if s has any.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// digitsN parses s, which must consist of ASCII digits only (at most 9 of them).
func digitsN(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// leadingDigits parses up to max leading digits of s and returns the value and how many were read.
func leadingDigits(s string, max int) (int, int) {
	v, n := 0, 0
	for n < len(s) && n < max && isDigit(s[n]) {
		v = v*10 + int(s[n]-'0')
		n++
	}
	return v, n
}

// parseUint parses a decimal counter no larger than limit, ignoring surrounding spaces.
// The empty string is 0. It reports false for anything else.
func parseUint(s string, limit uint64) (uint64, bool) {
	s = trimSpace(s)
	var v uint64
	for i := 0; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if d > 9 || v > (limit-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// parseAddr parses an IPv4 or IPv6 address, returning IPv4 (and 4in6) as a 4-byte Addr.
// Dotted-quad IPv4 takes a hand-written fast path.
func parseAddr(s string) (netip.Addr, bool) {
	s = trimSpace(s)
	if a, ok := parseIPv4(s); ok {
		return a, true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// parseIPv4 parses a strict dotted-quad address (no leading zeros beyond a lone "0").
func parseIPv4(s string) (netip.Addr, bool) {
	if len(s) < 7 || len(s) > 15 {
		return netip.Addr{}, false
	}
	var b [4]byte
	part, i := 0, 0
	for part < 4 {
		v, n := leadingDigits(s[i:], 3)
		if n == 0 || v > 255 || (n > 1 && s[i] == '0') {
			return netip.Addr{}, false
		}
		b[part], i = byte(v), i+n
		part++
		if part < 4 {
			if i >= len(s) || s[i] != '.' {
				return netip.Addr{}, false
			}
			i++
		}
	}
	if i != len(s) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(b), true
}

// splitThreat splits a PAN threat column "Name(ID)" into name and id. The id is the last
// "(digits)" group; when that group ends the string (trailing spaces allowed), it is removed
// from the name: "Windows Executable (EXE)(52020)" gives "Windows Executable (EXE)", 52020 and
// "(9999)" gives "", 9999. Without such a group the name is the whole string and the id 0.
func splitThreat(s string) (string, uint64) {
	s = trimSpace(s)
	end := len(s)
	for end > 0 {
		close := strings.LastIndexByte(s[:end], ')')
		if close < 0 {
			break
		}
		open := strings.LastIndexByte(s[:close], '(')
		if open < 0 {
			break
		}
		if id, ok := threatDigits(s[open+1 : close]); ok {
			if close == len(s)-1 {
				return trimSpace(s[:open]), id
			}
			return s, id
		}
		end = open
	}
	return s, 0
}

// threatDigits parses the inside of "( 1234 )": digits with optional surrounding spaces.
func threatDigits(s string) (uint64, bool) {
	s = trimSpace(s)
	if s == "" {
		return 0, false
	}
	return parseUint(s, 1<<64-1)
}
