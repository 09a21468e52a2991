package seccomp

import (
	"fmt"
	"slices"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// The Go runtime's needs, in two classes. CheckRuntime applies them to the
// native ABI; RuntimeRules allows them.
//
// essentialCalls must never be denied in any way, not even with an errno:
// the runtime throws, spins or deadlocks when they fail. exit and
// exit_group end threads and the process (runtime·exit only returns if
// exit_group fails); rt_sigreturn ends every signal handler, and Go
// handles SIGURG preemption signals all the time; restart_syscall resumes
// a sleep those signals interrupt; futex, nanosleep and sched_yield are
// the scheduler's locks and sleeps; mmap, munmap and madvise the heap and
// the scavenger; clone, sigaltstack, rt_sigprocmask and gettid make new
// threads; rt_sigaction installs handlers (os/signal); getpid and tgkill
// deliver preemption signals; epoll_*, eventfd2, read and write are the
// network poller and timers.
var essentialCalls = []string{
	"exit", "exit_group", "rt_sigreturn", "sigreturn", "restart_syscall",
	"futex", "futex_time64", "nanosleep", "sched_yield",
	"mmap", "mmap2", "munmap", "madvise",
	"clone", "sigaltstack", "rt_sigprocmask", "rt_sigaction", "gettid", "getpid", "tgkill",
	"epoll_create1", "epoll_ctl", "epoll_pwait", "eventfd2", "read", "write",
}

// tolerantCalls may fail with an errno (the runtime has a fallback or
// ignores the failure) but must not kill or trap: cgroup-aware GOMAXPROCS,
// re-read by sysmon (pread64, sched_getaffinity), mapping names (prctl
// PR_SET_VMA), the fallbacks for clocks and randomness, CPU profiling
// timers, and cgo's thread start.
// What the runtime calls only during start-up (openat, fcntl, uname,
// prlimit64...) is over by the time a filter can be installed and is not
// checked.
var tolerantCalls = []string{
	"close", "pread64", "sched_getaffinity", "prctl",
	"mprotect", "brk", "mincore", "getrandom",
	"epoll_pwait2", "clock_gettime", "clock_gettime64", "gettimeofday",
	"timer_create", "timer_settime", "timer_settime64", "timer_delete", "setitimer",
	"clone3", "rseq", "set_robust_list",
}

// prSetVMA is PR_SET_VMA: the runtime names its mappings with
// prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, ...) (Go 1.25 decoratemappings).
const prSetVMA = 0x53564d41

// RuntimeRules returns rules that allow what the Go runtime calls once it
// is running (the "@go-runtime" group), on the ABIs named (arch.Lookup
// spellings; none means the native ABI), for a policy whose default denies.
// Add them to an allowlist:
//
//	p.Rules = append(p.Rules, seccomp.RuntimeRules()...)
//
// prctl is allowed only as prctl(PR_SET_VMA, ...), the runtime's mapping
// names; what the runtime calls only while starting (openat, fcntl, uname)
// is left to the policy. A cgo binary's glibc also needs clone3, rseq and
// set_robust_list, which are included. os/exec, net and os/signal need
// more: add the groups they use (@process, @network-io, @signal).
func RuntimeRules(arches ...string) []compiler.Rule {
	names, err := Expand([]string{"@go-runtime"}, arches...)
	if err != nil {
		// An unknown ABI: the compiler will name it; keep every name so
		// the rules still say what they mean.
		g, _ := Group("@go-runtime")
		names = g.All()
	}
	return []compiler.Rule{
		{Syscalls: names, Action: compiler.Allow, Comment: "Go runtime"},
		{Syscalls: []string{"prctl"}, Action: compiler.Allow, Comment: "Go runtime: mapping names",
			Conds: []compiler.Cond{compiler.Arg(0).Low32().EQ(prSetVMA)}},
	}
}

// CheckRuntime reports whether installing p would kill or wedge the Go
// runtime of the calling process, as Install does before loading (unless
// AllowRuntimeDenial). The rule, for the native ABI:
//
//   - If p does not list the native ABI, every call gets p's BadArch
//     action, which must then be ALLOW or LOG.
//   - An essential call (exit, exit_group, rt_sigreturn, restart_syscall,
//     futex, nanosleep, sched_yield, mmap, munmap, madvise, clone,
//     sigaltstack, rt_sigprocmask, rt_sigaction, gettid, getpid, tgkill,
//     epoll_create1, epoll_ctl, epoll_pwait, eventfd2, read, write) must get
//     ALLOW or LOG whatever its arguments.
//   - A tolerated call (close, pread64, sched_getaffinity, prctl, mprotect,
//     brk, mincore, getrandom, epoll_pwait2, the clock and timer
//     calls, clone3, rseq, set_robust_list) may get an errno (or
//     USER_NOTIF, TRACE), but never KILL_PROCESS, KILL_THREAD or TRAP.
//   - Anything else, including what the runtime calls only while starting
//     (openat, fcntl, uname, prlimit64), is the policy's business.
//
// The actions a call may get are read from the rules, without solving
// their conditions: every rule naming the call may match, and the default
// applies unless some rule names the call without conditions. prctl is
// the exception: the runtime only ever calls prctl(PR_SET_VMA, ...), so
// that call alone is evaluated (compiler.Policy.Eval). So a rule
// that kills futex for some argument values is refused even if those
// values never occur. The error is a *RuntimeError (ErrRuntimeDenied)
// naming each call and the action at fault.
func CheckRuntime(p *compiler.Policy) error {
	native := arch.Native()
	if native == nil || p == nil {
		return nil
	}
	rerr := &RuntimeError{Arch: native.Name}
	if !policyListsABI(p, native) {
		if bad := p.BadArchAction(); !harmless(bad) {
			for _, name := range essentialCalls {
				if _, ok := native.Syscall(name); ok {
					rerr.Syscalls = append(rerr.Syscalls, RuntimeDenial{Syscall: name, Action: bad, Essential: true})
				}
			}
			return rerr
		}
		return nil
	}
	check := func(names []string, essential bool) {
		for _, name := range names {
			nr, ok := native.Syscall(name)
			if !ok {
				continue
			}
			acts := possibleActions(p, native, nr)
			if name == "prctl" {
				acts = []compiler.Action{p.Eval(native, vm.Data{Nr: nr, Arch: native.AuditArch, Args: [6]uint64{prSetVMA}})}
			}
			for _, act := range acts {
				if essential && !harmless(act) || !essential && fatal(act) {
					rerr.Syscalls = append(rerr.Syscalls, RuntimeDenial{Syscall: name, Action: act, Essential: essential})
					break
				}
			}
		}
	}
	check(essentialCalls, true)
	check(tolerantCalls, false)
	if len(rerr.Syscalls) > 0 {
		return rerr
	}
	return nil
}

func harmless(a compiler.Action) bool {
	return a.Kind == compiler.KindAllow || a.Kind == compiler.KindLog
}

func fatal(a compiler.Action) bool {
	switch a.Kind {
	case compiler.KindKillProcess, compiler.KindKillThread, compiler.KindTrap:
		return true
	}
	return false
}

func policyListsABI(p *compiler.Policy, a *arch.Arch) bool {
	if len(p.Arches) == 0 {
		return true
	}
	for _, name := range p.Arches {
		if l, err := arch.Lookup(name); err == nil && l == a {
			return true
		}
	}
	return false
}

// possibleActions over-approximates the actions p may give to syscall nr
// of ABI a: the actions of every rule naming it, most restrictive first,
// plus the default when no rule names it unconditionally; an unconditional
// rule hides the less restrictive actions after it (the most restrictive
// matching action wins).
func possibleActions(p *compiler.Policy, a *arch.Arch, nr uint32) []compiler.Action {
	var cond []compiler.Action
	var uncond *compiler.Action
	for i := range p.Rules {
		r := &p.Rules[i]
		if !ruleOnABI(r, a) || !ruleNames(r, a, nr) {
			continue
		}
		if len(r.Conds) == 0 {
			if uncond == nil || r.Action.MoreRestrictive(*uncond) {
				act := r.Action
				uncond = &act
			}
			continue
		}
		cond = append(cond, r.Action)
	}
	var out []compiler.Action
	if uncond != nil {
		out = append(out, *uncond)
		for _, c := range cond {
			if c.MoreRestrictive(*uncond) {
				out = append(out, c)
			}
		}
	} else {
		out = append(append(out, cond...), p.DefaultAction())
	}
	slices.SortStableFunc(out, func(x, y compiler.Action) int { return int(x.Kind) - int(y.Kind) })
	return out
}

func ruleOnABI(r *compiler.Rule, a *arch.Arch) bool {
	if len(r.Arches) == 0 {
		return true
	}
	for _, name := range r.Arches {
		if l, err := arch.Lookup(name); err == nil && l == a {
			return true
		}
	}
	return false
}

func ruleNames(r *compiler.Rule, a *arch.Arch, nr uint32) bool {
	if slices.Contains(r.Numbers, nr) {
		return true
	}
	for _, name := range r.Syscalls {
		if n, ok := a.Syscall(name); ok && n == nr {
			return true
		}
	}
	return false
}

// policyActions lists the distinct action kinds p uses, with an example
// action of each.
func policyActions(p *compiler.Policy) []compiler.Action {
	seen := map[compiler.ActionKind]bool{}
	var out []compiler.Action
	add := func(a compiler.Action) {
		if a.IsSet() && !seen[a.Kind] {
			seen[a.Kind] = true
			out = append(out, a)
		}
	}
	add(p.DefaultAction())
	add(p.BadArchAction())
	add(p.Unknown)
	if !p.Unknown.IsSet() {
		add(compiler.Errno(0))
	}
	for _, r := range p.Rules {
		add(r.Action)
	}
	slices.SortFunc(out, func(x, y compiler.Action) int { return int(x.Kind) - int(y.Kind) })
	return out
}

// withActionFallback returns p with every action of kind from replaced by
// kind to; p itself is not changed.
func withActionFallback(p *compiler.Policy, from, to compiler.ActionKind) *compiler.Policy {
	q := *p
	swap := func(a compiler.Action) compiler.Action {
		if a.Kind == from {
			return compiler.Action{Kind: to}
		}
		return a
	}
	q.Default, q.BadArch, q.Unknown = swap(p.DefaultAction()), swap(p.BadArchAction()), swap(p.Unknown)
	q.Rules = slices.Clone(p.Rules)
	for i := range q.Rules {
		q.Rules[i].Action = swap(q.Rules[i].Action)
	}
	return &q
}

// describeFallbacks is for Installed.Fallbacks.
func describeFallback(from, to compiler.ActionKind) string {
	return fmt.Sprintf("%s → %s", from, to)
}
