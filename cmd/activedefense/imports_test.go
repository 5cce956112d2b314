package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The house rules on imports (STYLE.md 6.1): schema is the leaf, ingest,
// detect and web never import each other, and only cmd wires the engines.

const module = "github.com/activedefense/activedefense"

// goPackage is what `go list -json` says of a package.
type goPackage struct {
	ImportPath   string
	Standard     bool
	Deps         []string // transitive, without tests
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// area is the top-level part of the module a package belongs to.
func area(path string) string {
	rest, ok := strings.CutPrefix(path, module+"/")
	if !ok {
		return ""
	}
	first, _, _ := strings.Cut(rest, "/")
	return first
}

func under(path, dir string) bool {
	return path == module+"/"+dir || strings.HasPrefix(path, module+"/"+dir+"/")
}

// importViolations lists every broken rule.
func importViolations(pkgs []goPackage) []string {
	var out []string
	apart := []string{"ingest", "detect", "web"}
	for _, p := range pkgs {
		from := area(p.ImportPath)
		tests := slices.Concat(p.TestImports, p.XTestImports)
		for _, dep := range slices.Concat(p.Deps, tests) {
			to := area(dep)
			switch {
			case to == "" || to == from:
			case slices.Contains(apart, from) && slices.Contains(apart, to):
				out = append(out, p.ImportPath+" imports "+dep+": ingest, detect and web never import each other")
			case from == "schema" && to != "schema":
				out = append(out, p.ImportPath+" imports "+dep+": schema imports nothing of the project")
			}
		}
		for _, dep := range p.Deps {
			engine := under(dep, "schema/chembed") || under(dep, "schema/chserver")
			if engine && from != "cmd" && !under(p.ImportPath, "schema/chembed") && !under(p.ImportPath, "schema/chserver") {
				out = append(out, p.ImportPath+" imports "+dep+": only cmd wires the engines")
			}
		}
		if p.ImportPath == module+"/schema" {
			for _, imp := range p.Imports {
				if !isStandard(imp, pkgs) {
					out = append(out, p.ImportPath+" imports "+imp+": schema uses the standard library only")
				}
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func isStandard(path string, pkgs []goPackage) bool {
	for _, p := range pkgs {
		if p.ImportPath == path {
			return p.Standard
		}
	}
	return !strings.Contains(strings.Split(path, "/")[0], ".")
}

func TestImportRules(t *testing.T) {
	cmd := exec.Command("go", "list", "-e", "-deps", "-json=ImportPath,Standard,Deps,Imports,TestImports,XTestImports", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[area(p.ImportPath)] = true
	}
	for _, a := range []string{"schema", "ingest", "detect", "web", "cmd"} {
		if !seen[a] {
			t.Fatalf("go list found no %s packages: %d packages", a, len(pkgs))
		}
	}
	for _, v := range importViolations(pkgs) {
		t.Error(v)
	}
}

// TestImportRulesCatchViolations: the checker finds each kind of breach.
func TestImportRulesCatchViolations(t *testing.T) {
	p := func(path string, deps ...string) goPackage {
		full := make([]string, len(deps))
		for i, d := range deps {
			full[i] = module + "/" + d
		}
		return goPackage{ImportPath: module + "/" + path, Deps: full}
	}
	tests := []struct {
		name string
		pkg  goPackage
		want string
	}{
		{name: "web imports detect", pkg: p("web/ui", "detect"), want: "ingest, detect and web never import each other"},
		{name: "ingest imports web", pkg: p("ingest/panos", "web/edl"), want: "ingest, detect and web never import each other"},
		{name: "detect test imports ingest", pkg: goPackage{ImportPath: module + "/detect", XTestImports: []string{module + "/ingest/pangen"}},
			want: "ingest, detect and web never import each other"},
		{name: "schema imports ingest", pkg: p("schema/storetest", "ingest"), want: "schema imports nothing of the project"},
		{name: "detect imports chembed", pkg: p("detect", "schema/chembed"), want: "only cmd wires the engines"},
		{name: "schema imports a module", pkg: goPackage{ImportPath: module + "/schema", Imports: []string{"github.com/sirupsen/logrus"}},
			want: "schema uses the standard library only"},
		{name: "cmd wires everything", pkg: p("cmd/activedefense", "ingest", "detect", "web", "schema/chembed")},
		{name: "chembedtest in a test", pkg: goPackage{ImportPath: module + "/ingest", TestImports: []string{module + "/schema/chembed/chembedtest"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(importViolations([]goPackage{tc.pkg}), "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("violations %q, want %q", got, tc.want)
			}
		})
	}
}
