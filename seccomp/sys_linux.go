package seccomp

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Seccomp issues seccomp(2) as it is, on the calling thread: op is one of
// unix.SECCOMP_SET_MODE_STRICT, SECCOMP_SET_MODE_FILTER,
// SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES. It returns the
// kernel's return value and, when the kernel set one, the errno.
//
// Beware: a TSYNC failure is a positive return value with a nil error
// (the TID of the thread that could not be synchronized), and so is a
// listener fd. SetFilter and InstallProgram decode both.
func Seccomp(op uint, flags Flag, arg unsafe.Pointer) (uintptr, error) {
	r1, _, errno := unix.Syscall(unix.SYS_SECCOMP, uintptr(op), uintptr(flags), uintptr(arg))
	if errno != 0 {
		return r1, errno
	}
	return r1, nil
}

// SetFilter loads insns with seccomp(SECCOMP_SET_MODE_FILTER, flags) on
// the calling thread and nothing else: it neither locks the goroutine to
// its thread nor sets no_new_privs nor adds TSync. It is the building
// block for filters on one locked thread (a supervisor's test target, a
// helper that execs), and for callers that manage threads themselves.
// Most programs want Install or InstallProgram.
//
// With NewListener it returns the listener fd (O_CLOEXEC), else 0. The
// flag rules of CheckFlags are applied first. A TSYNC failure is a
// *ThreadError; EACCES is an *Error that matches ErrPermission.
func SetFilter(insns []bpf.RawInstruction, flags Flag) (int, error) {
	if err := CheckFlags(flags); err != nil {
		return -1, err
	}
	if err := checkLen(insns); err != nil {
		return -1, err
	}
	prog := make([]unix.SockFilter, len(insns))
	for i, in := range insns {
		prog[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	r1, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	// The kernel copies the program (seccomp_prepare_user_filter); it only
	// has to live until here.
	runtime.KeepAlive(prog)
	switch {
	case errno == unix.ESRCH && flags&TSyncESRCH != 0:
		return -1, unsyncedThread(unix.Gettid())
	case errno != 0:
		return -1, filterError(flags, errno)
	case flags&TSync != 0 && flags&TSyncESRCH == 0 && r1 != 0:
		// seccomp_set_mode_filter returns the TID of the first thread
		// seccomp_can_sync_threads rejected, with errno 0.
		return -1, &ThreadError{TID: int(r1), Status: taskSeccompStatus(int(r1))}
	case flags&NewListener != 0:
		return int(r1), nil
	}
	return 0, nil
}

func filterError(flags Flag, errno unix.Errno) error {
	e := &Error{Op: "seccomp(SECCOMP_SET_MODE_FILTER)", Flags: flags, Err: errno}
	switch errno {
	case unix.EACCES:
		e.Hint = "the thread has neither no_new_privs nor CAP_SYS_ADMIN in its user namespace"
	case unix.EBUSY:
		if flags&NewListener != 0 {
			e.Hint = "a filter already installed on this thread has a listener; only one listener per filter chain"
		}
	case unix.ENOMEM:
		e.Hint = "the filters stacked on this thread exceed the kernel's 32768-instruction path budget (MAX_INSNS_PER_PATH), or out of memory"
	case unix.EINVAL:
		e.Hint = "the kernel rejected the program or the flags, or the thread is in strict mode"
	case unix.ENOSYS:
		e.Hint = "the kernel has no seccomp(2) (before 3.17, or CONFIG_SECCOMP_FILTER off)"
	}
	return e
}

// unsyncedThread finds, after a TSYNC_ESRCH failure, a thread whose seccomp
// state differs from the caller's: the kernel does not say which one.
func unsyncedThread(self int) error {
	mine := taskSeccompStatus(self)
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil || tid == self {
			continue
		}
		if st := taskSeccompStatus(tid); st != "" && st != mine && !strings.HasPrefix(st, "Seccomp: 0") {
			return &ThreadError{TID: tid, Status: st}
		}
	}
	return &ThreadError{}
}

// taskSeccompStatus returns "Seccomp: M Seccomp_filters: N" for a thread
// of this process, "" if it cannot be read.
func taskSeccompStatus(tid int) string {
	b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return ""
	}
	var parts []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Seccomp:") || strings.HasPrefix(line, "Seccomp_filters:") {
			parts = append(parts, strings.Join(strings.Fields(line), " "))
		}
	}
	return strings.Join(parts, " ")
}

