package seccomp

import (
	"github.com/seccompile/seccompile/compiler"
)

// The policy model, so that a program that only installs needs only this
// package. See package compiler for the full documentation.
type (
	// Policy is compiler.Policy: ABIs, default actions and rules.
	Policy = compiler.Policy
	// Rule is compiler.Rule: syscalls, conditions and an action.
	Rule = compiler.Rule
	// Cond is compiler.Cond: a condition on one syscall argument.
	Cond = compiler.Cond
	// Action is compiler.Action: what the kernel does with a call.
	Action = compiler.Action
)

// The actions without data. KillThread is a trap for Go programs: a killed
// thread silently removes one of the runtime's threads and the process
// hangs. Prefer KillProcess or an Errno.
var (
	Allow       = compiler.Allow
	KillProcess = compiler.KillProcess
	KillThread  = compiler.KillThread
	UserNotif   = compiler.UserNotif
	// LogAction allows and logs (SECCOMP_RET_LOG); the flag Log is
	// something else: it logs the filter's other actions.
	LogAction = compiler.Log
)

// Errno is the action that fails the call with errno n.
func Errno(n uint16) Action { return compiler.Errno(n) }

// Trap is the action that raises SIGSYS with si_errno n. The Go runtime
// turns an unexpected SIGSYS into a crash with a traceback; use it only
// with signal.Notify(c, syscall.SIGSYS).
func Trap(n uint16) Action { return compiler.Trap(n) }

// Trace is the action that stops the thread for a ptrace tracer with event
// message n; without a tracer the call fails with ENOSYS.
func Trace(n uint16) Action { return compiler.Trace(n) }

// Arg refers to argument i (0..5) of a syscall, to build conditions:
// seccomp.Arg(0).EQ(unix.AF_UNIX).
func Arg(i int) compiler.ArgRef { return compiler.Arg(i) }
