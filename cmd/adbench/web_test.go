package main

import (
	"os"
	"strings"
	"testing"
)

// TestWebBenchRuns runs the web benchmark on a small load: every page must
// answer with its content and every baseline query return rows (webBench
// fails otherwise).
func TestWebBenchRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the embedded engine")
	}
	if os.Getenv("AD_CHDB_LIB") == "" && os.Getenv("CI") != "true" {
		t.Skip("embedded engine not installed (run make setup)")
	}
	if err := webBench([]string{"-rows", "40000", "-chunk", "20000", "-reps", "1", "-settle", "0"}); err != nil {
		if strings.Contains(err.Error(), "libchdb.so not found") && os.Getenv("CI") != "true" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
}