// SetNoNewPrivs sets no_new_privs on the calling thread
// (prctl(PR_SET_NO_NEW_PRIVS)): execve can no longer grant privileges
// (setuid, file capabilities), and the thread may load seccomp filters
// without CAP_SYS_ADMIN. It cannot be undone. The kernel keeps the bit per
// thread; a filter installed with TSync copies it to every thread, which is
// what Install does. Called alone from Go, it affects only whichever
// thread runs the goroutine, so lock the goroutine to its thread
// (runtime.LockOSThread) if that thread matters.
func SetNoNewPrivs() error {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return &Error{Op: "prctl(PR_SET_NO_NEW_PRIVS)", Err: err}
	}
	return nil
}

// NoNewPrivs reports the calling thread's no_new_privs bit
// (prctl(PR_GET_NO_NEW_PRIVS)).
func NoNewPrivs() (bool, error) {
	v, err := unix.PrctlRetInt(unix.PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)
	if err != nil {
		return false, &Error{Op: "prctl(PR_GET_NO_NEW_PRIVS)", Err: err}
	}
	return v == 1, nil
}

// CurrentMode returns the calling thread's seccomp mode
// (prctl(PR_GET_SECCOMP)). Do not call it from a thread in strict mode:
// prctl is not among the calls strict mode allows.
func CurrentMode() (Mode, error) {
	v, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0)
	if err != nil {
		return 0, &Error{Op: "prctl(PR_GET_SECCOMP)", Err: err}
	}
	return Mode(v), nil
}

// flagCache remembers FlagAvailable's answers: the kernel does not change
// under a running process.
var flagCache sync.Map // Flag → bool

// FlagAvailable reports whether the running kernel knows the single flag
// f. It asks seccomp(SECCOMP_SET_MODE_FILTER, f, NULL): the kernel checks
// flag bits before it reads the program, so a known flag fails with
// EFAULT and an unknown one with EINVAL, and nothing is installed.
// WaitKillableRecv is probed together with NewListener, which it requires.
func FlagAvailable(f Flag) (bool, error) {
	if f == 0 || f&(f-1) != 0 || f&^allFlags != 0 {
		return false, fmt.Errorf("seccomp: FlagAvailable(%v): want exactly one known flag", f)
	}
	if v, ok := flagCache.Load(f); ok {
		return v.(bool), nil
	}
	probe := f
	if f == WaitKillableRecv {
		probe |= NewListener
	}
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(probe), 0)
	var ok bool
	switch errno {
	case unix.EFAULT:
		ok = true
	case unix.EINVAL, unix.ENOSYS:
		ok = false
	default:
		return false, &Error{Op: "seccomp(SECCOMP_SET_MODE_FILTER) probe", Flags: probe, Err: errno}
	}
	flagCache.Store(f, ok)
	return ok, nil
}

// requireFlags probes every flag in f and names the first one missing.
func requireFlags(f Flag) error {
	for _, b := range f.bits() {
		ok, err := FlagAvailable(b)
		if err != nil {
			return err
		}
		if !ok {
			return &FlagError{Flag: b, Err: ErrFlagUnavailable, Detail: "needs Linux " + b.since()}
		}
	}
	return nil
}

// installProgram is the one road into the kernel for Install and
// InstallProgram: no_new_privs and seccomp(2) with TSYNC on one locked
// thread. It runs on a fresh goroutine so that if it fails after setting
// no_new_privs on its thread, that thread is thrown away (a goroutine that
// exits locked takes its thread with it) instead of going back to the
// scheduler with a bit no other thread has.
func installProgram(insns []bpf.RawInstruction, c config) (int, error) {
	flags := c.flags | TSync
	if flags&NewListener != 0 {
		flags |= TSyncESRCH
	}
	if err := CheckFlags(flags); err != nil {
		return -1, err
	}
	if err := checkLen(insns); err != nil {
		return -1, err
	}
	if err := requireFlags(flags); err != nil {
		return -1, err
	}
	type result struct {
		fd  int
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := lockedInstall(insns, flags, c.keepPrivs)
		if err == nil {
			// TSYNC has copied no_new_privs to every thread, so this
			// thread is like the others now.
			runtime.UnlockOSThread()
		}
		done <- result{fd, err}
	}()
	r := <-done
	return r.fd, r.err
}

func lockedInstall(insns []bpf.RawInstruction, flags Flag, keepPrivs bool) (int, error) {
	if !keepPrivs {
		if err := SetNoNewPrivs(); err != nil {
			return -1, err
		}
	}
	fd, err := SetFilter(insns, flags)
	if err != nil && keepPrivs && errors.Is(err, ErrPermission) {
		var e *Error
		if errors.As(err, &e) {
			e.Hint = "WithoutNoNewPrivs was given, so the kernel requires CAP_SYS_ADMIN, which this process lacks"
		}
	}
	return fd, err
}
