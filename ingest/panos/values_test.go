package panos

import (
	"net/netip"
	"testing"
)

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means invalid
	}{
		{"10.1.2.3", "10.1.2.3"},
		{"0.0.0.0", "0.0.0.0"},
		{"255.255.255.255", "255.255.255.255"},
		{" 192.0.2.1 ", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:10.9.8.7", "10.9.8.7"},
		{"::ffff:0a09:0807", "10.9.8.7"},
		{"fe80::1%ethernet1/1", "fe80::1%ethernet1/1"},
		{"::", "::"},
		{"256.1.1.1", ""},
		{"10.1.2", ""},
		{"10.1.2.3.4", ""},
		{"010.1.2.3", ""},
		{"00.00.000.00", ""},
		{"1.2.3.-4", ""},
		{"23.200", ""},
		{"", ""},
		{"host.example.com", ""},
		{"10.1.2.3 4", ""},
	}
	for _, tt := range tests {
		got, ok := parseAddr(tt.in)
		if tt.want == "" {
			if ok {
				t.Errorf("parseAddr(%q) = %v, want invalid", tt.in, got)
			}
			continue
		}
		if !ok || got.String() != tt.want {
			t.Errorf("parseAddr(%q) = %v, %v; want %s", tt.in, got, ok, tt.want)
		}
		if got.Is4In6() {
			t.Errorf("parseAddr(%q) returned a 4in6 address", tt.in)
		}
	}
}

func TestParseAddrIPv4Is4Byte(t *testing.T) {
	for _, in := range []string{"10.1.2.3", "::ffff:10.1.2.3"} {
		a, _ := parseAddr(in)
		if !a.Is4() || a != netip.MustParseAddr("10.1.2.3") {
			t.Errorf("parseAddr(%q) = %v, want the 4-byte form of 10.1.2.3", in, a)
		}
	}
}

func TestSplitThreat(t *testing.T) {
	tests := []struct {
		in   string
		name string
		id   uint64
	}{
		{"SSH User Authentication Brute Force Attempt(40015)", "SSH User Authentication Brute Force Attempt", 40015},
		{"Windows Executable (EXE)(52020)", "Windows Executable (EXE)", 52020},
		{"Suspicious DNS Query (generic:comparetvs.net)(320511141)", "Suspicious DNS Query (generic:comparetvs.net)", 320511141},
		{"(9999)", "", 9999},
		{"SCAN: Host Sweep(8002)", "SCAN: Host Sweep", 8002},
		{"Name ( 123 ) ", "Name", 123},
		{"Foo(12) bar", "Foo(12) bar", 12},
		{"PII", "PII", 0},
		{"Windows Executable (EXE)", "Windows Executable (EXE)", 0},
		{"", "", 0},
		{"()", "()", 0},
		{"x(99999999999999999999999)", "x(99999999999999999999999)", 0},
		{"x(18446744073709551615)", "x", 18446744073709551615},
		{")(", ")(", 0},
	}
	for _, tt := range tests {
		name, id := splitThreat(tt.in)
		if name != tt.name || id != tt.id {
			t.Errorf("splitThreat(%q) = %q, %d; want %q, %d", tt.in, name, id, tt.name, tt.id)
		}
	}
}

func TestParseUint(t *testing.T) {
	tests := []struct {
		in    string
		limit uint64
		want  uint64
		ok    bool
	}{
		{"", 65535, 0, true},
		{"0", 65535, 0, true},
		{"65535", 65535, 65535, true},
		{"65536", 65535, 0, false},
		{" 443 ", 65535, 443, true},
		{"-1", 65535, 0, false},
		{"+1", 65535, 0, false},
		{"0x10", 65535, 0, false},
		{"18446744073709551615", 1<<64 - 1, 1<<64 - 1, true},
		{"18446744073709551616", 1<<64 - 1, 0, false},
		{"4294967296", 1<<32 - 1, 0, false},
	}
	for _, tt := range tests {
		got, ok := parseUint(tt.in, tt.limit)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseUint(%q, %d) = %d, %v; want %d, %v", tt.in, tt.limit, got, ok, tt.want, tt.ok)
		}
	}
}
