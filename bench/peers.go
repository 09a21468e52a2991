package main

import (
	"fmt"
	"sort"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// A Compiler turns an evaluated policy into a seccomp program. Every peer is
// fed the same compiler.Policy; Build translates it to the peer's own API and
// returns the program with notes on what the peer could not express.
type Compiler struct {
	Name string
	// MultiArch tells whether the compiler can target several ABIs in one
	// program; single-ABI peers (gVisor, elastic) target x86_64 only.
	MultiArch bool
	Build     func(p *compiler.Policy) (*Built, error)
	// Ours: build Case.Ours (our ENOSYS default for unknown numbers)
	// rather than Case.Policy.
	Ours bool
}

// Built is one compiled program.
type Built struct {
	Insns []bpf.RawInstruction
	// Dropped lists what the translation had to leave out or change,
	// because the peer's API cannot express it.
	Dropped []string
}

func (b *Built) drop(format string, args ...any) {
	b.Dropped = append(b.Dropped, fmt.Sprintf(format, args...))
}

// policyArches resolves p.Arches (empty = native).
func policyArches(p *compiler.Policy) ([]*arch.Arch, error) {
	if len(p.Arches) == 0 {
		if a := arch.Native(); a != nil {
			return []*arch.Arch{a}, nil
		}
		return nil, fmt.Errorf("no native ABI")
	}
	var out []*arch.Arch
	for _, name := range p.Arches {
		a, err := arch.Lookup(name)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ruleApplies reports whether rule r covers ABI a.
func ruleApplies(r *compiler.Rule, a *arch.Arch) bool {
	if len(r.Arches) == 0 {
		return true
	}
	for _, name := range r.Arches {
		if b, err := arch.Lookup(name); err == nil && b == a {
			return true
		}
	}
	return false
}

// ruleNames returns the syscall names of r on ABI a: its Syscalls, and its
// Numbers translated through a's table (peers take names).
func ruleNames(r *compiler.Rule, a *arch.Arch) []string {
	names := append([]string(nil), r.Syscalls...)
	for _, nr := range r.Numbers {
		if n, ok := a.SyscallName(nr); ok {
			names = append(names, n)
		}
	}
	return names
}

// rankedRules returns the policy's rules ordered the way a "first matching
// rule wins" peer must see them to give our meaning: most restrictive kind
// first, stable among equals (the first rule wins between equal kinds).
func rankedRules(p *compiler.Policy) []compiler.Rule {
	rs := append([]compiler.Rule(nil), p.Rules...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Action.Kind < rs[j].Action.Kind })
	return rs
}

// actionGroups splits ranked rules into runs of one action.
func actionGroups(rs []compiler.Rule) [][]compiler.Rule {
	var out [][]compiler.Rule
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && rs[j].Action == rs[i].Action {
			j++
		}
		out = append(out, rs[i:j])
		i = j
	}
	return out
}

// low32 reports whether c compares only the low word, which the peers
// cannot express except for == and masked == (as a masked compare).
func low32Cond(c compiler.Cond) (compiler.Cond, bool) {
	if !c.Low32 {
		return c, true
	}
	switch c.Op {
	case compiler.OpEQ:
		return compiler.Cond{Arg: c.Arg, Op: compiler.OpMaskedEQ, Mask: 0xffffffff, Value: c.Value & 0xffffffff}, true
	case compiler.OpMaskedEQ:
		return compiler.Cond{Arg: c.Arg, Op: compiler.OpMaskedEQ, Mask: c.Mask & 0xffffffff, Value: c.Value & 0xffffffff}, true
	}
	return c, false
}
