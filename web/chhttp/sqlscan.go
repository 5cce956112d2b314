package chhttp

import "strings"

// scanned is what the endpoint needs to know about a statement's text
// before the engine sees it.
type scanned struct {
	multi  bool   // more than one statement
	format string // the word after a trailing FORMAT clause, as written
}

// scanSQL finds statement separators and a FORMAT clause outside string
// literals, quoted identifiers, heredocs and comments. It is a first check
// only: the engine's own parser decides, and text the scanner cannot follow
// (say, an unterminated string) is left to it.
func scanSQL(q string) scanned {
	var s scanned
	var words []string // words at parenthesis depth 0 since the last separator
	depth, ended := 0, false
	for t := range tokens(q) {
		if ended {
			if t != ";" {
				s.multi = true
				break
			}
			continue
		}
		switch t {
		case ";":
			ended = true
		case "(", "[":
			depth++
		case ")", "]":
			depth = max(depth-1, 0)
		default:
			if depth == 0 {
				words = append(words, t)
			}
		}
	}
	s.format = formatClause(words)
	return s
}

// formatClause returns X from "... FORMAT X" or "... FORMAT X SETTINGS ..."
// at the end of the top-level words; "" if there is none.
func formatClause(words []string) string {
	for i := len(words) - 2; i >= 0; i-- {
		if !strings.EqualFold(words[i], "FORMAT") || !isWord(words[i+1]) {
			continue
		}
		if i+2 == len(words) || strings.EqualFold(words[i+2], "SETTINGS") {
			return words[i+1]
		}
	}
	return ""
}

func isWord(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if !wordByte(t[i]) {
			return false
		}
	}
	return true
}

func wordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// tokens yields words, single punctuation characters and one token per
// literal (quoted text is yielded with its quotes); comments and white
// space are skipped.
func tokens(q string) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for i := 0; i < len(q); {
			c := q[i]
			var n int // length of the token at i; 0 = skip a byte
			switch {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
				i++
				continue
			case strings.HasPrefix(q[i:], "--") || c == '#' && i+1 < len(q) && (q[i+1] == ' ' || q[i+1] == '!'):
				i += lineComment(q[i:])
				continue
			case strings.HasPrefix(q[i:], "/*"):
				i += blockComment(q[i:])
				continue
			case c == '\'' || c == '"' || c == '`':
				n = quoted(q[i:], c)
			case c == '$':
				n = heredoc(q[i:])
			case wordByte(c):
				for n = 1; i+n < len(q) && wordByte(q[i+n]); n++ {
				}
			default:
				n = 1
			}
			if !yield(q[i : i+n]) {
				return
			}
			i += n
		}
	}
}

func lineComment(s string) int {
	if j := strings.IndexByte(s, '\n'); j >= 0 {
		return j + 1
	}
	return len(s)
}

// blockComment returns the length of a /* */ comment; they nest.
func blockComment(s string) int {
	depth := 0
	for i := 0; i+1 < len(s); i++ {
		switch {
		case s[i] == '/' && s[i+1] == '*':
			depth++
			i++
		case s[i] == '*' && s[i+1] == '/':
			depth--
			i++
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// quoted returns the length of a literal opened by quote, with backslash
// escapes and doubled quotes; an unterminated one runs to the end.
func quoted(s string, quote byte) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case quote:
			if i+1 < len(s) && s[i+1] == quote {
				i++
				continue
			}
			return i + 1
		}
	}
	return len(s)
}

// heredoc returns the length of $tag$...$tag$ at the start of s, or 1 for
// a lone '$'.
func heredoc(s string) int {
	end := 1
	for end < len(s) && wordByte(s[end]) && s[end] < 0x80 {
		end++
	}
	if end >= len(s) || s[end] != '$' {
		return 1
	}
	tag := s[:end+1]
	if j := strings.Index(s[len(tag):], tag); j >= 0 {
		return len(tag) + j + len(tag)
	}
	return len(s)
}
