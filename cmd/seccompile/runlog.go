package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/seccomp"
	"github.com/seccompile/seccompile/seccomp/notify"
	"github.com/seccompile/seccompile/vm"
)

// run --log: how it works.
//
// The kernel logs LOG and KILL actions to the audit log, but only through
// printk's rate limit when no audit daemon runs, and ERRNO not at all
// without SECCOMP_FILTER_FLAG_LOG; reading it also needs CAP_SYSLOG. So
// --log does not read the kernel log. It compiles a second program from
// the profile in which every LOG, ERRNO, TRACE, USER_NOTIF and KILL action
// (rules, default, unknown numbers and bad arch) becomes USER_NOTIF, installs
// it with SECCOMP_FILTER_FLAG_NEW_LISTENER in the child, and supervises the
// child from seccompile: each notification is recorded by syscall name and
// then answered as the original profile would have, using Policy.Eval on
// the call:
//
//	LOG          continue the call (it was allowed anyway)
//	ERRNO(n)     fail the call with n (ERRNO(0): return 0 without running it)
//	TRACE(n)     fail with ENOSYS, as the kernel does when no tracer is attached
//	USER_NOTIF   fail with ENOSYS, as the kernel does when no listener is attached
//	KILL_*       SIGKILL the whole process, and report it as a seccomp kill
//	             (exit status 159, as for SIGSYS); the kernel kills only the
//	             thread for KILL_THREAD, which a supervisor cannot do
//
// ALLOW and TRAP stay what they are. The rewrite keeps the kernel's
// precedence: USER_NOTIF ranks below TRAP and above ALLOW, so a call that the
// original program TRAPs or ALLOWs is still TRAPped or ALLOWed, and every
// other call reaches the supervisor, which asks the original policy.

// logPolicy returns a copy of pol in which the actions --log watches become
// USER_NOTIF.
func logPolicy(pol *compiler.Policy) *compiler.Policy {
	lp := *pol
	watch := func(a compiler.Action) compiler.Action {
		switch a.Kind {
		case compiler.KindAllow, compiler.KindTrap:
			return a
		}
		return compiler.UserNotif
	}
	lp.Default = watch(pol.DefaultAction())
	lp.BadArch = watch(pol.BadArchAction())
	// Unset Unknown means ERRNO(ENOSYS) per ABI: watched either way.
	if pol.Unknown.IsSet() {
		lp.Unknown = watch(pol.Unknown)
	} else {
		lp.Unknown = compiler.UserNotif
	}
	lp.Rules = make([]compiler.Rule, len(pol.Rules))
	for i, r := range pol.Rules {
		r.Action = watch(r.Action)
		lp.Rules[i] = r
	}
	return &lp
}

// callLog counts the calls the supervisor answered, by name and action.
type callLog struct {
	mu     sync.Mutex
	counts map[callKey]int
	killed string // the call that got the command killed, if any
}

type callKey struct {
	name   string
	action compiler.Action
}

func (l *callLog) add(name string, a compiler.Action) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.counts == nil {
		l.counts = map[callKey]int{}
	}
	l.counts[callKey{name, a}]++
	if (a.Kind == compiler.KindKillProcess || a.Kind == compiler.KindKillThread) && l.killed == "" {
		l.killed = name
	}
}

// report prints the calls, most frequent first within each action.
func (l *callLog) report(e *env) {
	l.mu.Lock()
	defer l.mu.Unlock()
	keys := make([]callKey, 0, len(l.counts))
	for k := range l.counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.action.Kind != b.action.Kind {
			return a.action.Kind < b.action.Kind
		}
		if l.counts[a] != l.counts[b] {
			return l.counts[a] > l.counts[b]
		}
		return a.name < b.name
	})
	if len(keys) == 0 {
		fmt.Fprintf(e.stderr, "seccompile: no syscall was logged, denied or killed\n")
		return
	}
	fmt.Fprintf(e.stderr, "seccompile: syscalls logged, denied or killed by the profile:\n")
	tw := tabwriter.NewWriter(e.stderr, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  action\tsyscall\tcalls\n")
	for _, k := range keys {
		fmt.Fprintf(tw, "  %v\t%s\t%d\n", k.action, k.name, l.counts[k])
	}
	tw.Flush()
}

