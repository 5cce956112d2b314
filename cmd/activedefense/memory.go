package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// memory.limit is the budget of a process that runs the embedded engine.
const (
	defaultMemoryLimit = "0"
	minMemoryLimit     = 128 << 20
)

// memoryPlan is how a memory limit is shared out.
type memoryPlan struct {
	goLimit int64             // Go soft limit (debug.SetMemoryLimit)
	engine  map[string]string // engine settings applied at boot
}

// planMemory shares out limit; 0 means no limits (the engine's own
// defaults, which size themselves from the machine's memory).
func planMemory(limit int64) memoryPlan {
	if limit <= 0 {
		return memoryPlan{}
	}
	p := memoryPlan{goLimit: limit / 4, engine: map[string]string{
		"max_server_memory_usage": strconv.FormatInt(limit/2, 10),
	}}
	return p
}

// applyGo sets the Go soft memory limit, unless GOMEMLIMIT is set.
func (p memoryPlan) applyGo(env func(string) string) {
	if p.goLimit > 0 && env("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(p.goLimit)
	}
}

// procStatusField reads a kB field of /proc/PID/status ("self" for this
// process), in bytes.
func procStatusField(pid, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%s/status", field, pid)
}
