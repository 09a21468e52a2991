package seccomp

import (
	"golang.org/x/net/bpf"
)

// InstallProgram loads a precompiled program (a raw struct sock_filter
// array, as compiler.Program.Insns or another tool's output) into every
// thread of the process: it checks the flags, probes that the kernel has
// each one, sets no_new_privs (unless WithoutNoNewPrivs) and calls
// seccomp(SECCOMP_SET_MODE_FILTER) with TSync on a locked thread, so
// threads that exist now and threads created later all run the filter.
//
// With WithFlags(NewListener) it returns the listener fd (O_CLOEXEC; wrap
// it with seccomp/notify) and uses TSyncESRCH, which the kernel demands
// for TSYNC|NEW_LISTENER. Otherwise listenerFD is -1.
//
// A thread that cannot be synchronized (one with a filter outside this
// filter's tree, or in strict mode) makes the call fail with a
// *ThreadError naming it; TSYNC is atomic, so then no thread is filtered.
// Options that apply to policies (WithoutCheck, AllowRuntimeDenial,
// WithActionFallback) are ignored: a raw program carries no policy to
// check.
func InstallProgram(insns []bpf.RawInstruction, opts ...Option) (listenerFD int, err error) {
	c := newConfig(opts)
	if err := verify(insns); err != nil {
		return -1, err
	}
	fd, err := installProgram(insns, c)
	if err != nil {
		return -1, err
	}
	if c.flags&NewListener == 0 {
		return -1, nil
	}
	return fd, nil
}
