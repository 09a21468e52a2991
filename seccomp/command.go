package seccomp

// Exit statuses of a Command's child when it cannot run the target, as
// shells and container runtimes use them.
const (
	ExitSetupFailed  = 125 // the filter could not be installed
	ExitCannotExec   = 126 // execve failed other than with ENOENT
	ExitNotFoundExec = 127 // execve failed with ENOENT
)
