package chembed

import (
	"fmt"
	"strings"

	"github.com/activedefense/activedefense/schema"
)

// The embedded engine runs as clickhouse-local, where readonly=1 still
// lets a few read-only statements reach outside the store:
//
//   - the file() function reads any file the process can read (a server
//     confines it to user_files_path; local mode does not);
//   - DESCRIBE of a table function infers the schema by reading the file or
//     fetching the URL (DESC file('/x', 'TSVWithNames') returns its first
//     line);
//   - system.models starts the library bridge and ignores
//     max_execution_time (about two minutes), system.stack_trace signals
//     every thread of the process, Go's included.
//
// checkAST finds these in the engine's own parse of the statement (EXPLAIN
// AST, after parameter substitution), so quoting and escapes such as
// `fil\x65` cannot hide them.

// deniedFunctions are functions and table functions refused anywhere in a
// statement (lower case). merge and loop are refused because they reach
// tables by pattern or argument rather than by name.
var deniedFunctions = map[string]bool{
	"file": true, "catboostevaluate": true, "hascolumnintable": true, "merge": true, "loop": true,
}

// deniedTables are system tables refused by name, in any database.
var deniedTables = map[string]bool{"models": true, "stack_trace": true}

// checkAST refuses a statement that reaches outside the store despite
// readonly=1; p are the statement's parameters.
func (c *conn) checkAST(query string, p map[string]string) error {
	out, err := c.queryText("EXPLAIN AST "+query, "TabSeparatedRaw", p)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if lines[0] == "" {
		return fmt.Errorf("%w (the statement's syntax tree is empty)", schema.ErrNotReadOnly)
	}
	describe := strings.HasPrefix(lines[0], "DescribeQuery")
	for _, l := range lines[1:] {
		if reason := deniedNode(strings.Fields(l), describe); reason != "" {
			return fmt.Errorf("%w (%s)", schema.ErrNotReadOnly, reason)
		}
	}
	return nil
}

// deniedNode says why one syntax tree node is refused; "" if it is not.
func deniedNode(f []string, describe bool) string {
	if len(f) < 1 {
		return ""
	}
	name := ""
	if len(f) > 1 {
		name = strings.ToLower(f[1])
	}
	switch {
	case describe && (f[0] == "Function" || f[0] == "Subquery"):
		return "DESCRIBE of a table function or subquery"
	case f[0] == "Function" && deniedFunctions[name]:
		return "function " + name + " reaches outside the store"
	case f[0] == "TableIdentifier" && deniedTables[name[strings.LastIndexByte(name, '.')+1:]]:
		return "table " + name + " is not available here"
	case f[0] == "Identifier" && strings.HasPrefix(name, "system.") && deniedTables[strings.TrimPrefix(name, "system.")]:
		return "table " + name + " is not available here"
	}
	return ""
}
