package seccomp

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// Sentinel errors; the typed errors below wrap them, so compare with
// errors.Is.
var (
	// ErrFlagCombination: the flags break the kernel's combination rules.
	ErrFlagCombination = errors.New("invalid flag combination")
	// ErrFlagUnavailable: the running kernel does not know the flag.
	ErrFlagUnavailable = errors.New("flag not supported by this kernel")
	// ErrActionUnavailable: the running kernel does not know the action.
	ErrActionUnavailable = errors.New("action not supported by this kernel")
	// ErrRuntimeDenied: the policy denies syscalls the Go runtime needs.
	ErrRuntimeDenied = errors.New("policy would kill the Go runtime")
	// ErrThreadSync: TSYNC could not put every thread on the new filter.
	ErrThreadSync = errors.New("cannot synchronize all threads")
	// ErrPermission: seccomp(2) refused with EACCES because the thread has
	// neither no_new_privs nor CAP_SYS_ADMIN.
	ErrPermission = errors.New("need no_new_privs or CAP_SYS_ADMIN")
	// ErrProgram: the program is empty, too long, or rejected by the
	// verifier.
	ErrProgram = errors.New("invalid program")
)

// FlagError reports a flag the kernel lacks (ErrFlagUnavailable) or a
// combination it refuses (ErrFlagCombination).
type FlagError struct {
	Flag   Flag   // the offending flag(s)
	Err    error  // ErrFlagUnavailable or ErrFlagCombination
	Detail string // why, in words
}

func (e *FlagError) Error() string {
	s := "seccomp: flag " + e.Flag.String() + ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns e.Err.
func (e *FlagError) Unwrap() error { return e.Err }

// ThreadError reports a TSYNC failure: a thread of the process runs a
// filter that is not an ancestor of the caller's, or is in strict mode, so
// the kernel cannot put it on the new filter. TSYNC is atomic: when it
// fails no thread has been changed.
type ThreadError struct {
	// TID is the thread the kernel named (the positive return value of
	// seccomp(2)), or, when the kernel answered ESRCH (TSYNC_ESRCH), the
	// first thread found in /proc/self/task whose seccomp state differs
	// from the caller's; 0 when none was found.
	TID int
	// Status is that thread's "Seccomp:" and "Seccomp_filters:" lines from
	// /proc/self/task/TID/status, when they could be read.
	Status string
}

func (e *ThreadError) Error() string {
	var b strings.Builder
	b.WriteString("seccomp: TSYNC: ")
	if e.TID > 0 {
		fmt.Fprintf(&b, "thread %d", e.TID)
	} else {
		b.WriteString("a thread")
	}
	b.WriteString(" has a filter outside the caller's filter tree or is in strict mode; no thread was changed")
	if e.Status != "" {
		b.WriteString(" (" + e.Status + ")")
	}
	return b.String()
}

// Unwrap returns ErrThreadSync.
func (e *ThreadError) Unwrap() error { return ErrThreadSync }

// Error is a failed seccomp(2) or prctl(2) call: which operation, with
// which flags, and the errno (or ErrPermission wrapping EACCES).
type Error struct {
	Op    string // e.g. "seccomp(SECCOMP_SET_MODE_FILTER)"
	Flags Flag
	Err   error
	Hint  string
}

func (e *Error) Error() string {
	s := "seccomp: " + e.Op
	if e.Flags != 0 {
		s += " flags " + e.Flags.String()
	}
	s += ": " + e.Err.Error()
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the errno (a syscall.Errno / unix.Errno) or sentinel.
func (e *Error) Unwrap() error { return e.Err }

// Is reports EACCES from seccomp(2) as ErrPermission too.
func (e *Error) Is(target error) bool {
	return target == ErrPermission && errors.Is(e.Err, syscall.EACCES)
}
