package main

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// The parent re-executes this binary for each measurement.
	if len(os.Args) > 1 && len(os.Args[1]) > 6 && os.Args[1][:6] == "child-" {
		if err := child(os.Args[1], os.Args[2:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBenchRuns runs the whole benchmark on small files: both paths must
// store the same rows (parent fails otherwise) for every format.
func TestBenchRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes with the embedded engine")
	}
	if err := parent(3000, 1, []string{"kv", "csv"}); err != nil {
		t.Fatal(err)
	}
}
