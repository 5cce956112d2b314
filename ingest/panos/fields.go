package panos

import "strings"

// maxFields is how many CSV columns the parser looks at; the last one it uses is
// THREAT dst_edl (column 101). Later columns are never split.
const maxFields = 101

// span is one CSV field: line[start:end], with esc set when it was quoted and contains doubled quotes.
type span struct {
	start, end int32
	esc        bool
}

// fields is a reusable CSV splitter. It walks the line once, lazily: it stops after the
// columns it was asked for and can resume later.
type fields struct {
	line    string
	next    int  // offset of the next unsplit field, -1 at end of line
	n       int  // number of fields split so far
	noBrace bool // a '{' was found unclosed: braces are literal for the rest of the line
	f       [maxFields]span
}

// reset starts splitting line at offset start.
func (fs *fields) reset(line string, start int) {
	fs.line, fs.next, fs.n, fs.noBrace = line, start, 0, false
}

// splitTo splits until n fields are known or the line ends, and returns the field count.
// Unquoted fields without braces, the common case, are scanned inline.
func (fs *fields) splitTo(n int) int {
	n = min(n, maxFields)
	line, i := fs.line, fs.next
	for fs.n < n && i >= 0 {
		j := i
		for j < len(line) && !csvSpecial[line[j]] {
			j++
		}
		if j < len(line) && line[j] == ',' {
			fs.f[fs.n], i = span{start: int32(i), end: int32(j)}, j+1
		} else if j == len(line) {
			fs.f[fs.n], i = span{start: int32(i), end: int32(j)}, -1
		} else {
			fs.f[fs.n], i = fs.scanField(i)
		}
		fs.n++
	}
	fs.next = i
	return fs.n
}

// raw returns field i (0-based) as it appears inside its quotes; "" beyond the end.
func (fs *fields) raw(i int) string {
	if i < 0 || i >= fs.n {
		return ""
	}
	return fs.line[fs.f[i].start:fs.f[i].end]
}

// str returns field i unescaped (doubled quotes collapsed; this allocates) and trimmed.
func (fs *fields) str(i int) string {
	return trimSpace(fs.exact(i))
}

// exact returns field i unescaped but not trimmed.
func (fs *fields) exact(i int) string {
	s := fs.raw(i)
	if s != "" && fs.f[i].esc {
		return strings.ReplaceAll(s, `""`, `"`)
	}
	return s
}

// scanField reads the field starting at i and returns it with the offset of the next
// field (-1 when the line ends). Quoting is RFC 4180 but lazy: a field is quoted only if it
// starts with '"' and has a closing quote followed by ',' or the end of the line; otherwise
// its quotes are literal. Outside quotes a balanced {…} list is one field even if it
// contains commas; after one unbalanced '{' braces are literal for the rest of the line.
func (fs *fields) scanField(i int) (span, int) {
	line := fs.line
	if i < len(line) && line[i] == '"' {
		if sp, next, ok := scanQuoted(line, i); ok {
			return sp, next
		}
	}
	j := i
	for j < len(line) {
		c := line[j]
		if c != ',' && c != '{' {
			j++
			continue
		}
		if c == ',' {
			return span{start: int32(i), end: int32(j)}, j + 1
		}
		if !fs.noBrace {
			if k := closeBrace(line, j); k > 0 {
				j = k
			} else {
				fs.noBrace = true
			}
		}
		j++
	}
	return span{start: int32(i), end: int32(j)}, -1
}

// csvSpecial marks the bytes that need the slow path of the splitter.
var csvSpecial = [256]bool{',': true, '{': true, '"': true}

// scanQuoted reads a quoted field at line[i] == '"'. It reports false if the quote is never
// closed by `",` or `"` at the end of the line, in which case the caller treats it as literal.
func scanQuoted(line string, i int) (span, int, bool) {
	esc := false
	j := i + 1
	for {
		k := strings.IndexByte(line[j:], '"')
		if k < 0 {
			return span{}, 0, false
		}
		j += k
		switch {
		case j+1 == len(line):
			return span{start: int32(i + 1), end: int32(j), esc: esc}, -1, true
		case line[j+1] == ',':
			return span{start: int32(i + 1), end: int32(j), esc: esc}, j + 2, true
		case line[j+1] == '"':
			esc = true
			j += 2
		default:
			j++ // lazy: a lone quote inside a quoted field is literal
		}
	}
}

// maxBraceList bounds how far a {…} list may extend, which keeps splitting linear.
const maxBraceList = 1024

// closeBrace returns the offset of the '}' balancing the '{' at line[j], or -1 if it is
// not closed within maxBraceList bytes (then the brace is literal).
func closeBrace(line string, j int) int {
	depth := 0
	end := min(len(line), j+maxBraceList)
	for k := j; k < end; k++ {
		switch line[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}
