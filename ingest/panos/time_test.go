package panos

import (
	"testing"
	"time"
	"unsafe"
)

func TestParseStamp(t *testing.T) {
	ny := goldenLocation
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" means invalid
	}{
		{"2025/06/20 15:22:38", "2025-06-20T19:22:38Z"},               // EDT
		{"2025/12/03 08:05:09", "2025-12-03T13:05:09Z"},               // EST
		{"2025-06-20 15:22:38", "2025-06-20T19:22:38Z"},               // KV form, zone from Location
		{"2025-06-20T15:22:38", "2025-06-20T19:22:38Z"},               // ISO without offset, zone from Location
		{"2021-05-26T16:27:07.000000Z", "2021-05-26T16:27:07Z"},       // CDL
		{"2023-07-06T08:11:40.288+02:00", "2023-07-06T06:11:40.288Z"}, // high-resolution timestamp
		{"2018-09-19T11:50:32-05:00", "2018-09-19T16:50:32Z"},
		{"2018-09-19T11:50:32-0500", "2018-09-19T16:50:32Z"},
		{"2018-09-19T11:50:32+05", "2018-09-19T06:50:32Z"},
		{"2021-05-26T16:27:07.123456789123Z", "2021-05-26T16:27:07.123456789Z"},
		{"2024/02/29 00:00:00", "2024-02-29T05:00:00Z"},
		{"2020/00/00 00:00:00", ""},
		{"2020/06/00 00:00:00", ""},
		{"2023/02/29 00:00:00", ""},
		{"2025/13/01 00:00:00", ""},
		{"2025/06/20 24:00:00", ""},
		{"2025/06/20 23:60:00", ""},
		{"2025/06/20 23:59:60", ""},
		{"1969/12/31 23:59:59", ""},
		{"0000/01/01 00:00:00", ""},
		{"2025/06/20 15:22:38x", ""},
		{"2025/06-20 15:22:38", ""},
		{"2025/06/20", ""},
		{"2025-06-20T15:22:38+25:00", ""},
		{"2025-06-20T15:22:38.Z", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := parseStamp(tt.in, ny)
		if tt.want == "" {
			if ok {
				t.Errorf("parseStamp(%q) = %v, want invalid", tt.in, got)
			}
			continue
		}
		if !ok || got.UTC().Format(time.RFC3339Nano) != tt.want {
			t.Errorf("parseStamp(%q) = %v, %v; want %s", tt.in, got.UTC(), ok, tt.want)
		}
	}
}

func TestBSDYearGuess(t *testing.T) {
	utc := time.UTC
	tests := []struct {
		stamp string
		now   time.Time
		want  string
	}{
		{"Dec 31 23:59:50", time.Date(2026, 1, 10, 12, 0, 0, 0, utc), "2025-12-31T23:59:50Z"},
		{"Jan  1 00:00:05", time.Date(2025, 12, 31, 23, 59, 0, 0, utc), "2026-01-01T00:00:05Z"},
		{"Jun 15 10:00:00", time.Date(2026, 6, 16, 0, 0, 0, 0, utc), "2026-06-15T10:00:00Z"},
		{"Feb 29 12:00:00", time.Date(2025, 3, 1, 0, 0, 0, 0, utc), "2024-02-29T12:00:00Z"},
		{"Mar 23 2017 07:27:36", time.Date(2026, 1, 1, 0, 0, 0, 0, utc), "2017-03-23T07:27:36Z"},
	}
	for _, tt := range tests {
		b, n := scanBSD(tt.stamp)
		if n != len(tt.stamp) {
			t.Fatalf("scanBSD(%q) read %d bytes, want %d", tt.stamp, n, len(tt.stamp))
		}
		got, ok := b.time(utc, tt.now)
		if !ok || got.Format(time.RFC3339) != tt.want {
			t.Errorf("%q at %v = %v, %v; want %s", tt.stamp, tt.now, got, ok, tt.want)
		}
	}
}

func TestScanBSDRejects(t *testing.T) {
	for _, in := range []string{"Foo 12 10:00:00", "Jan 123 10:00:00", "Jan 1 10:00", "Jan  1 10:00:00x", "Jan", "January 1 10:00:00"} {
		if _, n := scanBSD(in); n != 0 {
			t.Errorf("scanBSD(%q) = %d, want 0", in, n)
		}
	}
	if b, n := scanBSD("May 00 00:00:00"); n == 0 {
		t.Error("scanBSD should accept the shape of a day-00 placeholder")
	} else if _, ok := b.time(time.UTC, time.Now()); ok {
		t.Error("day 00 must not convert to a time")
	}
}

// TestTimeCacheCopiesKey simulates a caller that reuses its line buffer (unsafe string
// over a []byte): the cache must not return the previous line's time.
func TestTimeCacheCopiesKey(t *testing.T) {
	a := trafficLine(map[int]string{2: "2025/06/20 15:22:38", 7: "2025/06/20 15:22:38"})
	b := trafficLine(map[int]string{2: "2025/06/20 15:22:39", 7: "2025/06/20 15:22:39"})
	if len(a) != len(b) {
		t.Fatal("test lines must have the same length")
	}
	buf := []byte(a)
	line := unsafe.String(&buf[0], len(buf))
	p := testParser()
	var r Record
	if err := p.Parse(line, &r); err != nil {
		t.Fatal(err)
	}
	first := r.Time
	copy(buf, b)
	if err := p.Parse(line, &r); err != nil {
		t.Fatal(err)
	}
	if got := r.Time.Sub(first); got != time.Second {
		t.Errorf("second line time differs by %v from the first, want 1s (stale cache?)", got)
	}
}

func TestTimeCacheHitsBothSlots(t *testing.T) {
	p := testParser()
	var r Record
	line := trafficLine(map[int]string{2: "2025/06/20 15:22:38", 7: "2025/06/20 15:22:30"})
	for i := 0; i < 3; i++ {
		if err := p.Parse(line, &r); err != nil {
			t.Fatal(err)
		}
		if r.Time.Sub(r.Generated) != 8*time.Second {
			t.Fatalf("iteration %d: Time-Generated = %v, want 8s", i, r.Time.Sub(r.Generated))
		}
	}
}
