package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Flag values bound to the settings' fields.
type (
	strVal  struct{ p *string }
	boolVal struct{ p *bool }
	intVal  struct {
		p   *int
		min int
	}
	durVal  struct{ p *time.Duration }
	enumVal struct {
		p      *string
		values []string
	}
	sizeVal struct{ p *int64 }
)

func (v strVal) Set(s string) error { *v.p = s; return nil }
func (v strVal) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v enumVal) Set(s string) error {
	if !slices.Contains(v.values, s) {
		return fmt.Errorf("want %s, got %q", strings.Join(v.values, ", "), s)
	}
	*v.p = s
	return nil
}

func (v enumVal) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}

func (v boolVal) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", s)
	}
	*v.p = b
	return nil
}

func (v boolVal) String() string   { return strconv.FormatBool(v.p != nil && *v.p) }
func (v boolVal) IsBoolFlag() bool { return true }

func (v intVal) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < v.min {
		return fmt.Errorf("want a whole number of at least %d, got %q", v.min, s)
	}
	*v.p = n
	return nil
}

func (v intVal) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}

func (v durVal) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || d < 0 {
		return fmt.Errorf("want a duration such as 30s or 5m, got %q", s)
	}
	*v.p = d
	return nil
}

func (v durVal) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}

func (v sizeVal) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

func (v sizeVal) String() string {
	if v.p == nil {
		return "0"
	}
	return formatSize(*v.p)
}

var sizeUnits = map[string]int64{"": 1, "b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40}

// parseSize reads a byte size: a number and a unit (B, kB, MB, GB, KiB,
// MiB, GiB, ...; none means bytes).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i < 0 {
		i = len(t)
	}
	n, err := strconv.ParseFloat(t[:i], 64)
	mult, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if err != nil || !ok || n < 0 || n*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("want a size such as 512MiB or 2GiB, got %q", s)
	}
	return int64(n * float64(mult)), nil
}

// formatSize writes a size in the largest binary unit that divides it.
func formatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}
