//go:build linux

package vm

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// threadCPUNanos returns the CPU time of the calling thread.
func threadCPUNanos() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return ts.Nano()
}

// cpuPerOp runs f b.N times on one locked thread and reports its thread
// CPU time per call as "cpu-ns/op". On a shared, loaded machine wall-clock
// ns/op includes time the thread sat descheduled; this does not.
func cpuPerOp(b *testing.B, f func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadCPUNanos()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	if n > 0 {
		b.ReportMetric(float64(threadCPUNanos()-start)/float64(n), "cpu-ns/op")
	}
}
