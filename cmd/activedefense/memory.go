package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
)

// memory.limit is the memory budget of a process running the embedded
// engine: its resident set, the engine's mapped code included. README.md
// "Memory" says what each part takes.
const (
	defaultMemoryLimit = "512MiB"
	minMemoryLimit     = 320 << 20
	// codeReserve is what the mapped code takes of the budget: libchdb.so
	// and this binary, about 215-225 MB resident under load (measured;
	// file-backed pages, shared and reclaimable, but counted in RSS).
	codeReserve = 224 << 20
	// mallocConf makes the engine's jemalloc hand freed pages back within
	// a second instead of ten (it only reads it at start-up).
	mallocConf = "dirty_decay_ms:1000,muzzy_decay_ms:0"
)

// memoryPlan is how a memory limit is shared out.
type memoryPlan struct {
	goLimit int64             // Go soft limit (debug.SetMemoryLimit)
	buffer  int64             // ingest: bytes of lines held by all unflushed batches
	engine  map[string]string // engine settings applied at boot
}

// planMemory shares out limit; 0 means no limits (the engine then sizes
// itself from the machine's memory). Of what the code leaves: the engine
// may track all of it (queries over it fail), merges are not started past
// a quarter, Go collects harder past a quarter, ingest buffers a sixteenth,
// and the engine's caches get small fixed shares.
func planMemory(limit int64) memoryPlan {
	if limit <= 0 {
		return memoryPlan{}
	}
	rest := max(limit-codeReserve, 64<<20)
	size := func(n int64) string { return strconv.FormatInt(n, 10) }
	cache := rest / 32
	return memoryPlan{goLimit: rest / 4, buffer: max(rest/16, 4<<20), engine: map[string]string{
		"max_server_memory_usage":                  size(rest),
		"merges_mutations_memory_usage_soft_limit": size(rest / 4),
		"mark_cache_size":                          size(2 * cache),
		"primary_index_cache_size":                 size(cache),
		"compiled_expression_cache_size":           size(cache),
		"index_mark_cache_size":                    size(cache / 2),
		"query_condition_cache_size":               size(cache / 2),
		"skipping_index_cache_size":                size(cache / 2),
		"uncompressed_cache_size":                  "0",
		"index_uncompressed_cache_size":            "0",
		"vector_similarity_index_cache_size":       size(cache / 4),
		"text_index_dictionary_block_cache_size":   size(cache / 4),
		"text_index_header_cache_size":             size(cache / 4),
		"text_index_postings_cache_size":           size(cache / 4),
		"iceberg_metadata_files_cache_size":        size(cache / 4),
	}}
}

// applyGo sets the Go soft memory limit, unless GOMEMLIMIT is set.
func (p memoryPlan) applyGo(env func(string) string) {
	if p.goLimit > 0 && env("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(p.goLimit)
	}
}

// reexecForMalloc starts this program again with JE_MALLOC_CONF set when a
// limit applies and the variable is not set: the engine's allocator reads
// it once, when libchdb.so loads. It returns only when it did nothing
// (nil) or could not (an error, after which serve goes on without).
func (p memoryPlan) reexecForMalloc(env func(string) string) error {
	if p.goLimit == 0 || env("JE_MALLOC_CONF") != "" || env("AD_NO_REEXEC") != "" {
		return nil
	}
	environ := append(os.Environ(), "JE_MALLOC_CONF="+mallocConf)
	// /proc/self/exe still runs this binary when its file was replaced.
	return fmt.Errorf("restarting with JE_MALLOC_CONF: %w", syscall.Exec("/proc/self/exe", os.Args, environ))
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
