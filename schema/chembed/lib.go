package chembed

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"

	"github.com/activedefense/activedefense/schema"
)

// LibVersion is the libchdb.so release the project pins (npm package
// @chdb/lib-linux-x64-gnu); it names the cache directory.
const LibVersion = "26.7.3-stable.1"

// api holds the libchdb functions the binding uses.
type api struct {
	version                  func() string
	setSignalHandlersEnabled func(int32)
	connect                  func(argc int32, argv **byte) unsafe.Pointer
	closeConn                func(connPtr unsafe.Pointer)
	queryN                   func(conn unsafe.Pointer, q *byte, qlen uintptr, f *byte, flen uintptr) unsafe.Pointer
	queryParamsN             func(conn unsafe.Pointer, q *byte, qlen uintptr, f *byte, flen uintptr, names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, n uintptr) unsafe.Pointer
	streamQueryN             func(conn unsafe.Pointer, q *byte, qlen uintptr, f *byte, flen uintptr) unsafe.Pointer
	streamQueryParamsN       func(conn unsafe.Pointer, q *byte, qlen uintptr, f *byte, flen uintptr, names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, n uintptr) unsafe.Pointer
	streamFetch              func(conn, res unsafe.Pointer) unsafe.Pointer
	streamCancel             func(conn, res unsafe.Pointer)
	destroyResult            func(res unsafe.Pointer)
	resultBuffer             func(res unsafe.Pointer) unsafe.Pointer
	resultLength             func(res unsafe.Pointer) uintptr
	resultError              func(res unsafe.Pointer) unsafe.Pointer
	insertN                  func(conn unsafe.Pointer, q *byte, qlen uintptr, f *byte, flen uintptr) unsafe.Pointer
	insertAppend             func(stream unsafe.Pointer, data unsafe.Pointer, n uintptr) int32
	insertDone               func(stream unsafe.Pointer) unsafe.Pointer
	insertError              func(stream unsafe.Pointer) unsafe.Pointer
	insertDestroy            func(stream unsafe.Pointer)
}

var (
	loadOnce sync.Once
	loaded   *api
	loadErr  error
)

// CachePath returns where `make setup` puts libchdb.so.
func CachePath() string {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "activedefense", "chdb-"+LibVersion, "libchdb.so")
}

// findLib resolves the library to load: explicit path, $AD_CHDB_LIB, the
// cache, then the bare soname for the dynamic linker's search.
func findLib(explicit string) (path string, tried []string, err error) {
	if explicit == "" {
		explicit = os.Getenv("AD_CHDB_LIB")
	}
	if explicit != "" {
		if _, err := os.Stat(explicit); err != nil {
			return "", []string{explicit}, fmt.Errorf("libchdb.so at %s: %w", explicit, err)
		}
		return explicit, nil, nil
	}
	if c := CachePath(); c != "" {
		if _, err := os.Stat(c); err == nil {
			return c, nil, nil
		}
		tried = append(tried, c)
	}
	return "libchdb.so", append(tried, "the dynamic linker's standard paths"), nil
}

func loadAPI(explicit string) (*api, error) {
	loadOnce.Do(func() { loaded, loadErr = doLoad(explicit) })
	return loaded, loadErr
}

const installHint = "install it with `make setup` (runs deploy/fetch-chdb.sh), or point --chdb-lib / AD_CHDB_LIB at libchdb.so, or use a ClickHouse server with --clickhouse-dsn"

func doLoad(explicit string) (*api, error) {
	path, tried, err := findLib(explicit)
	if err != nil {
		return nil, fmt.Errorf("%w: %v; %s", schema.ErrEngineUnavailable, err, installHint)
	}
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		where := path
		if len(tried) > 0 {
			where = fmt.Sprintf("%v", tried)
		}
		return nil, fmt.Errorf("%w: libchdb.so not found (looked in %s): %s", schema.ErrEngineUnavailable, where, installHint)
	}
	a := &api{}
	if err := a.register(h); err != nil {
		return nil, fmt.Errorf("%w: %s is not a usable libchdb %s: %v", schema.ErrEngineUnavailable, path, LibVersion, err)
	}
	return a, nil
}

func (a *api) register(h uintptr) (err error) {
	defer func() {
		// purego panics when a symbol is missing; turn it into an error.
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	fns := []struct {
		ptr  any
		name string
	}{
		{&a.version, "chdb_version"},
		{&a.setSignalHandlersEnabled, "chdb_set_signal_handlers_enabled"},
		{&a.connect, "chdb_connect"},
		{&a.closeConn, "chdb_close_conn"},
		{&a.queryN, "chdb_query_n"},
		{&a.queryParamsN, "chdb_query_with_params_n"},
		{&a.streamQueryN, "chdb_stream_query_n"},
		{&a.streamQueryParamsN, "chdb_stream_query_with_params_n"},
		{&a.streamFetch, "chdb_stream_fetch_result"},
		{&a.streamCancel, "chdb_stream_cancel_query"},
		{&a.destroyResult, "chdb_destroy_query_result"},
		{&a.resultBuffer, "chdb_result_buffer"},
		{&a.resultLength, "chdb_result_length"},
		{&a.resultError, "chdb_result_error"},
		{&a.insertN, "chdb_stream_insert_n"},
		{&a.insertAppend, "chdb_stream_append"},
		{&a.insertDone, "chdb_stream_done"},
		{&a.insertError, "chdb_stream_insert_error"},
		{&a.insertDestroy, "chdb_destroy_insert_stream"},
	}
	fns = append(fns, classifySymbols()...)
	fns = append(fns, backupSymbols()...)
	for _, f := range fns {
		if _, err := purego.Dlsym(h, f.name); err != nil {
			return fmt.Errorf("missing symbol %s", f.name)
		}
		purego.RegisterLibFunc(f.ptr, h, f.name)
	}
	return nil
}

// goString copies a NUL-terminated C string.
func goString(p unsafe.Pointer) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(p, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(p), n))
}

// cBytes returns a pointer to s's bytes and its length, for the _n calls. The
// returned slice must be kept alive across the call.
func cBytes(s string) ([]byte, *byte, uintptr) {
	b := make([]byte, len(s)+1) // +1: never a zero-length allocation, and NUL-terminated
	copy(b, s)
	return b, &b[0], uintptr(len(s))
}

var errNilResult = errors.New("libchdb returned no result")
