package seccomp

import (
	"github.com/seccompile/seccompile/compiler"
)

// Installed describes a filter Install loaded.
type Installed struct {
	// Program is the compiled program, with its listing (String) and the
	// compiler's warnings.
	Program *compiler.Program
	// Report is what compiler.Check proved, nil with WithoutCheck.
	Report *compiler.Report
	// Flags are the flags passed to seccomp(2), TSync included.
	Flags Flag
	// ListenerFD is the user-notification listener (O_CLOEXEC) with
	// NewListener, else -1. The caller owns it.
	ListenerFD int
	// Fallbacks lists the actions replaced because the kernel lacks them
	// (WithActionFallback), as "KILL_PROCESS → KILL_THREAD".
	Fallbacks []string
}
