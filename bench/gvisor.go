package main

import (
	"fmt"

	gvseccomp "gvisor.dev/gvisor/pkg/seccomp"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// gvisorCompiler is gVisor's pkg/seccomp: one ABI (the host's, x86_64 here),
// rule sets where the first matching set wins, no LOG action.
var gvisorCompiler = Compiler{Name: "gVisor", Build: buildGVisor}

func gvisorAction(a compiler.Action) (gvseccomp.Action, bool) {
	switch a.Kind {
	case compiler.KindAllow:
		return gvseccomp.Allow, true
	case compiler.KindErrno:
		return gvseccomp.ReturnError.Code(a.Data), true
	case compiler.KindKillProcess:
		return gvseccomp.KillProcess, true
	case compiler.KindKillThread:
		return gvseccomp.KillThread, true
	case compiler.KindTrap:
		return gvseccomp.Trap.Code(a.Data), true
	case compiler.KindTrace:
		return gvseccomp.Trace.Code(a.Data), true
	case compiler.KindUserNotif:
		return gvseccomp.UserNotify, true
	}
	return "", false // LOG: gVisor has no such action
}

func gvisorMatcher(c compiler.Cond) (gvseccomp.ValueMatcher, bool) {
	c, ok := low32Cond(c)
	if !ok {
		return nil, false
	}
	v := uintptr(c.Value)
	switch c.Op {
	case compiler.OpEQ:
		return gvseccomp.EqualTo(v), true
	case compiler.OpNE:
		return gvseccomp.NotEqual(v), true
	case compiler.OpLT:
		return gvseccomp.LessThan(v), true
	case compiler.OpLE:
		return gvseccomp.LessThanOrEqual(v), true
	case compiler.OpGT:
		return gvseccomp.GreaterThan(v), true
	case compiler.OpGE:
		return gvseccomp.GreaterThanOrEqual(v), true
	case compiler.OpMaskedEQ:
		return gvseccomp.MaskedEqual(uintptr(c.Mask), v), true
	}
	return nil, false
}

// gvisorRule turns a rule's conditions (AND) into a SyscallRule. PerArg
// holds one matcher per argument, so a second condition on the same argument
// goes into another PerArg under And.
func gvisorRule(conds []compiler.Cond) (gvseccomp.SyscallRule, bool) {
	if len(conds) == 0 {
		return gvseccomp.MatchAll{}, true
	}
	var parts []gvseccomp.PerArg
	for _, c := range conds {
		m, ok := gvisorMatcher(c)
		if !ok {
			return nil, false
		}
		placed := false
		for i := range parts {
			if parts[i][c.Arg] == nil {
				parts[i][c.Arg] = m
				placed = true
				break
			}
		}
		if !placed {
			var pa gvseccomp.PerArg
			for i := range pa {
				pa[i] = gvseccomp.AnyValue{}
			}
			pa[c.Arg] = m
			parts = append(parts, pa)
		}
	}
	for i := range parts {
		for j := range parts[i] {
			if parts[i][j] == nil {
				parts[i][j] = gvseccomp.AnyValue{}
			}
		}
	}
	if len(parts) == 1 {
		return parts[0], true
	}
	and := make(gvseccomp.And, len(parts))
	for i := range parts {
		and[i] = parts[i]
	}
	return and, true
}

func buildGVisor(p *compiler.Policy) (*Built, error) {
	arches, err := policyArches(p)
	if err != nil {
		return nil, err
	}
	x86, _ := arch.Lookup("x86_64")
	if len(arches) != 1 || arches[0] != x86 {
		return nil, fmt.Errorf("gVisor's pkg/seccomp targets one ABI, the host's (x86_64 here)")
	}
	a := arches[0]
	b := &Built{}
	var sets []gvseccomp.RuleSet
	for _, group := range actionGroups(rankedRules(p)) {
		act, ok := gvisorAction(group[0].Action)
		if !ok {
			b.drop("%d rule(s) with action %v (gVisor has no LOG)", len(group), group[0].Action)
			continue
		}
		rules := gvseccomp.NewSyscallRules()
		n := 0
		for i := range group {
			r := &group[i]
			sr, ok := gvisorRule(r.Conds)
			if !ok {
				b.drop("rule %q %v: a low-word-only comparison other than == or &==", r.Comment, r.Conds)
				continue
			}
			for _, name := range ruleNames(r, a) {
				nr, ok := a.Syscall(name)
				if !ok {
					continue // unknown on this ABI: skipped as our compiler does
				}
				rules = rules.Add(uintptr(nr), sr)
				n++
			}
		}
		if n > 0 {
			sets = append(sets, gvseccomp.RuleSet{Rules: rules, Action: act})
		}
	}
	def, ok := gvisorAction(p.DefaultAction())
	if !ok {
		return nil, fmt.Errorf("gVisor cannot express default action %v", p.DefaultAction())
	}
	bad, ok := gvisorAction(p.BadArchAction())
	if !ok {
		return nil, fmt.Errorf("gVisor cannot express bad-arch action %v", p.BadArchAction())
	}
	var hot []uintptr
	for _, name := range p.Hot {
		if nr, ok := a.Syscall(name); ok {
			hot = append(hot, uintptr(nr))
		}
	}
	prog := gvseccomp.Program{
		RuleSets: sets,
		Options:  gvseccomp.ProgramOptions{DefaultAction: def, BadArchAction: bad, HotSyscalls: hot},
	}
	insns, _, err := prog.Build()
	if err != nil {
		return nil, fmt.Errorf("gVisor: %w", err)
	}
	b.Insns = make([]bpf.RawInstruction, len(insns))
	for i, in := range insns {
		b.Insns[i] = bpf.RawInstruction{Op: in.OpCode, Jt: in.JumpIfTrue, Jf: in.JumpIfFalse, K: in.K}
	}
	return b, nil
}
