package chembed

import (
	"syscall"
	"unsafe"
)

// guardedSignals are the signals libchdb would take over: SIGILL, SIGABRT,
// SIGBUS, SIGFPE, SIGSEGV.
var guardedSignals = []syscall.Signal{syscall.SIGILL, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV}

// kernelSigaction mirrors the kernel's struct sigaction; only the handler
// (its first field) is compared.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// signalHandlers reads the current handler address of each guarded signal.
func signalHandlers() []uintptr {
	out := make([]uintptr, len(guardedSignals))
	for i, sig := range guardedSignals {
		var old kernelSigaction
		_, _, errno := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), 0,
			uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		if errno == 0 {
			out[i] = old.handler
		}
	}
	return out
}
