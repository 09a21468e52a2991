package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/seccomp"
)

func init() {
	register(&command{
		name:     "run",
		summary:  "run a command under a profile",
		synopsis: "run (--profile FILE | --builtin NAME) [--log] -- COMMAND [ARG...]",
		help:     runHelp,
		run:      runRun,
	})
}

// sigsys is the signal a seccomp kill delivers.
const sigsys = syscall.Signal(31)

func runRun(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	var pf profileFlags
	pf.register(fs, true, true)
	logCalls := fs.Bool("log", false, "")
	argv, err := parse(e, c, fs, args, false)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return usagef(c, "no command given: seccompile run --profile FILE -- COMMAND [ARG...]")
	}
	if err := pf.check(c, true); err != nil {
		return err
	}
	pol, _, err := pf.policy(e)
	if err != nil {
		return err
	}
	// The program is proved before it is used (as compile does), so that a
	// failure below is about the command, not the filter.
	prog, _, err := build(pol)
	if err != nil {
		return fmt.Errorf("%s: %w", pf.source(), err)
	}
	if err := actionsAvailable(pol); err != nil {
		return fmt.Errorf("%s: %w", pf.source(), err)
	}
	if *logCalls {
		return runLogged(e, pol, argv)
	}

	cmd, err := seccomp.CommandProgram(prog.Insns, 0, argv[0], argv[1:]...)
	if err != nil {
		return startError(argv[0], err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	klog := openKernelLog()
	defer klog.Close()
	if err := startForwarding(cmd); err != nil {
		return startError(argv[0], err)
	}
	err = cmd.Wait()
	stopForwarding()
	return commandStatus(e, argv[0], cmd.Cmd, err, func(pid int) string {
		auditArch, nr, ok := klog.seccompKill(pid, time.Second)
		if !ok {
			return ""
		}
		return syscallName(pol, auditArch, nr)
	})
}

// actionsAvailable checks that the kernel has every action the policy
// uses (SECCOMP_GET_ACTION_AVAIL), so that an old kernel is an error here
// rather than a surprise in the command.
func actionsAvailable(pol *compiler.Policy) error {
	acts := []compiler.Action{pol.DefaultAction(), pol.BadArchAction()}
	if pol.Unknown.IsSet() {
		acts = append(acts, pol.Unknown)
	}
	for _, r := range pol.Rules {
		acts = append(acts, r.Action)
	}
	seen := map[compiler.ActionKind]bool{}
	for _, a := range acts {
		if seen[a.Kind] {
			continue
		}
		seen[a.Kind] = true
		ok, err := seccomp.ActionAvailable(a)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("this kernel does not have the seccomp action %v the profile uses", a.Kind)
		}
	}
	return nil
}

// startError turns a failure to start the command into seccompile's
// error: the shell's statuses for a command that is not found (127) or
// cannot be executed (126), for instance because the profile denies execve.
//
// A message that starts with "seccompile: " comes from the child, which has
// printed it on the stderr it shares with us already: only the status is
// left to give.
func startError(name string, err error) error {
	msg, fromChild := strings.CutPrefix(err.Error(), "seccompile: ")
	code := seccomp.ExitSetupFailed
	switch {
	case errors.Is(err, exec.ErrNotFound) || strings.Contains(msg, "no such file or directory"):
		code = seccomp.ExitNotFoundExec
	case strings.HasPrefix(msg, "exec "):
		code = seccomp.ExitCannotExec
	}
	if fromChild {
		return exitStatus(code)
	}
	return &statusError{code: code, err: errors.New(msg)}
}

// signals the user sends seccompile are meant for the command: SIGINT and
// SIGQUIT from the terminal reach the command anyway (same process group),
// SIGTERM and SIGHUP are passed on. Catching them, rather than ignoring them,
// keeps them at their default in the command, since execve resets caught
// signals but keeps ignored ones ignored.
var (
	sigc    chan os.Signal
	sigDone chan struct{}
)

func startForwarding(cmd *seccomp.Cmd) error {
	sigc = make(chan os.Signal, 4)
	sigDone = make(chan struct{})
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	if err := cmd.Start(); err != nil {
		signal.Stop(sigc)
		return err
	}
	go func() {
		for {
			select {
			case s := <-sigc:
				if s == syscall.SIGTERM || s == syscall.SIGHUP {
					cmd.Process.Signal(s)
				}
			case <-sigDone:
				return
			}
		}
	}()
	return nil
}

func stopForwarding() {
	signal.Stop(sigc)
	close(sigDone)
}

// commandStatus turns how the command ended into seccompile's exit status:
// the command's own, or 128+signal. A SIGSYS death is reported as a seccomp
// kill, naming the syscall when killedBy knows it.
func commandStatus(e *env, name string, cmd *exec.Cmd, err error, killedBy func(pid int) string) error {
	if err == nil {
		return nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return exitStatus(ee.ExitCode())
	}
	sig := ws.Signal()
	if sig == sigsys {
		call := killedBy(cmd.Process.Pid)
		if call == "" {
			call = "unknown: the kernel log did not say"
		}
		fmt.Fprintf(e.stderr, "seccompile: %s: killed by seccomp: SIGSYS (syscall %s)\n", name, call)
	} else {
		fmt.Fprintf(e.stderr, "seccompile: %s: killed by signal %d (%v)\n", name, int(sig), sig)
	}
	return exitStatus(128 + int(sig))
}

// callArch finds the ABI of a call as seccomp sees it: the AUDIT_ARCH value,
// and on x86_64 the x32 bit of the number. The policy's own ABIs are
// preferred; an ABI it does not list is looked up among all.
func callArch(pol *compiler.Policy, auditArch, nr uint32) *arch.Arch {
	match := func(a *arch.Arch) bool {
		return a.AuditArch == auditArch && (a.SyscallBit == 0 || nr&a.SyscallBit != 0) &&
			!(a.SyscallBit == 0 && nr&arch.X32SyscallBit != 0 && hasX32Sibling(a))
	}
	for _, name := range pol.Arches {
		if a, err := arch.Lookup(name); err == nil && match(a) {
			return a
		}
	}
	for _, a := range arch.All() {
		if match(a) {
			return a
		}
	}
	return nil
}

// hasX32Sibling reports whether a shares its AUDIT_ARCH value with an ABI
// that marks its numbers with a bit (x86_64 and x32).
func hasX32Sibling(a *arch.Arch) bool {
	for _, b := range arch.All() {
		if b != a && b.AuditArch == a.AuditArch && b.SyscallBit != 0 {
			return true
		}
	}
	return false
}

// syscallName names a call for messages: "openat", or "x32 getppid", or
// "335 on AUDIT_ARCH 0xc000003e" when no table knows it.
func syscallName(pol *compiler.Policy, auditArch, nr uint32) string {
	a := callArch(pol, auditArch, nr)
	if a == nil {
		return fmt.Sprintf("%d on AUDIT_ARCH %#x", nr, auditArch)
	}
	name, ok := a.SyscallName(nr)
	if !ok {
		name = fmt.Sprintf("%d", nr)
	}
	if a != arch.Native() {
		name = a.Name + " " + name
	}
	return name
}
