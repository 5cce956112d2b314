package panos

import (
	"reflect"
	"strings"
	"testing"
)

// splitAll splits a whole line with the parser's splitter and returns the unescaped fields.
func splitAll(line string) []string {
	var fs fields
	fs.reset(line, 0)
	n := fs.splitTo(maxFields)
	out := make([]string, n)
	for i := range out {
		out[i] = fs.exact(i)
	}
	return out
}

func TestSplitFields(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "a,b,c", []string{"a", "b", "c"}},
		{"empty fields", ",a,,b,", []string{"", "a", "", "b", ""}},
		{"quoted with comma", `x,"a,b",y`, []string{"x", "a,b", "y"}},
		{"empty quoted", `x,"",y`, []string{"x", "", "y"}},
		{"doubled quotes", `"www.example.com/string/""hello""",z`, []string{`www.example.com/string/"hello"`, "z"}},
		{"sender with quotes", `"""John Doe"" <jdoe@example.com>",z`, []string{`"John Doe" <jdoe@example.com>`, "z"}},
		{"quoted at end of line", `a,"b,c"`, []string{"a", "b,c"}},
		{"lazy quote inside unquoted", `a,Some-Header:"eg1.com;",b`, []string{"a", `Some-Header:"eg1.com;"`, "b"}},
		{"lone quote in quoted", `"a"b",c`, []string{`a"b`, "c"}},
		{"unterminated quote is literal", `a,"b,c`, []string{"a", `"b`, "c"}},
		{"space before quote is unquoted", `a, "b",c`, []string{"a", ` "b"`, "c"}},
		{"brace list is one field", "a,{wan1, tag-a, ethernet, 0},b", []string{"a", "{wan1, tag-a, ethernet, 0}", "b"}},
		{"nested braces", "a,{x {y, z}, w},b", []string{"a", "{x {y, z}, w}", "b"}},
		{"unclosed brace is literal", "a,{x, y,b", []string{"a", "{x", " y", "b"}},
		{"brace inside quotes", `a,"{x, y}",b`, []string{"a", "{x, y}", "b"}},
		{"trailing space kept", "a,b ", []string{"a", "b "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitAll(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("split(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplitFieldsLimit(t *testing.T) {
	line := strings.Repeat("x,", 200)
	var fs fields
	fs.reset(line, 0)
	if n := fs.splitTo(1000); n != maxFields {
		t.Errorf("splitTo(1000) = %d, want the cap %d", n, maxFields)
	}
	if got := fs.raw(maxFields); got != "" {
		t.Errorf("raw beyond the split = %q, want empty", got)
	}
	if got := fs.raw(-1); got != "" {
		t.Errorf("raw(-1) = %q, want empty", got)
	}
}

func TestSplitFieldsResumes(t *testing.T) {
	var fs fields
	fs.reset("a,b,c,d", 0)
	if n := fs.splitTo(2); n != 2 {
		t.Fatalf("splitTo(2) = %d", n)
	}
	if n := fs.splitTo(10); n != 4 || fs.raw(3) != "d" {
		t.Fatalf("resumed split = %d fields, last %q", n, fs.raw(3))
	}
}
