// Command kcost measures what a seccomp filter costs the kernel per system
// call, or probes what a filter answers for one call. bench builds it with
// CGO_ENABLED=0 and runs it in a child process per filter, so that the
// filter sees only this small Go program (whose runtime needs only a few
// syscalls that every measured profile allows).
//
//	kcost [-filter FILE.bpf] [-n N] [-rounds R] bench   prints "name ns/call" per call
//	kcost -filter FILE.bpf probe NR [ARG...]             prints "ret errno"
//
// FILE.bpf is a raw struct sock_filter array in host byte order. The filter
// is installed with SECCOMP_FILTER_FLAG_TSYNC and SPEC_ALLOW, as runc does
// (without SPEC_ALLOW the kernel turns on the SSB mitigation for the process,
// which costs more than the filter itself).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// call is one measured system call: chosen so that each is cheap in the
// kernel and harmless when the filter lets it through.
type call struct {
	name string
	nr   uintptr
	args [3]uintptr
}

var calls = []call{
	// Allowed without conditions by every measured profile: the kernel's
	// action cache answers it without running the filter.
	{name: "getppid", nr: unix.SYS_GETPPID},
	// Allowed only after an argument check (Docker: personality(0xffffffff)
	// queries the persona), so the filter runs to the end of its arg tree.
	{name: "personality(0xffffffff)", nr: unix.SYS_PERSONALITY, args: [3]uintptr{0xffffffff}},
	// Denied (Docker: acct needs CAP_SYS_PACCT): ERRNO(EPERM) from the filter.
	// Unfiltered, acct(NULL) turns off process accounting, which is off.
	{name: "acct(NULL)", nr: unix.SYS_ACCT},
}

func main() {
	filter := flag.String("filter", "", "raw sock_filter program to install (none: measure without a filter)")
	n := flag.Int("n", 200000, "calls per round")
	rounds := flag.Int("rounds", 5, "rounds; the fastest is reported")
	flag.Parse()
	if err := run(*filter, *n, *rounds, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "kcost:", err)
		os.Exit(1)
	}
}

func run(filter string, n, rounds int, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: kcost [-filter FILE] bench | probe NR [ARG...]")
	}
	runtime.LockOSThread()
	if filter != "" {
		if err := install(filter); err != nil {
			return err
		}
	}
	switch args[0] {
	case "bench":
		for _, c := range calls {
			best := time.Duration(1<<63 - 1)
			for r := 0; r < rounds; r++ {
				start := time.Now()
				for i := 0; i < n; i++ {
					unix.RawSyscall(c.nr, c.args[0], c.args[1], c.args[2])
				}
				best = min(best, time.Since(start))
			}
			fmt.Printf("%s %.2f\n", c.name, float64(best.Nanoseconds())/float64(n))
		}
		return nil
	case "probe":
		var v [7]uintptr
		if len(args) < 2 || len(args) > 8 {
			return fmt.Errorf("probe NR [ARG...] takes 1 to 7 numbers")
		}
		for i, s := range args[1:] {
			x, err := strconv.ParseUint(s, 0, 64)
			if err != nil {
				return fmt.Errorf("probe: %q: %w", s, err)
			}
			v[i] = uintptr(x)
		}
		r1, _, errno := unix.RawSyscall6(v[0], v[1], v[2], v[3], v[4], v[5], v[6])
		fmt.Printf("%d %d\n", int64(r1), int(errno))
		return nil
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// install loads the raw program and installs it on every thread.
func install(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) == 0 || len(data)%8 != 0 {
		return fmt.Errorf("%s: %d bytes is not a non-empty array of 8-byte sock_filter", path, len(data))
	}
	insns := make([]unix.SockFilter, len(data)/8)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&insns[0])), len(data)), data)
	prog := unix.SockFprog{Len: uint16(len(insns)), Filter: &insns[0]}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_NO_NEW_PRIVS): %w", err)
	}
	flags := uintptr(unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW)
	r, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, flags, uintptr(unsafe.Pointer(&prog)))
	runtime.KeepAlive(insns)
	if errno != 0 {
		return fmt.Errorf("seccomp(SET_MODE_FILTER): %w", errno)
	}
	if r != 0 {
		return fmt.Errorf("seccomp(SET_MODE_FILTER, TSYNC): thread %d could not be synchronized", r)
	}
	return nil
}
