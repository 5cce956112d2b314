package schema

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

func renderAll(t *testing.T, l Layout) string {
	t.Helper()
	migs, err := Migrations(l, DefaultRenderOptions())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("-- " + migrationsTableDDL(l) + ";\n\n")
	for _, m := range migs {
		for _, s := range m.SQL {
			b.WriteString(s)
			b.WriteString(";\n\n")
		}
	}
	return b.String()
}

// TestRenderedDDL pins the DDL of each layout in testdata/ddl_*.sql
// (regenerate with -update and review the diff).
func TestRenderedDDL(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layout Layout
	}{
		{"single", Layout{Database: "activedefense"}},
		{"cluster", Layout{Database: "activedefense", Cluster: "prod"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := renderAll(t, tc.layout)
			path := filepath.Join("testdata", "ddl_"+tc.name+".sql")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Fatalf("rendered DDL differs from %s (run go test ./schema -run RenderedDDL -update and review)", path)
			}
		})
	}
}

// TestClusterDDLShape checks the properties cluster mode promises, beyond
// the golden text.
func TestClusterDDLShape(t *testing.T) {
	l := Layout{Database: "ad", Cluster: "prod"}
	migs, err := Migrations(l, DefaultRenderOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migs {
		for _, s := range m.SQL {
			first := strings.SplitN(s, "\n", 2)[0]
			if !strings.Contains(first, "ON CLUSTER `prod`") {
				t.Errorf("statement without ON CLUSTER: %s", first)
			}
			if strings.Contains(s, "ENGINE = MergeTree") || strings.Contains(s, "ENGINE = ReplacingMergeTree") {
				t.Errorf("non-replicated engine in cluster mode: %s", first)
			}
		}
	}
	all := renderAll(t, l)
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS `ad`.`firewall_logs_local` ON CLUSTER `prod`",
		"ENGINE = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')",
		"CREATE TABLE IF NOT EXISTS `ad`.`firewall_logs` ON CLUSTER `prod` AS `ad`.`firewall_logs_local`\nENGINE = Distributed('prod', 'ad', 'firewall_logs_local', cityHash64(src_ip))",
		"ENGINE = Distributed('prod', 'ad', 'rejected_lines_local', cityHash64(device))",
		"ReplicatedReplacingMergeTree('/clickhouse/tables/{uuid}/all', '{replica}', version, deleted)",
		"replicated_deduplication_window = 10000",
		"FROM `ad`.`firewall_logs` AS f", // the view reads the Distributed table
	} {
		if !strings.Contains(all, want) {
			t.Errorf("cluster DDL lacks %q", want)
		}
	}
	single := renderAll(t, Layout{Database: "ad"})
	if strings.Contains(single, "ON CLUSTER") || strings.Contains(single, "Replicated") || strings.Contains(single, "Distributed") {
		t.Error("single-node DDL mentions cluster features")
	}
	if !strings.Contains(single, "non_replicated_deduplication_window = 10000") {
		t.Error("single-node log table has no deduplication window")
	}
}

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"SELECT ';' -- a; comment\n; ;", []string{"SELECT ';'"}},
		{"SELECT 'it\\'s;'; SELECT `a;b`", []string{"SELECT 'it\\'s;'", "SELECT `a;b`"}},
		{"  \n-- only a comment\n", nil},
	}
	for _, tc := range tests {
		got := SplitStatements(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("SplitStatements(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMigrationsAreVersioned(t *testing.T) {
	migs, err := Migrations(Layout{Database: "x"}, DefaultRenderOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(migs) == 0 || migs[0].Version != 1 || len(migs[0].Checksum) != 64 {
		t.Fatalf("migrations = %+v", migs)
	}
	for _, m := range migs {
		for _, s := range m.SQL {
			if strings.Contains(s, "{{") || strings.Contains(s, "<no value>") {
				t.Errorf("unrendered template in %04d: %s", m.Version, s)
			}
		}
	}
}
