package schema

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

//go:embed sql/*.sql
var sqlFS embed.FS

// Layout says how the DDL is rendered: for one node (the embedded engine or a
// single server) or for a cluster. With a cluster name, every statement gets
// ON CLUSTER, MergeTree engines become Replicated*MergeTree, and the
// firewall log tables become a *_local table on every shard plus a
// Distributed table of the plain name sharded by cityHash64(src_ip), so
// per-source detections stay shard-local. Small mutable tables (devices,
// users, settings, ...) are replicated to every node of the cluster.
type Layout struct {
	Database string
	Cluster  string
}

// RenderOptions are the values the DDL depends on.
type RenderOptions struct {
	// RetentionDays is the TTL of the firewall log tables when they are
	// created; later changes go through SetRetention.
	RetentionDays int
	// RejectRetentionDays is the TTL of the rejected-lines table.
	RejectRetentionDays int
}

// DefaultRenderOptions returns the retention defaults.
func DefaultRenderOptions() RenderOptions {
	return RenderOptions{RetentionDays: 90, RejectRetentionDays: 30}
}

// Migration is one versioned DDL file.
type Migration struct {
	Version  int
	Name     string
	Checksum string   // sha256 of the template text, hex
	SQL      []string // rendered statements, in order
}

// Migrations renders every embedded migration for the layout, in version
// order.
func Migrations(l Layout, o RenderOptions) ([]Migration, error) {
	files, err := fs.Glob(sqlFS, "sql/*.sql")
	if err != nil {
		return nil, fmt.Errorf("listing migrations: %w", err)
	}
	sort.Strings(files)
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		m, err := renderMigration(f, l, o)
		if err != nil {
			return nil, err
		}
		if len(out) > 0 && m.Version <= out[len(out)-1].Version {
			return nil, fmt.Errorf("migration %s: version %d is not increasing", f, m.Version)
		}
		out = append(out, m)
	}
	return out, nil
}

func renderMigration(file string, l Layout, o RenderOptions) (Migration, error) {
	src, err := sqlFS.ReadFile(file)
	if err != nil {
		return Migration{}, fmt.Errorf("reading %s: %w", file, err)
	}
	base := strings.TrimSuffix(path.Base(file), ".sql")
	num, name, ok := strings.Cut(base, "_")
	v, err := strconv.Atoi(num)
	if !ok || err != nil {
		return Migration{}, fmt.Errorf("migration file %s: want NNNN_name.sql", file)
	}
	tmpl, err := template.New(base).Funcs(l.funcs()).Option("missingkey=error").Parse(string(src))
	if err != nil {
		return Migration{}, fmt.Errorf("parsing %s: %w", file, err)
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, o); err != nil {
		return Migration{}, fmt.Errorf("rendering %s: %w", file, err)
	}
	sum := sha256.Sum256(src)
	return Migration{Version: v, Name: name, Checksum: hex.EncodeToString(sum[:]), SQL: SplitStatements(buf.String())}, nil
}

func (l Layout) funcs() template.FuncMap {
	return template.FuncMap{
		"db":          func() string { return QuoteIdent(l.Database) },
		"onCluster":   l.onCluster,
		"tbl":         l.table,
		"local":       l.localTable,
		"engine":      l.engine,
		"shardEngine": l.shardEngine,
		"dedupWindow": l.dedupWindow,
		"distributed": l.distributed,
		"clustered":   func() bool { return l.Cluster != "" },
		"quoteString": QuoteString,
	}
}

func (l Layout) onCluster() string {
	if l.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + QuoteIdent(l.Cluster)
}

func (l Layout) table(name string) string {
	return QuoteIdent(l.Database) + "." + QuoteIdent(name)
}

// localTable names the per-shard table of a sharded table.
func (l Layout) localTable(name string) string {
	if l.Cluster == "" {
		return l.table(name)
	}
	return l.table(name + "_local")
}

// engine renders a table engine for a table copied to every node.
func (l Layout) engine(name, args string) string {
	if l.Cluster == "" {
		return name + "(" + args + ")"
	}
	return l.replicated(name, "/clickhouse/tables/{uuid}/all", args)
}

// shardEngine renders a table engine for the local table of a sharded table.
func (l Layout) shardEngine(name, args string) string {
	if l.Cluster == "" {
		return name + "(" + args + ")"
	}
	return l.replicated(name, "/clickhouse/tables/{uuid}/{shard}", args)
}

func (l Layout) replicated(name, zkPath, args string) string {
	a := QuoteString(zkPath) + ", '{replica}'"
	if args != "" {
		a += ", " + args
	}
	return "Replicated" + name + "(" + a + ")"
}

func (l Layout) dedupWindow() string {
	if l.Cluster == "" {
		return "non_replicated_deduplication_window = 10000"
	}
	return "replicated_deduplication_window = 10000"
}

// distributed renders the Distributed table over a sharded local table, or
// nothing when not clustered.
func (l Layout) distributed(name, shardKey string) string {
	if l.Cluster == "" {
		return ""
	}
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s%s AS %s\nENGINE = Distributed(%s, %s, %s, %s);",
		l.table(name), l.onCluster(), l.localTable(name),
		QuoteString(l.Cluster), QuoteString(l.Database), QuoteString(name+"_local"), shardKey)
}

// SplitStatements splits SQL text on semicolons that end a statement,
// ignoring semicolons inside quotes and -- comments, and drops empty
// statements.
func SplitStatements(sql string) []string {
	var out []string
	var cur strings.Builder
	var quote byte
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch {
		case quote != 0:
			cur.WriteByte(c)
			if c == '\\' && i+1 < len(sql) {
				i++
				cur.WriteByte(sql[i])
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote = c
			cur.WriteByte(c)
		case c == '-' && strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				i = len(sql)
			} else {
				i += j - 1
			}
		case c == ';':
			out = appendStatement(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return appendStatement(out, cur.String())
}

func appendStatement(out []string, s string) []string {
	if s = strings.TrimSpace(s); s != "" {
		out = append(out, s)
	}
	return out
}
