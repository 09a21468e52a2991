package seccomp

import (
	"fmt"
	"strings"

	"github.com/seccompile/seccompile/compiler"
)

// ActionError reports actions of a policy the running kernel lacks.
type ActionError struct {
	Actions []compiler.Action
}

func (e *ActionError) Error() string {
	names := make([]string, len(e.Actions))
	for i, a := range e.Actions {
		names[i] = a.Kind.String() + " (" + actionSince(a.Kind) + ")"
	}
	s := "seccomp: " + strings.Join(names, ", ") + ": " + ErrActionUnavailable.Error()
	for _, a := range e.Actions {
		if a.Kind == compiler.KindKillProcess {
			s += "; the WithActionFallback option replaces KILL_PROCESS with KILL_THREAD"
			break
		}
	}
	return s
}

// Unwrap returns ErrActionUnavailable.
func (e *ActionError) Unwrap() error { return ErrActionUnavailable }

// RuntimeError reports syscalls a policy denies that the Go runtime of the
// calling process needs (see RuntimeRules for the rule).
type RuntimeError struct {
	Arch string
	// Syscalls maps each syscall name to the action the policy would take
	// on it (for some argument values).
	Syscalls []RuntimeDenial
}

// RuntimeDenial is one syscall a policy denies that the runtime needs.
type RuntimeDenial struct {
	Syscall string
	Action  compiler.Action
	// Essential is true for calls the runtime cannot do without even as an
	// errno (exit, futex, mmap...), false for those it tolerates failing
	// with an errno but not being killed for.
	Essential bool
}

func (e *RuntimeError) Error() string {
	parts := make([]string, len(e.Syscalls))
	for i, d := range e.Syscalls {
		parts[i] = d.Syscall + "→" + d.Action.String()
	}
	return fmt.Sprintf("seccomp: %s: %v: %s (add seccomp.RuntimeRules(), or pass AllowRuntimeDenial() if this is intended)",
		e.Arch, ErrRuntimeDenied, strings.Join(parts, ", "))
}

// Unwrap returns ErrRuntimeDenied.
func (e *RuntimeError) Unwrap() error { return ErrRuntimeDenied }

func actionSince(k compiler.ActionKind) string {
	switch k {
	case compiler.KindKillProcess, compiler.KindLog:
		return "Linux 4.14"
	case compiler.KindUserNotif:
		return "Linux 5.0"
	default:
		return "Linux 3.5"
	}
}
