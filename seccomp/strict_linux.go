package seccomp

import (
	"golang.org/x/sys/unix"
)

// InstallStrict puts the calling thread in strict mode
// (seccomp(SECCOMP_SET_MODE_STRICT)): from then on the thread may call only
// read, write, exit (not exit_group) and rt_sigreturn; any other syscall
// kills the thread with SIGKILL (the kernel's __secure_computing_strict).
// Strict mode is per thread (there is no TSYNC for it) and permanent.
//
// What it means for Go: the runtime cannot live in strict mode. A thread
// that needs futex to sleep, mmap to grow the heap or a new stack, or
// sigaltstack, dies, and the runtime, which still counts on that thread,
// usually hangs. Strict mode is only for a goroutine that
//
//  1. has called runtime.LockOSThread and never unlocks;
//  2. after InstallStrict makes only unix.RawSyscall read/write calls on
//     file descriptors it opened before, computes without allocating,
//     without channels, locks or anything else that may block; and
//  3. ends with ExitThread.
//
// For example a tiny parser that reads untrusted bytes from a pipe and
// writes a verdict back. Anything bigger wants a filter (Install) instead.
//
// It fails with EINVAL if the thread already has a filter.
func InstallStrict() error {
	// A raw call: the plain one (entersyscall/exitsyscall) may need the
	// scheduler on its way back, and the scheduler may need futex.
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_STRICT, 0, 0)
	if errno != 0 {
		e := &Error{Op: "seccomp(SECCOMP_SET_MODE_STRICT)", Err: errno}
		if errno == unix.EINVAL {
			e.Hint = "the thread already has a filter, or the kernel lacks CONFIG_SECCOMP"
		}
		return e
	}
	return nil
}

// ExitThread ends the calling thread with exit(2), the only way out that
// strict mode allows (exit_group is not), and never returns. Call it from a
// goroutine locked to its thread (runtime.LockOSThread), as the last thing
// after InstallStrict; the goroutine stays parked in the system call
// forever and the runtime goes on without that thread.
func ExitThread() {
	// The plain (not raw) call marks the goroutine as in a system call, so
	// the scheduler takes its P back and stop-the-world does not wait for
	// a thread that is gone.
	for {
		unix.Syscall(unix.SYS_EXIT, 0, 0, 0)
	}
}
