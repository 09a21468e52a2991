package main

import (
	"fmt"

	elastic "github.com/elastic/go-seccomp-bpf"
	elasticarch "github.com/elastic/go-seccomp-bpf/arch"
	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// elasticCompiler is github.com/elastic/go-seccomp-bpf v1.6.0: one ABI (the
// host's), groups where the first matching group wins, a linear jeq chain.
var elasticCompiler = Compiler{Name: "elastic", Build: buildElastic}

// elasticPlaceholder stands in for a default action that carries data:
// Policy.Validate accepts only the eight bare actions as the default, so
// ERRNO(1) cannot be said directly. The placeholder is substituted in the
// returned program; it must be an action no group uses.
const opRetK = 0x06 // BPF_RET | BPF_K

var elasticPlaceholders = []elastic.Action{elastic.ActionTrace, elastic.ActionUserNotify, elastic.ActionTrap}

func elasticCond(c compiler.Cond) (elastic.Condition, bool) {
	if c.Low32 {
		return elastic.Condition{}, false
	}
	cond := elastic.Condition{Argument: uint32(c.Arg), Value: c.Value}
	switch c.Op {
	case compiler.OpEQ:
		cond.Operation = elastic.Equal
	case compiler.OpNE:
		cond.Operation = elastic.NotEqual
	case compiler.OpLT:
		cond.Operation = elastic.LessThan
	case compiler.OpLE:
		cond.Operation = elastic.LessOrEqual
	case compiler.OpGT:
		cond.Operation = elastic.GreaterThan
	case compiler.OpGE:
		cond.Operation = elastic.GreaterOrEqual
	case compiler.OpMaskedEQ:
		switch {
		case c.Value == 0:
			// (arg & m) == 0
			cond.Operation, cond.Value = elastic.BitsNotSet, c.Mask
		case c.Value == c.Mask && c.Mask&(c.Mask-1) == 0:
			// one bit: (arg & b) == b  ⇔  (arg & b) != 0
			cond.Operation, cond.Value = elastic.BitsSet, c.Mask
		default:
			return elastic.Condition{}, false
		}
	default:
		return elastic.Condition{}, false
	}
	return cond, true
}

func buildElastic(p *compiler.Policy) (*Built, error) {
	arches, err := policyArches(p)
	if err != nil {
		return nil, err
	}
	x86, _ := arch.Lookup("x86_64")
	if len(arches) != 1 || arches[0] != x86 {
		return nil, fmt.Errorf("elastic/go-seccomp-bpf targets one ABI, the host's (x86_64 here)")
	}
	a := arches[0]
	b := &Built{}
	known := elasticarch.X86_64.SyscallNames
	used := map[elastic.Action]bool{}
	var groups []elastic.SyscallGroup
	for _, group := range actionGroups(rankedRules(p)) {
		act := elastic.Action(group[0].Action.Ret())
		if group[0].Action.Kind == compiler.KindErrno && group[0].Action.Data == 0 {
			// Program.Ret turns a bare ActionErrno into ERRNO(EPERM).
			b.drop("ERRNO(0) becomes ERRNO(EPERM) (Program.Ret)")
		}
		used[act&0xffff0000] = true
		uncond := map[string]bool{}
		var names []string
		var withArgs []elastic.NameWithConditions
		for i := range group {
			r := &group[i]
			if !ruleApplies(r, a) {
				continue
			}
			var conds elastic.ArgumentConditions
			ok := true
			for _, c := range r.Conds {
				ec, good := elasticCond(c)
				if !good {
					ok = false
					break
				}
				conds = append(conds, ec)
			}
			if !ok {
				b.drop("rule %q: %v has a comparison elastic cannot express (masked == with other values, low-word compares)", r.Comment, r.Conds)
				continue
			}
			for _, name := range ruleNames(r, a) {
				if _, ours := a.Syscall(name); !ours {
					continue
				}
				if _, ok := known[name]; !ok {
					b.drop("%s: not in elastic's x86_64 table", name)
					continue
				}
				if len(conds) == 0 {
					if !uncond[name] {
						uncond[name] = true
						names = append(names, name)
					}
					continue
				}
				withArgs = append(withArgs, elastic.NameWithConditions{Name: name, Conditions: conds})
			}
		}
		// A group may not hold a syscall both with and without conditions;
		// the unconditional entry already matches every call.
		var kept []elastic.NameWithConditions
		for _, nc := range withArgs {
			if !uncond[nc.Name] {
				kept = append(kept, nc)
			}
		}
		if len(names)+len(kept) > 0 {
			groups = append(groups, elastic.SyscallGroup{Names: names, NamesWithCondtions: kept, Action: act})
		}
	}
	def := p.DefaultAction()
	defAct := elastic.Action(def.Ret())
	var placeholder elastic.Action
	if def.Ret()&compiler.RetData != 0 || def.Kind == compiler.KindErrno {
		for _, ph := range elasticPlaceholders {
			if !used[ph] && ph != elastic.Action(p.BadArchAction().Ret()&0xffff0000) {
				placeholder = ph
				break
			}
		}
		if placeholder == 0 {
			return nil, fmt.Errorf("elastic: no free placeholder for default %v", def)
		}
		defAct = placeholder
	}
	if p.BadArchAction() != def {
		b.drop("bad-arch action %v: elastic returns the default action for a foreign ABI", p.BadArchAction())
	}
	pol := elastic.Policy{DefaultAction: defAct, Syscalls: groups}
	insns, err := pol.Assemble()
	if err != nil {
		return nil, fmt.Errorf("elastic: %w", err)
	}
	raw, err := bpf.Assemble(insns)
	if err != nil {
		return nil, fmt.Errorf("elastic: %w", err)
	}
	if placeholder != 0 {
		for i := range raw {
			if raw[i].Op == opRetK && raw[i].K == uint32(placeholder) {
				raw[i].K = def.Ret()
			}
		}
	}
	b.Insns = raw
	return b, nil
}
