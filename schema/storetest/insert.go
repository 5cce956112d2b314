package storetest

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/activedefense/activedefense/schema"
)

const allTypesDDL = `CREATE TABLE all_types (
	s String, lc LowCardinality(String), u8 UInt8, u16 UInt16, u32 UInt32, u64 UInt64,
	e Enum8('' = 0, 'low' = 2, 'high' = 4), dt DateTime('UTC'), ip IPv6
) ENGINE = MergeTree ORDER BY u64 SETTINGS non_replicated_deduplication_window = 100`

func allTypesBlock(n int) *schema.Block {
	var (
		s, lc schema.StringColumn
		u8    schema.UInt8Column
		u16   schema.UInt16Column
		u32   schema.UInt32Column
		u64   schema.UInt64Column
		e     schema.Int8Column
		dt    schema.DateTimeColumn
		ip    schema.IPv6Column
	)
	base := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		s.Append("row\t" + strings.Repeat("x", i%7) + "\n\\")
		lc.Append([]string{"allow", "deny", "reset both"}[i%3])
		u8 = append(u8, uint8(i))
		u16 = append(u16, uint16(i*7))
		u32 = append(u32, uint32(i*100000))
		u64 = append(u64, uint64(i)<<40)
		e = append(e, []int8{0, 2, 4}[i%3])
		dt.AppendTime(base.Add(time.Duration(i) * time.Second))
		if i%2 == 0 {
			ip.AppendAddr(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
		} else {
			ip.AppendAddr(netip.MustParseAddr("2001:db8::" + strings.Repeat("1", 1+i%3)))
		}
	}
	return &schema.Block{Table: "all_types", Columns: []schema.NamedColumn{
		{Name: "s", Data: &s}, {Name: "lc", Data: &lc}, {Name: "u8", Data: &u8}, {Name: "u16", Data: &u16},
		{Name: "u32", Data: &u32}, {Name: "u64", Data: &u64}, {Name: "e", Data: &e}, {Name: "dt", Data: &dt},
		{Name: "ip", Data: &ip},
	}}
}

func testInsertBlock(t *testing.T, st schema.Store) {
	mustExec(t, st, allTypesDDL, nil)
	const n = 25000 // several Native blocks of 8192 rows
	if err := st.Insert(ctx(t), allTypesBlock(n), schema.InsertOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st, "SELECT count() FROM all_types"); got != n {
		t.Fatalf("count = %d, want %d", got, n)
	}
	var (
		s, lc, e string
		u8       uint8
		u16      uint16
		u32      uint32
		u64      uint64
		dt       time.Time
		ip       netip.Addr
	)
	err := schema.QueryRow(ctx(t), st, "SELECT s, lc, u8, u16, u32, u64, e, dt, ip FROM all_types WHERE u64 = {k:UInt64}",
		schema.Params{"k": uint64(1234) << 40}, &s, &lc, &u8, &u16, &u32, &u64, &e, &dt, &ip)
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 28, 0, 20, 34, 0, time.UTC)
	if s != "row\t"+strings.Repeat("x", 1234%7)+"\n\\" || lc != "deny" || u8 != uint8(1234%256) ||
		u16 != 1234*7 || u32 != 123400000 || e != "low" || !dt.Equal(want) || ip != netip.AddrFrom4([4]byte{192, 0, 2, 1234 % 256}) {
		t.Fatalf("row 1234 = %q %q %d %d %d %q %v %v", s, lc, u8, u16, u32, e, dt, ip)
	}
	want11 := uint64(0) // rows with ip 2001:db8::11: odd i with i%3 == 1
	for i := 0; i < n; i++ {
		if i%6 == 1 {
			want11++
		}
	}
	if got := count(t, st, "SELECT count() FROM all_types WHERE ip = toIPv6('2001:db8::11')"); got != want11 {
		t.Errorf("ipv6 rows = %d, want %d", got, want11)
	}
}

func testInsertDedup(t *testing.T, st schema.Store) {
	mustExec(t, st, allTypesDDL, nil)
	b := allTypesBlock(100)
	for i := 0; i < 3; i++ {
		if err := st.Insert(ctx(t), b, schema.InsertOptions{DedupToken: "dev1:f:0:100"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := count(t, st, "SELECT count() FROM all_types"); got != 100 {
		t.Fatalf("after 3 inserts with one token: count = %d, want 100", got)
	}
	if err := st.Insert(ctx(t), b, schema.InsertOptions{DedupToken: "dev1:f:100:200"}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, st, "SELECT count() FROM all_types"); got != 200 {
		t.Fatalf("after a new token: count = %d, want 200", got)
	}
}

func testInsertErrors(t *testing.T, st schema.Store) {
	mustExec(t, st, allTypesDDL, nil)
	b := allTypesBlock(3)
	if err := st.Insert(ctx(t), b, schema.InsertOptions{DedupToken: "bad token'"}); err == nil {
		t.Error("invalid token accepted")
	}
	*(b.Columns[2].Data.(*schema.UInt8Column)) = nil
	if err := st.Insert(ctx(t), b, schema.InsertOptions{}); err == nil {
		t.Error("columns of different lengths accepted")
	}
	missing := &schema.Block{Table: "no_such_table", Columns: allTypesBlock(2).Columns}
	if err := st.Insert(ctx(t), missing, schema.InsertOptions{}); err == nil {
		t.Error("insert into a missing table succeeded")
	}
	empty := allTypesBlock(0)
	if err := st.Insert(ctx(t), empty, schema.InsertOptions{}); err != nil {
		t.Errorf("empty block: %v", err)
	}
	if got := count(t, st, "SELECT count() FROM all_types"); got != 0 {
		t.Errorf("failed inserts stored %d rows", got)
	}
}