// runLogged runs argv under pol with the --log supervisor.
func runLogged(e *env, pol *compiler.Policy, argv []string) error {
	cmd, fd, err := startWithListener(e, logPolicy(pol), argv)
	if err != nil {
		return err
	}
	l, err := notify.NewListener(fd)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		stopForwarding()
		return fmt.Errorf("run --log: %w", err)
	}
	defer l.Close()

	var log callLog
	var killedByUs sync.Once
	killed := false
	handler := func(ctx context.Context, r *notify.Request) notify.Response {
		d := vm.Data(r.Data)
		name := syscallName(pol, d.Arch, d.Nr)
		act := evalCall(pol, d)
		log.add(name, act)
		switch act.Kind {
		case compiler.KindLog, compiler.KindAllow:
			return notify.Continue()
		case compiler.KindErrno:
			if act.Data == 0 {
				return notify.Value(0)
			}
			return notify.Errno(syscall.Errno(act.Data))
		case compiler.KindKillProcess, compiler.KindKillThread:
			killedByUs.Do(func() {
				killed = true
				killProcessOf(r.Pid, cmd.Process.Pid)
			})
			return notify.Errno(syscall.ENOSYS)
		default: // TRACE, USER_NOTIF without a tracer or listener
			return notify.Errno(syscall.ENOSYS)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- notify.Serve(ctx, l, handler, notify.ServeOptions{})
	}()
	err = cmd.Wait()
	stopForwarding()
	// The filter's last user is gone; Serve sees the hangup. Cancel in case
	// a descendant that outlived the command still holds the filter.
	cancel()
	<-served
	log.report(e)
	if killed {
		fmt.Fprintf(e.stderr, "seccompile: %s: killed by seccomp: SIGSYS (syscall %s)\n", argv[0], log.killed)
		return exitStatus(128 + int(sigsys))
	}
	return commandStatus(e, argv[0], cmd.Cmd, err, func(int) string { return "" })
}

// evalCall asks the original policy what it does with a call; Eval finds
// the call's ABI from d itself (and gives ABIs it does not list BadArch).
func evalCall(pol *compiler.Policy, d vm.Data) compiler.Action {
	a := callArch(pol, d.Arch, d.Nr)
	if a == nil {
		return pol.BadArchAction()
	}
	return pol.Eval(a, d)
}

// killProcessOf kills, with SIGKILL, the process that thread tid belongs
// to; the command's own pid when the thread is not visible.
func killProcessOf(tid uint32, fallback int) {
	pid := fallback
	if tid != 0 {
		if tg, ok := threadGroup(int(tid)); ok {
			pid = tg
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
}

// threadGroup reads the Tgid of a thread from /proc.
func threadGroup(tid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(tid) + "/status")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Tgid:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}

// startWithListener starts argv under lp with a user-notification
// listener, and returns the command and the listener fd.
func startWithListener(e *env, lp *compiler.Policy, argv []string) (*seccomp.Cmd, int, error) {
	prog, _, err := build(lp)
	if err != nil {
		return nil, -1, err
	}
	cmd, err := seccomp.CommandProgram(prog.Insns, seccomp.NewListener, argv[0], argv[1:]...)
	if err != nil {
		return nil, -1, startError(argv[0], err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = e.stdin, e.stdout, e.stderr
	if err := startForwarding(cmd); err != nil {
		return nil, -1, startError(argv[0], err)
	}
	// notify.Listener owns the fd it is given: hand it a copy and let the
	// *os.File close its own.
	f := cmd.Listener()
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		stopForwarding()
		return nil, -1, fmt.Errorf("run --log: %w", err)
	}
	syscall.CloseOnExec(fd)
	return cmd, fd, nil
}
