package panos

import "testing"

func TestFormatString(t *testing.T) {
	tests := []struct {
		f    Format
		want string
	}{{FormatUnknown, "unknown"}, {FormatCSV, "csv"}, {FormatKV, "kv"}, {Format(9), "unknown"}}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("Format(%d).String() = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestSeverityString(t *testing.T) {
	tests := []struct {
		s    Severity
		want string
	}{
		{SeverityNone, ""}, {SeverityInformational, "informational"}, {SeverityLow, "low"},
		{SeverityMedium, "medium"}, {SeverityHigh, "high"}, {SeverityCritical, "critical"}, {Severity(42), ""},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Severity(%d).String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in   string
		want Severity
		ok   bool
	}{
		{"informational", SeverityInformational, true},
		{"Informational", SeverityInformational, true},
		{"LOW", SeverityLow, true},
		{" medium ", SeverityMedium, true},
		{"\thigh", SeverityHigh, true},
		{"Critical", SeverityCritical, true},
		{"", SeverityNone, false},
		{"info", SeverityNone, false},
		{"severe", SeverityNone, false},
		{"5", SeverityNone, false},
		{"critical!", SeverityNone, false},
	}
	for _, tt := range tests {
		got, ok := ParseSeverity(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseSeverity(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
