package seccomp

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/compiler"
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

// Install compiles p and loads it into every thread of the process, after
// making sure it is right:
//
//  1. every action p uses is one the kernel has (ActionAvailable); with
//     WithActionFallback, KILL_PROCESS becomes KILL_THREAD on kernels before
//     4.14, otherwise a missing action is an *ActionError;
//  2. p does not deny what the Go runtime needs (CheckRuntime), unless
//     AllowRuntimeDenial;
//  3. compiler.Compile, then vm.Verify with the kernel's own load-time
//     rules, then compiler.Check, the proof that the program decides every
//     call as p does (WithoutCheck skips it);
//  4. no_new_privs (unless WithoutNoNewPrivs) and seccomp(2) with TSync on
//     a locked thread, so every thread runs the filter, including threads
//     created later; a thread that cannot be synchronized makes it fail
//     with a *ThreadError, and then no thread is filtered.
//
// Filters stack and cannot be removed: a second Install adds a filter, and
// for each call the most restrictive result of all of them wins.
func Install(p *compiler.Policy, opts ...Option) (*Installed, error) {
	c := newConfig(opts)
	inst, err := prepare(p, c, true)
	if err != nil {
		return nil, err
	}
	fd, err := installProgram(inst.Program.Insns, c)
	if err != nil {
		return nil, err
	}
	inst.Flags = c.flags | TSync
	if c.flags&NewListener != 0 {
		inst.Flags |= TSyncESRCH
		inst.ListenerFD = fd
	}
	return inst, nil
}

// prepare does Install's steps before the load: action probes (with the
// fallback), the runtime check when forSelf, compile, verify and check.
func prepare(p *compiler.Policy, c config, forSelf bool) (*Installed, error) {
	if p == nil {
		return nil, errors.New("seccomp: nil policy")
	}
	inst := &Installed{ListenerFD: -1}
	for _, a := range policyActions(p) {
		ok, err := ActionAvailable(a)
		if err != nil {
			return nil, err
		}
		if ok {
			continue
		}
		if a.Kind == compiler.KindKillProcess && c.actionFallback {
			if ok, err := ActionAvailable(compiler.KillThread); err == nil && ok {
				p = withActionFallback(p, compiler.KindKillProcess, compiler.KindKillThread)
				inst.Fallbacks = append(inst.Fallbacks, describeFallback(compiler.KindKillProcess, compiler.KindKillThread))
				continue
			}
		}
		ae := &ActionError{}
		for _, b := range policyActions(p) {
			if ok, _ := ActionAvailable(b); !ok {
				ae.Actions = append(ae.Actions, b)
			}
		}
		return nil, ae
	}
	if forSelf && !c.runtimeDenial {
		if err := CheckRuntime(p); err != nil {
			return nil, err
		}
	}
	prog, err := compiler.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("seccomp: compile: %w", err)
	}
	inst.Program = prog
	if err := verify(prog.Insns); err != nil {
		return nil, err
	}
	if !c.skipCheck {
		rep, err := compiler.Check(p, prog)
		if err != nil {
			return nil, fmt.Errorf("seccomp: the compiled program does not match the policy, refusing to install it: %w", err)
		}
		inst.Report = rep
	}
	return inst, nil
}
