package schema

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Params binds values to the {name:Type} placeholders of a statement. The
// engine parses each value as the placeholder's type, so values never become
// statement text. Supported value types: string, []byte, bool, all integer
// and float kinds, time.Time (formatted as UTC seconds, for DateTime
// placeholders), netip.Addr, fmt.Stringer, and []string (for Array(String)).
type Params map[string]any

// Text returns the parameters as sorted names and their text values, in the
// escaped form ClickHouse expects for query parameters.
func (p Params) Text() (names, values []string, err error) {
	names = make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	values = make([]string, len(names))
	for i, k := range names {
		v, err := paramText(p[k])
		if err != nil {
			return nil, nil, fmt.Errorf("binding parameter %s: %w", k, err)
		}
		values[i] = v
	}
	return names, values, nil
}

func paramText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return EscapeTSV(v), nil
	case []byte:
		return EscapeTSV(string(v)), nil
	case bool:
		if v {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.FormatInt(int64(v), 10), nil
	case int8:
		return strconv.FormatInt(int64(v), 10), nil
	case int16:
		return strconv.FormatInt(int64(v), 10), nil
	case int32:
		return strconv.FormatInt(int64(v), 10), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint8:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint16:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(v), 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case time.Time:
		return v.UTC().Format(time.DateTime), nil
	case netip.Addr:
		return v.String(), nil
	case []string:
		return arrayText(v), nil
	case fmt.Stringer:
		return EscapeTSV(v.String()), nil
	default:
		return "", fmt.Errorf("unsupported parameter type %T", v)
	}
}

// arrayText renders an Array(String) literal in ClickHouse text form.
func arrayText(v []string) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, s := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(QuoteString(s))
	}
	b.WriteByte(']')
	// Composite values are read as text without the escaped-format
	// unescaping that scalar parameters get.
	return b.String()
}

// QuoteString returns s as a single-quoted ClickHouse string literal.
func QuoteString(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

// QuoteIdent returns name as a back-quoted ClickHouse identifier.
func QuoteIdent(name string) string {
	return "`" + strings.NewReplacer("\\", "\\\\", "`", "\\`").Replace(name) + "`"
}

// EscapeTSV escapes s for ClickHouse's TabSeparated (escaped) text format.
func EscapeTSV(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r\x00\b\f") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0:
			b.WriteString(`\0`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// UnescapeTSV reverses EscapeTSV for one field of TabSeparated output.
func UnescapeTSV(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b = append(b, '\t')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case '0':
			b = append(b, 0)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'a':
			b = append(b, '\a')
		case 'v':
			b = append(b, '\v')
		default:
			b = append(b, s[i]) // \\, \', \" and anything else: the character itself
		}
	}
	return string(b)
}
