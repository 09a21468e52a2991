package main

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

func fmtDur(ns float64) string {
	switch {
	case ns <= 0:
		return "–"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	default:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
}

// mainTable is the headline table: every case, every compiler.
func (r *Results) mainTable() string {
	var b strings.Builder
	b.WriteString("| profile | ABIs | compiler | insns | mean executed | mix-weighted | worst, zero args | worst, any probe | allows cached | compile time | verdicts ≠ policy |\n")
	b.WriteString("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, cr := range r.Cases {
		for _, row := range cr.Rows {
			c := cr.Case
			fmt.Fprintf(&b, "| %s | %s | %s |", c.Profile, c.ABISet(), row.Compiler.Name)
			if row.Prog == nil {
				insns := "–"
				if row.M.Insns > 0 {
					insns = fmt.Sprint(row.M.Insns)
				}
				fmt.Fprintf(&b, " %s | %s | | | | | %s | |\n", insns, row.Err, fmtDur(row.CompileNS))
				continue
			}
			m := row.M
			mean := fmt.Sprintf("%.1f", m.Mean)
			if len(c.ABIs) > 1 {
				mean = fmt.Sprintf("%.1f (all ABIs %.1f)", m.Mean, m.MeanAll)
			}
			cached := "–"
			if m.CacheTotal > 0 {
				cached = fmt.Sprintf("%d/%d", m.Cached, m.CacheTotal)
			}
			fmt.Fprintf(&b, " %d | %s | %.1f | %d | %d | %s | %s | %d |\n",
				m.Insns, mean, m.Mix, m.Worst, m.WorstArgs, cached, fmtDur(row.CompileNS), row.DiffCount)
		}
	}
	return b.String()
}

// lead compares seccompile with the best peer on each metric of each case
// and lists where seccompile does not lead.
func (r *Results) lead() string {
	type metric struct {
		name string
		val  func(*Row) float64
		unit string
	}
	ms := []metric{
		{"program length", func(x *Row) float64 { return float64(x.M.Insns) }, "insns"},
		{"mean executed", func(x *Row) float64 { return x.M.Mean }, "insns"},
		{"mix-weighted mean", func(x *Row) float64 { return x.M.Mix }, "insns"},
		{"worst, zero args", func(x *Row) float64 { return float64(x.M.Worst) }, "insns"},
		{"worst, any probe", func(x *Row) float64 { return float64(x.M.WorstArgs) }, "insns"},
		{"compile time", func(x *Row) float64 { return x.CompileNS }, "ns"},
	}
	var lines []string
	for _, cr := range r.Cases {
		ours := cr.rowByName("seccompile")
		if ours == nil || ours.Prog == nil {
			continue
		}
		for _, m := range ms {
			ov := m.val(ours)
			if ov <= 0 {
				continue
			}
			var best *Row
			for _, row := range cr.Rows {
				if row.Compiler.Name == ours.Compiler.Name || row.Compiler.Ours || row.Prog == nil {
					continue
				}
				if v := m.val(row); v > 0 && (best == nil || v < m.val(best)) {
					best = row
				}
			}
			if best == nil || m.val(best) >= ov {
				continue
			}
			bv := m.val(best)
			show := func(v float64) string {
				if m.unit == "ns" {
					return fmtDur(v)
				}
				return fmt.Sprintf("%.1f", v)
			}
			lines = append(lines, fmt.Sprintf("- %s %s, %s: %s %s vs seccompile %s (+%.0f%%)",
				cr.Case.Profile, cr.Case.ABISet(), m.name, best.Compiler.Name, show(bv), show(ov), 100*(ov-bv)/bv))
		}
	}
	lines = append(lines, r.kernelLead()...)
	if len(lines) == 0 {
		return "seccompile leads (or ties) every metric of every case.\n"
	}
	return strings.Join(lines, "\n") + "\n"
}

// kernelLead lists the kernel-cost figures of docker-default x86_64 where a
// peer is faster than seccompile, with the run's noise: how far apart the
// two seccompile builds are, whose paths for the call differ by at most a
// few instructions.
func (r *Results) kernelLead() []string {
	const prefix = "docker-default x86_64: "
	rows := map[string]*KernelRow{}
	for i := range r.KernelRows {
		if name, ok := strings.CutPrefix(r.KernelRows[i].Name, prefix); ok {
			rows[name] = &r.KernelRows[i]
		}
	}
	ours, twin := rows["seccompile"], rows["seccompile (ENOSYS)"]
	if ours == nil {
		return nil
	}
	var out []string
	for _, c := range kcostCalls {
		var best string
		for name, k := range rows {
			if strings.HasPrefix(name, "seccompile") {
				continue
			}
			if best == "" || k.NS[c] < rows[best].NS[c] {
				best = name
			}
		}
		if best == "" || rows[best].NS[c] >= ours.NS[c] {
			continue
		}
		noise := ""
		if twin != nil && twin.NS[c] > 0 {
			noise = fmt.Sprintf("; the two seccompile builds (%d and %d insns executed) differ by %.0f%% in this run", ours.Executed[c], twin.Executed[c], 100*abs(ours.NS[c]-twin.NS[c])/min(ours.NS[c], twin.NS[c]))
		}
		out = append(out, fmt.Sprintf("- kernel cost, docker-default x86_64, %s: %s %.0f ns (%d insns executed) vs seccompile %.0f ns (%d insns executed) (+%.0f%%%s)",
			c, best, rows[best].NS[c], rows[best].Executed[c], ours.NS[c], ours.Executed[c], 100*(ours.NS[c]-rows[best].NS[c])/rows[best].NS[c], noise))
	}
	return out
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// explain says why a program's answer differs from the policy's, for the
// difference classes this comparison finds; "" when it has no explanation.
func explain(p *compiler.Policy, row *Row, g DiffGroup) string {
	name := row.Compiler.Name
	pr := g.Probe
	sys := ""
	if pr.ABI != nil {
		sys, _ = pr.ABI.SyscallName(pr.Data.Nr)
	}
	elastic, gvisor, libsec := strings.HasPrefix(name, "elastic"), strings.HasPrefix(name, "gVisor"), strings.HasPrefix(name, "libseccomp")
	switch {
	case elastic && g.Kind == BadArch:
		return "elastic returns the default action for a foreign ABI (no bad-arch action)"
	case elastic && g.Kind == Edge && pr.Data.Nr >= 0x40000000:
		return "elastic's x32 guard (`jge #0x40000000`) answers every number ≥ 0x40000000 ERRNO(ENOSYS), -1 included, instead of the bad-arch action"
	case elastic && (g.Kind == ArgIsNr || g.Kind == Args):
		return "elastic does not reload the syscall number after an argument check: A still holds the argument's low word, so the next `jeq` matches the syscall whose number equals it (or none)"
	case gvisor && g.Kind == Edge && pr.Data.Nr >= 0x40000000:
		return "gVisor has no x32 check: x32 numbers (and other large ones) miss every rule and get the default, not the bad-arch action"
	case libsec && sys != "" && !libseccompKnows(sys, pr.ABI):
		return "libseccomp " + libseccompVersion() + " does not know " + sys + " on " + pr.ABI.Name + "; runc skips the name, so the call gets the default action"
	case libsec && g.Kind == Edge && pr.Data.Nr == 0xffffffff:
		return "libseccomp lets nr -1 through its x32 guard (since Linux 4.8 a tracer sets -1 to skip a call) to the default action; we give it the bad-arch action"
	case libsec && overlapping(p, pr):
		return "overlapping rules with different actions: libseccomp keeps one of them by its own merge rules, we take the most restrictive matching action (DESIGN.md)"
	case libsec && pr.ABI != nil && pr.ABI.Name == "x32" && g.Kind == Args:
		return "x32 syscalls get full 64-bit registers: we compare all 64 bits, libseccomp treats x32 as a 32-bit ABI and compares only the low word"
	}
	return ""
}

// libseccompKnows reports whether libseccomp resolves name on ABI a.
func libseccompKnows(name string, a *arch.Arch) bool {
	tok, err := libseccompArch(a)
	if err != nil {
		return false
	}
	n, err := libseccomp.GetSyscallFromNameByArch(name, tok)
	return err == nil && n >= 0
}

// overlapping reports whether rules with different actions both match the
// probe.
func overlapping(p *compiler.Policy, pr Probe) bool {
	if pr.ABI == nil {
		return false
	}
	wide := pr.ABI.Bits == 64 || pr.ABI.Name == "x32"
	var seen []compiler.Action
	for i := range p.Rules {
		r := &p.Rules[i]
		if !ruleApplies(r, pr.ABI) || !namesNr(r, pr.ABI, pr.Data.Nr) {
			continue
		}
		ok := true
		for _, c := range r.Conds {
			if !condHolds(c, pr.Data.Args[c.Arg], wide) {
				ok = false
				break
			}
		}
		if ok && !slices.Contains(seen, r.Action) {
			seen = append(seen, r.Action)
		}
	}
	return len(seen) > 1
}

func namesNr(r *compiler.Rule, a *arch.Arch, nr uint32) bool {
	for _, name := range ruleNames(r, a) {
		if n, ok := a.Syscall(name); ok && n == nr {
			return true
		}
	}
	return false
}

func condHolds(c compiler.Cond, v uint64, wide bool) bool {
	val, mask := c.Value, c.Mask
	if c.Low32 || !wide {
		v, val, mask = v&0xffffffff, val&0xffffffff, mask&0xffffffff
	}
	switch c.Op {
	case compiler.OpEQ:
		return v == val
	case compiler.OpNE:
		return v != val
	case compiler.OpLT:
		return v < val
	case compiler.OpLE:
		return v <= val
	case compiler.OpGT:
		return v > val
	case compiler.OpGE:
		return v >= val
	case compiler.OpMaskedEQ:
		return v&mask == val
	}
	return false
}

// markdown is RESULTS.md.
func (r *Results) markdown() string {
	var b strings.Builder
	b.WriteString("# seccompile vs libseccomp, gVisor and elastic\n\n")
	b.WriteString("Generated by `cd bench && go run .` (bench/main.go); do not edit by hand.\n\n")
	fmt.Fprintf(&b, "- date: %s\n- machine: Linux %s (`uname -r`), %s\n- %s\n", r.Date, r.Kernel, r.CPU, r.Go)
	fmt.Fprintf(&b, "- load average (1, 5, 15 min) at the start: %s, at the end: %s (timings on a busy machine are noisy)\n", r.LoadBefore, r.LoadAfter)
	for _, v := range r.Versions {
		fmt.Fprintf(&b, "- %s\n", v)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "- skipped: %s\n", s)
	}
	b.WriteString(`
Every compiler is fed the same evaluated policy: seccompile's profile package evaluates
each profile (Docker's default capabilities, the running kernel, runc semantics, unknown
syscall numbers getting the default action as runc and libseccomp give them) to a
compiler.Policy, and bench translates that policy to each peer's API (peers.go, one file per
peer). "seccompile (ENOSYS)" is ours with its own default for numbers the table does not
know, ERRNO(ENOSYS), compiled from the policy evaluated without RuncUnknown. Every program
runs in seccompile's vm, which is checked against the kernel.

Columns:
- **insns**: program length.
- **mean executed**: instructions executed, averaged over every number of the x86_64 table
  and its gaps (0..max), zero arguments; for several ABIs also over every ABI's numbers.
- **mix-weighted**: the same, weighted by syscall mixes measured with ` + "`strace -f -c`" + ` from
  real workloads (testdata/mix-*.txt: go build, a python script, tar, git status), the
  mean of the four workloads' weighted means.
- **worst, zero args**: the longest path over every number (table, gaps, past the table,
  x32 numbers, -1) of the policy's ABIs with zero arguments; **worst, any probe** adds the
  argument boundary probes.
- **allows cached**: syscalls the policy allows unconditionally (x86_64 and i386, the ABIs
  the kernel's action cache covers) that the cache takes (vm's ConstAllowByProgram,
  seccomp_is_const_allow).
- **compile time**: from the evaluated compiler.Policy to the program (our raw bytes; the
  peers' instructions, translation and libseccomp's export included): the fastest of five
  testing.Benchmark runs.
- **verdicts ≠ policy**: probes (below) on which the program's answer differs from the
  policy's direct evaluation (compiler.Policy.Eval).

`)
	b.WriteString("## Results\n\n")
	b.WriteString(r.mainTable())
	b.WriteString("\n![instructions executed per syscall](chart.svg)\n\n")
	b.WriteString("### Where seccompile does not lead\n\n")
	b.WriteString(r.lead())
	b.WriteString("\n### Per workload (docker-default, x86_64): mix-weighted mean instructions executed\n\n")
	if cr := r.caseResult("docker-default", "x86_64"); cr != nil {
		b.WriteString("| compiler |")
		for _, m := range r.Mixes {
			fmt.Fprintf(&b, " %s (%d calls) |", m.Name, m.Total)
		}
		b.WriteString("\n|---|")
		for range r.Mixes {
			b.WriteString("---:|")
		}
		b.WriteString("\n")
		for _, row := range cr.Rows {
			if row.Prog == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s |", row.Compiler.Name)
			for _, m := range r.Mixes {
				fmt.Fprintf(&b, " %.1f |", row.M.MixBy[m.Name])
			}
			b.WriteString("\n")
		}
	}
	b.WriteString("\n## Kernel cost per call\n\n")
	b.WriteString("Each filter is installed (TSYNC, SPEC_ALLOW as runc sets it) in a child process, a tiny\n")
	b.WriteString("CGO_ENABLED=0 program (bench/kcost), which times a raw-syscall loop; each figure is the\n")
	b.WriteString("fastest of all rounds, the rounds going round-robin over every filter in one run, and the\n")
	b.WriteString("ratio is to the same call with no filter in the same run. getppid is allowed unconditionally\n")
	b.WriteString("(the kernel's action cache answers it), personality(0xffffffff) is allowed after an argument\n")
	b.WriteString("check, acct(NULL) is denied with ERRNO(EPERM). \"insns executed\" is the filter's path for the call in\n")
	b.WriteString("the vm, \"cached\" that the kernel's action cache answers it without running the filter. With no\n")
	b.WriteString("filter acct(NULL) really runs (accounting is off), so a filter that denies it can be cheaper.\n\n")
	if r.KernelNote != "" {
		fmt.Fprintf(&b, "%s\n\n", r.KernelNote)
	}
	if len(r.KernelRows) > 0 {
		b.WriteString(kernelMarkdown(r.KernelRows))
	}
	b.WriteString("\n## Verdict check\n\n")
	b.WriteString(`Every program runs on the same probes per case: every number of each ABI's table and gaps;
numbers past the table, x32 numbers, -1 and the sign boundaries; calls from foreign ABIs
(i386, aarch64, arm, s390x where not listed); for each syscall with argument conditions, the
boundary values of every condition (value-1, value, value+1, 0, all ones, the other 32-bit
word set or cleared, sign extension, each mask bit flipped, the bits outside the mask), as a
cross product over the conditioned arguments (each argument alone beyond 2000 combinations);
and every syscall number of the ABI as the value of each conditioned argument, the inputs
that expose a program that compares the syscall number after loading an argument.
`)
	for _, cr := range r.Cases {
		fmt.Fprintf(&b, "\n### %s, %s: %d probes\n\n", cr.Case.Profile, cr.Case.ABISet(), len(cr.Probes))
		var withProg []*Row
		for _, row := range cr.Rows {
			if row.Prog != nil && !row.Compiler.Ours {
				withProg = append(withProg, row)
			}
		}
		b.WriteString("Probes on which two programs differ:\n\n| |")
		for _, row := range withProg {
			fmt.Fprintf(&b, " %s |", row.Compiler.Name)
		}
		b.WriteString("\n|---|")
		for range withProg {
			b.WriteString("---:|")
		}
		b.WriteString("\n")
		b.WriteString("| **policy (Eval)** |")
		for _, row := range withProg {
			fmt.Fprintf(&b, " %d |", row.DiffCount)
		}
		b.WriteString("\n")
		for _, x := range withProg {
			fmt.Fprintf(&b, "| %s |", x.Compiler.Name)
			for _, y := range withProg {
				fmt.Fprintf(&b, " %d |", countDiffs(x.M.Rets, y.M.Rets))
			}
			b.WriteString("\n")
		}
		for _, row := range cr.Rows {
			if row.Prog == nil || row.DiffCount == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n%s vs the policy:\n\n", row.Compiler.Name)
			b.WriteString("| probes | kind | what | policy | " + row.Compiler.Name + " | example | why |\n|---:|---|---|---|---|---|---|\n")
			for i, g := range row.Diffs {
				if i == 40 {
					rest := 0
					for _, h := range row.Diffs[i:] {
						rest += h.Count
					}
					fmt.Fprintf(&b, "| %d | … | %d more groups | | | | |\n", rest, len(row.Diffs)-i)
					break
				}
				why := explain(cr.Case.Policy, row, g)
				if why == "" {
					why = "**unexplained**"
				}
				fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | `%s` | %s |\n", g.Count, g.Kind, g.Subject, retName(g.A), retName(g.B), g.Example, why)
			}
		}
	}
	b.WriteString("\n### elastic's argument leak, in the kernel\n\n")
	if r.LeakNote != "" {
		fmt.Fprintf(&b, "%s\n\n", r.LeakNote)
	}
	if len(r.Leak) > 0 {
		b.WriteString("docker-default, x86_64: calls that the policy denies and elastic's program allows in the vm,\n")
		b.WriteString("run in a filtered child under elastic's program and under ours:\n\n")
		b.WriteString("| call | policy | elastic (vm) | elastic (kernel) | seccompile (vm) | seccompile (kernel) |\n|---|---|---|---|---|---|\n")
		for _, l := range r.Leak {
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", l.Probe.Label(), l.Want, l.Elastic, l.KernelElastic, retName(l.OursVM), l.KernelOurs)
		}
	}
	b.WriteString("\n## What each peer could not express\n\n")
	b.WriteString(`By design (each translation is in the peer's file):

- gVisor pkg/seccomp: one ABI per program, the host's; no x32 check (x32 numbers get the
  default); no LOG action; rule sets where the first match wins, so bench orders them most
  restrictive first (our precedence).
- elastic/go-seccomp-bpf v1.6.0: one ABI per program; a foreign ABI gets the default action
  (no bad-arch action); every number ≥ 0x40000000 gets ERRNO(ENOSYS); Policy.Validate takes
  only a bare action as the default, so a default with data (ERRNO(1)) is assembled as a
  placeholder action and substituted in the program; masked == only as BitsNotSet (value 0)
  or BitsSet (one bit); no low-word compares; ERRNO(0) becomes EPERM; groups where the first
  match wins, ordered most restrictive first; and the syscall number is not reloaded after an
  argument check (the leak below).
- libseccomp 2.5.4: names newer than its tables are skipped (as runc does); TRAP carries no
  data (no SCMP_ACT_TRAPX); x32 arguments compared as 32-bit; overlapping rules resolved by
  its own merge rules.

Per case:

`)
	seen := map[string]bool{}
	for _, cr := range r.Cases {
		for _, row := range cr.Rows {
			if row.Built == nil || len(row.Built.Dropped) == 0 {
				continue
			}
			key := row.Compiler.Name + " " + cr.Case.Profile + " " + cr.Case.ABISet()
			if seen[key] {
				continue
			}
			seen[key] = true
			ds := append([]string(nil), row.Built.Dropped...)
			sort.Strings(ds)
			fmt.Fprintf(&b, "- %s, %s %s: %s\n", row.Compiler.Name, cr.Case.Profile, cr.Case.ABISet(), strings.Join(ds, "; "))
		}
	}
	b.WriteString("\n## Syscall tables vs libseccomp's resolver\n\n")
	b.WriteString("Every name of our table resolved with seccomp_syscall_resolve_name_arch, and every number\n")
	b.WriteString("from below our table's first to past its last resolved back with _num_arch.\n\n")
	b.WriteString(archCheckMarkdown(r.Arch))
	return b.String()
}
