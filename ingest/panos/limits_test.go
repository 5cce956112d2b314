package panos

import (
	"strings"
	"testing"
	"time"
)

// TestPathologicalLinesAreFast guards against quadratic behaviour on hostile input.
func TestPathologicalLinesAreFast(t *testing.T) {
	const n = 1 << 20
	lines := map[string]string{
		"open braces":    "1,2025/06/20 15:22:38,1,TRAFFIC," + strings.Repeat("{", n),
		"quotes":         "1,2025/06/20 15:22:38,1,TRAFFIC," + strings.Repeat(`"a,`, n/3),
		"commas":         strings.Repeat(",", n),
		"equals":         strings.Repeat("SrcIP=", n/6),
		"semicolons":     "SrcIP=1.2.3.4;" + strings.Repeat(";", n),
		"timestamps":     strings.Repeat(",2025/06/20 15:22:38", n/20),
		"header tokens":  strings.Repeat("Jan  1 00:00:00 h ", n/18),
		"nested braces":  "1,2025/06/20 15:22:38,1,TRAFFIC," + strings.Repeat("{a,", n/3) + strings.Repeat("}", n/3),
		"threat parens":  threatLine(map[int]string{33: strings.Repeat("(", n/2) + strings.Repeat(")", n/2)}),
		"threat numbers": threatLine(map[int]string{33: strings.Repeat("(1)", n/3)}),
	}
	p := testParser()
	for name, line := range lines {
		start := time.Now()
		_ = p.Parse(line, new(Record))
		_ = SplitHeader(line, goldenOptions())
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Errorf("%s: %v for a %d-byte line", name, d, len(line))
		}
	}
}
