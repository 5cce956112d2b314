package schema

import (
	"slices"
	"strings"
	"testing"
)

func TestParseSenders(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []string
		wantErr string
	}{
		{name: "none", in: nil, want: nil},
		{name: "canonical forms", in: []string{" 192.0.2.1 ", "2001:DB8:0:0::1", "::ffff:198.51.100.7", "192.0.2.1"},
			want: []string{"192.0.2.1", "2001:db8::1", "198.51.100.7"}},
		{name: "host name", in: []string{"fw1.example.com"}, wantErr: `invalid sender address "fw1.example.com"`},
		{name: "network", in: []string{"192.0.2.0/24"}, wantErr: `invalid sender address "192.0.2.0/24"`},
		{name: "empty", in: []string{""}, wantErr: `invalid sender address ""`},
		{name: "port", in: []string{"192.0.2.1:514"}, wantErr: `invalid sender address "192.0.2.1:514"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSenders(tc.in)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("ParseSenders(%q): %v", tc.in, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("ParseSenders(%q) = %v, want error containing %s", tc.in, err, tc.wantErr)
			case tc.wantErr == "" && !slices.Equal(got, tc.want):
				t.Fatalf("ParseSenders(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
