package schema

import (
	"encoding/hex"
	"net/netip"
	"testing"
	"time"
)

func TestEscapeTSV(t *testing.T) {
	for in, want := range map[string]string{
		"plain":       "plain",
		"a\tb\nc\\d":  `a\tb\nc\\d`,
		"nul\x00cr\r": `nul\0cr\r`,
	} {
		if got := EscapeTSV(in); got != want {
			t.Errorf("EscapeTSV(%q) = %q, want %q", in, got, want)
		}
		if got := UnescapeTSV(want); got != in {
			t.Errorf("UnescapeTSV(%q) = %q, want %q", want, got, in)
		}
	}
	if got := UnescapeTSV(`it\'s \"q\" trailing\`); got != `it's "q" trailing\` {
		t.Errorf("UnescapeTSV quotes = %q", got)
	}
}

func FuzzTSVEscape(f *testing.F) {
	for _, s := range []string{"", "a\tb", "\\", "\x00\n\r\b\f", "ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := UnescapeTSV(EscapeTSV(s)); got != s {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}

func TestParamsText(t *testing.T) {
	names, values, err := Params{
		"s": "a\tb", "n": -3, "u": uint16(7), "b": true, "t": time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)),
		"ip": netip.MustParseAddr("10.0.0.1"), "arr": []string{"x", "it's"},
	}.Text()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for i := range names {
		got[names[i]] = values[i]
	}
	want := map[string]string{"s": `a\tb`, "n": "-3", "u": "7", "b": "1", "t": "2026-01-02 02:04:05",
		"ip": "10.0.0.1", "arr": `['x','it\'s']`}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("param %s = %q, want %q", k, got[k], v)
		}
	}
	if names[0] != "arr" || names[len(names)-1] != "u" {
		t.Errorf("names not sorted: %v", names)
	}
}

func TestNative(t *testing.T) {
	var (
		s  StringColumn
		u  UInt16Column
		e  Int8Column
		dt DateTimeColumn
		ip IPv6Column
	)
	s.Append("ab")
	s.Append("")
	u = append(u, 0x0102, 7)
	e = append(e, 5, -1)
	dt.AppendTime(time.Unix(0x01020304, 0))
	dt.AppendTime(time.Unix(-5, 0)) // clamped to 0
	ip.AppendAddr(netip.MustParseAddr("1.2.3.4"))
	ip.AppendAddr(netip.Addr{})
	b := &Block{Table: "t", Columns: []NamedColumn{{"s", &s}, {"u", &u}, {"e", &e}, {"dt", &dt}, {"ip", &ip}}}
	enc, err := NewNativeEncoder(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := enc.Next(nil)
	str := func(x string) string { return hex.EncodeToString([]byte{byte(len(x))}) + hex.EncodeToString([]byte(x)) }
	want := "05" + "02" + // columns, rows
		str("s") + str("String") + "02" + "6162" + "00" +
		str("u") + str("UInt16") + "0201" + "0700" +
		str("e") + str("Int8") + "05" + "ff" +
		str("dt") + str("DateTime") + "04030201" + "00000000" +
		str("ip") + str("IPv6") + "00000000000000000000ffff01020304" + "00000000000000000000000000000000"
	if hex.EncodeToString(got) != want {
		t.Fatalf("Native =\n%x\nwant\n%s", got, want)
	}
	if enc.Next(nil) != nil {
		t.Fatal("encoder not exhausted")
	}
	enc, _ = NewNativeEncoder(b, 1) // one row per Native block
	first, second := enc.Next(nil), enc.Next(nil)
	if first[1] != 1 || second[1] != 1 || enc.Next(nil) != nil {
		t.Fatalf("blocks of one row: %x %x", first, second)
	}
}

func TestBlockRowsMismatch(t *testing.T) {
	u := UInt16Column{1, 2}
	v := UInt16Column{1}
	if _, err := (&Block{Table: "t", Columns: []NamedColumn{{"u", &u}, {"v", &v}}}).Rows(); err == nil {
		t.Fatal("mismatched columns accepted")
	}
	if _, err := NewNativeEncoder(&Block{Table: "t", Columns: []NamedColumn{{"x", &UInt8Column{}}, {"y", unknownColumn{}}}}, 0); err == nil {
		t.Fatal("unknown column type accepted")
	}
}

func TestScanText(t *testing.T) {
	var a netip.Addr
	if err := ScanText(&a, "::ffff:1.2.3.4"); err != nil || a != netip.MustParseAddr("1.2.3.4") {
		t.Errorf("mapped address: %v %v", a, err)
	}
	var tm time.Time
	if err := ScanText(&tm, "2026-01-02 03:04:05.123"); err != nil || tm.Nanosecond() != 123000000 {
		t.Errorf("DateTime64: %v %v", tm, err)
	}
	var u uint8
	if err := ScanText(&u, "x"); err == nil {
		t.Error("bad number accepted")
	}
	var c complex64
	if err := ScanText(&c, "1"); err == nil {
		t.Error("unsupported destination accepted")
	}
}

func TestValidDedupToken(t *testing.T) {
	for tok, ok := range map[string]bool{"fw1:0a:10:20": true, "": false, "a b": false, "x'": false, "ok.Z_-9": true} {
		if ValidDedupToken(tok) != ok {
			t.Errorf("ValidDedupToken(%q) = %v", tok, !ok)
		}
	}
}

type unknownColumn struct{}

func (unknownColumn) Len() int { return 0 }
func (unknownColumn) Reset()   {}
