package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/vm"
)

func init() {
	register(&command{
		name:     "stats",
		summary:  "program size, cost per syscall, cached syscalls, warnings",
		synopsis: "stats (--profile FILE | --builtin NAME) [--arch LIST] [-v]",
		help:     statsHelp,
		run:      runStats,
	})
}

func runStats(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	var pf profileFlags
	pf.register(fs, true, true)
	verbose := fs.Bool("v", false, "")
	pos, err := parse(e, c, fs, args, true)
	if err != nil {
		return err
	}
	if err := noArgs(c, pos); err != nil {
		return err
	}
	if err := pf.check(c, true); err != nil {
		return err
	}
	pol, pwarns, err := pf.policy(e)
	if err != nil {
		return err
	}
	prog, rep, err := build(pol)
	if err != nil {
		return fmt.Errorf("%s: %w", pf.source(), err)
	}

	w := e.stdout
	var names []string
	for _, a := range prog.Arches {
		names = append(names, a.Name)
	}
	fmt.Fprintf(w, "profile:  %s\n", pf.source())
	fmt.Fprintf(w, "ABIs:     %s (other ABIs: %v)\n", strings.Join(names, ", "), pol.BadArchAction())
	fmt.Fprintf(w, "actions:  default %v, unknown syscall numbers %v\n", pol.DefaultAction(), unknownAction(pol, prog.Arches))
	fmt.Fprintf(w, "program:  %d instructions, %d after the kernel's conversion to eBPF (budget %d for all stacked filters)\n",
		len(prog.Insns), vm.ConvertedLen(prog.Insns), maxInsnsPerPath)
	if rep.Exhaustive {
		fmt.Fprintf(w, "proof:    equal to the profile on every input class (%d inputs)\n", rep.Inputs)
	} else {
		fmt.Fprintf(w, "proof:    equal to the profile on %d inputs; sampled, not exhaustive, where:\n", rep.Inputs)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "          %s\n", n)
		}
	}

	fmt.Fprintf(w, "\ninstructions executed per syscall, and the kernel's action cache:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "ABI\tsyscalls\tmin\tmean\tmax\tworst\tallowed\tcached\t\n")
	for _, a := range prog.Arches {
		var n, allowed, cached int
		min, max := -1, 0
		var sum float64
		worst := ""
		for _, s := range rep.Syscalls {
			if s.Arch != a.Name {
				continue
			}
			n++
			sum += s.Mean
			if min < 0 || s.Min < min {
				min = s.Min
			}
			if s.Max > max {
				max, worst = s.Max, s.Name
			}
			if s.Allowed {
				allowed++
			}
			if s.Cached {
				cached++
			}
		}
		if n == 0 {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%d\t%s\t%d\t%d\t\n", a.Name, n, min, sum/float64(n), max, worst, allowed, cached)
	}
	tw.Flush()
	// The cache is a bitmap indexed by the number, so x32's numbers
	// (0x40000000 and up) never hit it (seccomp_cache_check_allow); list
	// only the misses a different program could avoid.
	var notCached []string
	x32 := 0
	for _, n := range rep.NotCached {
		if strings.HasPrefix(n, "x32/") {
			x32++
			continue
		}
		notCached = append(notCached, n)
	}
	if x32 > 0 {
		fmt.Fprintf(w, "x32 calls are never cached: the kernel's cache is indexed by number, and x32 numbers start at 0x40000000\n")
	}
	if len(notCached) > 0 {
		fmt.Fprintf(w, "allowed but not cached (the filter runs on every call): %s\n", strings.Join(notCached, ", "))
	}

	conds := conditionsBySyscall(pol)
	if len(conds) > 0 {
		fmt.Fprintf(w, "\nsyscalls with argument conditions:\n")
		for _, sc := range conds {
			fmt.Fprintf(w, "  %s: %s\n", sc.name, strings.Join(sc.rules, "; "))
		}
	}

	if *verbose {
		fmt.Fprintf(w, "\nper syscall (instructions executed over every argument class):\n")
		printPerSyscall(w, pol, prog.Arches, rep)
	}

	warns := warnings(pwarns, prog)
	warns = append(warns, denyListHoles(pol, prog.Arches)...)
	if len(warns) > 0 {
		fmt.Fprintf(w, "\nwarnings:\n")
		for _, s := range warns {
			fmt.Fprintf(w, "  %s\n", s)
		}
	}
	return nil
}

// warnings merges the profile's and the compiler's warnings. The profile
// already lists, per entry, the names it skipped on an ABI, so the
// compiler's per-name repeats are left out.
func warnings(pwarns []profile.Warning, prog *compiler.Program) []string {
	var out []string
	for _, pw := range pwarns {
		out = append(out, "profile: "+pw.String())
	}
	for _, cw := range prog.Warnings {
		if cw.Kind == compiler.WarnUnknownName && len(pwarns) > 0 {
			continue
		}
		out = append(out, "compiler: "+cw.String())
	}
	return out
}

// unknownAction is what the policy does with a number no table knows, on
// the first ABI (the same on all but MIPS, whose ENOSYS is 89).
func unknownAction(pol *compiler.Policy, arches []*arch.Arch) compiler.Action {
	if len(arches) == 0 {
		return compiler.Action{}
	}
	a := arches[0]
	nr := a.MaxSyscall() + 1
	return pol.Eval(a, vm.Data{Nr: nr, Arch: a.AuditArch})
}

type syscallConds struct {
	name  string
	rules []string
}

// conditionsBySyscall lists, per syscall name, the rules with argument
// conditions, rules with the same action joined: "ALLOW if a0 < 3 || a0 == 7".
func conditionsBySyscall(pol *compiler.Policy) []syscallConds {
	type key struct {
		name   string
		action compiler.Action
		arches string
	}
	var order []key
	alts := map[key][][]compiler.Cond{}
	for _, r := range pol.Rules {
		if len(r.Conds) == 0 {
			continue
		}
		names := append([]string{}, r.Syscalls...)
		for _, n := range r.Numbers {
			names = append(names, fmt.Sprintf("#%d", n))
		}
		for _, n := range names {
			k := key{n, r.Action, strings.Join(r.Arches, ", ")}
			if _, ok := alts[k]; !ok {
				order = append(order, k)
			}
			alts[k] = append(alts[k], r.Conds)
		}
	}
	by := map[string][]string{}
	for _, k := range order {
		text := fmt.Sprintf("%v if %s", k.action, condsText(alts[k]))
		if k.arches != "" {
			text += " (on " + k.arches + ")"
		}
		by[k.name] = append(by[k.name], text)
	}
	out := make([]syscallConds, 0, len(by))
	for n, rs := range by {
		out = append(out, syscallConds{name: n, rules: rs})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// condsText spells alternatives of conjunctions of conditions. When every
// alternative is one range test on the same argument, they are merged into
// ranges: "a0 in {2, 10}", "a0 <= 2 || a0 in 7..10".
func condsText(alts [][]compiler.Cond) string {
	mergeable := true
	first := alts[0][0]
	var rs [][2]uint64
	max := ^uint64(0)
	if first.Low32 {
		max = 0xffffffff
	}
	for _, a := range alts {
		if len(a) != 1 || a[0].Arg != first.Arg || a[0].Low32 != first.Low32 || a[0].Op == compiler.OpMaskedEQ {
			mergeable = false
			break
		}
		v := a[0].Value & max
		switch a[0].Op {
		case compiler.OpEQ:
			rs = append(rs, [2]uint64{v, v})
		case compiler.OpNE:
			if v > 0 {
				rs = append(rs, [2]uint64{0, v - 1})
			}
			if v < max {
				rs = append(rs, [2]uint64{v + 1, max})
			}
		case compiler.OpLT:
			if v > 0 {
				rs = append(rs, [2]uint64{0, v - 1})
			}
		case compiler.OpLE:
			rs = append(rs, [2]uint64{0, v})
		case compiler.OpGT:
			if v < max {
				rs = append(rs, [2]uint64{v + 1, max})
			}
		case compiler.OpGE:
			rs = append(rs, [2]uint64{v, max})
		default:
			mergeable = false
		}
	}
	if mergeable && len(rs) > 0 {
		name := fmt.Sprintf("a%d", first.Arg)
		if first.Low32 {
			name += ".lo"
		}
		return describeRanges(name, mergeOverlaps(rs), max)
	}
	var out []string
	for _, a := range alts {
		var cs []string
		for _, c := range a {
			cs = append(cs, condText(c, ^uint64(0), false))
		}
		out = append(out, strings.Join(cs, " && "))
	}
	return strings.Join(out, " || ")
}

// mergeOverlaps sorts ranges and merges overlapping ones, which
// describeRanges expects to be disjoint.
func mergeOverlaps(rs [][2]uint64) [][2]uint64 {
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var m [][2]uint64
	for _, r := range rs {
		if n := len(m); n > 0 && r[0] <= m[n-1][1] {
			if r[1] > m[n-1][1] {
				m[n-1][1] = r[1]
			}
			continue
		}
		m = append(m, r)
	}
	return m
}

// printPerSyscall prints one line per syscall of every ABI: what it may
// get and what it costs.
func printPerSyscall(w io.Writer, pol *compiler.Policy, arches []*arch.Arch, rep *compiler.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ABI\tnr\tsyscall\tactions\tmin\tmean\tmax\tcached\n")
	for _, a := range arches {
		for _, s := range rep.Syscalls {
			if s.Arch != a.Name {
				continue
			}
			acts := syscallActions(pol, a, arch.Syscall{Name: s.Name, Nr: s.Nr})
			cached := ""
			if s.Cached {
				cached = "yes"
			} else if s.Allowed {
				cached = "no"
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%d\t%.1f\t%d\t%s\n", a.Name, s.Nr, s.Name, acts, s.Min, s.Mean, s.Max, cached)
		}
	}
	tw.Flush()
}

// syscallActions lists the actions a syscall can get, over every argument
// class the policy's conditions tell apart, most restrictive first:
// "ALLOW" or "ERRNO(1)|ALLOW".
func syscallActions(pol *compiler.Policy, a *arch.Arch, s arch.Syscall) string {
	spaces := argSpaces(a, s, pol)
	var acts []compiler.Action
	add := func(d vm.Data) {
		if act := pol.Eval(a, d); !slices.Contains(acts, act) {
			acts = append(acts, act)
		}
	}
	d := vm.Data{Nr: s.Nr, Arch: a.AuditArch}
	add(d)
	for _, sp := range spaces {
		for _, cl := range sp.classes {
			dd := d
			dd.Args[sp.index] = cl.witness
			add(dd)
		}
	}
	slices.SortFunc(acts, func(x, y compiler.Action) int {
		if x.Kind != y.Kind {
			return int(x.Kind) - int(y.Kind)
		}
		return int(x.Data) - int(y.Data)
	})
	var names []string
	for _, act := range acts {
		names = append(names, act.String())
	}
	return strings.Join(names, "|")
}

// Syscall families that do the same thing: a deny-list that denies some
// members on an ABI and allows others has a hole.
var syscallFamilies = [][]string{
	{"open", "openat", "openat2", "creat"},
	{"clone", "clone3", "fork", "vfork"},
	{"execve", "execveat"},
	{"mkdir", "mkdirat"},
	{"mknod", "mknodat"},
	{"unlink", "unlinkat", "rmdir"},
	{"rename", "renameat", "renameat2"},
	{"link", "linkat"},
	{"symlink", "symlinkat"},
	{"chmod", "fchmod", "fchmodat", "fchmodat2"},
	{"chown", "fchown", "lchown", "fchownat", "chown32", "fchown32", "lchown32"},
	{"mount", "fsmount", "move_mount", "open_tree", "mount_setattr"},
	{"umount", "umount2"},
	{"dup2", "dup3"},
	{"kill", "tkill", "tgkill", "pidfd_send_signal"},
	{"ptrace", "process_vm_readv", "process_vm_writev"},
	{"utime", "utimes", "utimensat", "futimesat"},
	{"setuid", "setreuid", "setresuid", "setuid32", "setreuid32", "setresuid32"},
	{"setgid", "setregid", "setresgid", "setgid32", "setregid32", "setresgid32"},
}

// denyListHoles finds ways around a deny-list (a policy whose default lets
// calls through): multiplexed calls allowed while their sub-calls are
// denied, and syscall families denied in part. It also says what happens
// to the ABIs the kernel runs but the policy does not list.
func denyListHoles(pol *compiler.Policy, arches []*arch.Arch) []string {
	def := pol.DefaultAction()
	if def.Kind != compiler.KindAllow && def.Kind != compiler.KindLog {
		return nil
	}
	var out []string
	denied := func(a *arch.Arch, name string) (bool, bool) {
		nr, ok := a.Syscall(name)
		if !ok {
			return false, false
		}
		act := pol.Eval(a, vm.Data{Nr: nr, Arch: a.AuditArch})
		return act.Kind != compiler.KindAllow && act.Kind != compiler.KindLog, true
	}
	for _, a := range arches {
		for _, mux := range []struct {
			name string
			sub  func(string) (int, bool)
		}{{"socketcall", arch.SocketCallNumber}, {"ipc", arch.IPCCallNumber}} {
			d, ok := denied(a, mux.name)
			if !ok || d {
				continue
			}
			var subs []string
			for _, s := range a.Syscalls() {
				if _, isSub := mux.sub(s.Name); isSub {
					if d, _ := denied(a, s.Name); d {
						subs = append(subs, s.Name)
					}
				}
			}
			if len(subs) > 0 {
				out = append(out, fmt.Sprintf("hole: %s: %s denied but %s allowed: the same calls go through %s(2)",
					a.Name, strings.Join(subs, ", "), mux.name, mux.name))
			}
		}
		for _, fam := range syscallFamilies {
			var den, allowed []string
			for _, n := range fam {
				if d, ok := denied(a, n); ok {
					if d {
						den = append(den, n)
					} else {
						allowed = append(allowed, n)
					}
				}
			}
			if len(den) > 0 && len(allowed) > 0 {
				out = append(out, fmt.Sprintf("hole: %s: %s denied but %s allowed", a.Name, strings.Join(den, ", "), strings.Join(allowed, ", ")))
			}
		}
	}
	if u := unknownAction(pol, arches); u.Kind == compiler.KindAllow || u.Kind == compiler.KindLog {
		out = append(out, fmt.Sprintf("hole: syscalls newer than the tables get %v (run with --unknown enosys to answer them ENOSYS)", u))
	}
	// ABIs the kernel of each native ABI also runs: not a hole in this
	// program (they get the bad-arch action), but a deny-list written for
	// one ABI often means to leave them open or forgets them.
	for _, a := range arches {
		var missing []string
		for _, c := range a.Compat() {
			listed := false
			for _, b := range arches {
				listed = listed || b == c
			}
			if !listed {
				missing = append(missing, c.Name)
			}
		}
		if len(missing) > 0 {
			out = append(out, fmt.Sprintf("note: deny-list on %s: calls from the ABIs the %s kernel also runs (%s) are not covered by its rules; this program gives them the bad-arch action %v",
				a.Name, a.Name, strings.Join(missing, ", "), pol.BadArchAction()))
		}
	}
	return out
}
