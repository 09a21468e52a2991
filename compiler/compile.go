package compiler

import (
	"fmt"
	"slices"
	"sync"

	"github.com/seccompile/seccompile/arch"
)

// MaxInsns is the kernel's limit on a filter's length (BPF_MAXINSNS).
const MaxInsns = 4096

var pool = sync.Pool{New: func() any { return new(compiler) }}

// Compile turns p into a seccomp program.
//
// The program checks the arch first (an ABI the policy does not list gets
// BadArch), then searches the syscall number: every number of every listed
// ABI gets a decision — a rule's action, possibly after argument tests, the
// default for known syscalls no rule matches, and the unknown action for
// numbers the table lacks, including gaps, numbers past the table, and
// "negative" ones. On AUDIT_ARCH_X86_64, numbers with the x32 bit and above
// belong to x32: they get BadArch unless the policy lists x32, and x32
// rules never see x86_64 numbers. Neighbouring numbers with equal decisions
// form one range; the search is a weight-balanced binary tree of jge over the
// ranges, after a jeq for each hot syscall. Paths of unconditionally allowed
// syscalls use only instructions the kernel's action cache follows.
//
// Compile returns a *PolicyError for an invalid policy, and an error
// wrapping ErrTooLong if the program would exceed MaxInsns.
func Compile(p *Policy) (*Program, error) {
	c := pool.Get().(*compiler)
	defer pool.Put(c)
	c.idx = index()
	c.g.reset()
	c.memos, c.memoKey = c.memos[:0], c.memoKey[:0]
	clear(c.memoAt)
	if err := c.resolve(p); err != nil {
		return nil, err
	}
	c.badArch = c.g.leaf(p.BadArchAction().Ret(), org{role: RoleBadArch, abi: -1, rule: -1})
	for i := range c.abis {
		if err := c.decide(i); err != nil {
			return nil, err
		}
	}
	root := c.layout()
	c.e.g = &c.g
	insns, orgs := c.e.emit(root)
	if len(insns) > MaxInsns {
		return nil, fmt.Errorf("%w: %d instructions, %d over the kernel's limit of %d", ErrTooLong, len(insns), len(insns)-MaxInsns, MaxInsns)
	}
	prog := &Program{
		Insns:    slices.Clone(insns),
		Origins:  c.origins(orgs),
		Arches:   make([]*arch.Arch, 0, len(c.abis)),
		Warnings: c.warnings,
	}
	for _, s := range c.abisInSectionOrder() {
		prog.Arches = append(prog.Arches, s)
	}
	if len(p.Rules) > 0 {
		prog.comments = make([]string, len(p.Rules))
		for i := range p.Rules {
			prog.comments[i] = p.Rules[i].Comment
		}
	}
	c.warnings = nil
	c.p = nil
	return prog, nil
}

// origins expands the compact provenance.
func (c *compiler) origins(orgs []org) []Origin {
	out := make([]Origin, len(orgs))
	for i, o := range orgs {
		out[i] = Origin{Role: o.role, Rule: int(o.rule)}
		if o.abi >= 0 {
			ab := &c.abis[o.abi]
			out[i].Arch = ab.a.Name
			if o.hasNr {
				name := ""
				if s := ab.t.find(o.nr); s >= 0 {
					name = ab.t.name[s]
				}
				out[i].Syscall = syscallLabel(name, o.nr)
			}
		}
	}
	return out
}

// abisInSectionOrder lists the ABIs as the program's sections order them.
func (c *compiler) abisInSectionOrder() []*arch.Arch {
	out := make([]*arch.Arch, 0, len(c.abis))
	for i := range c.abis {
		out = append(out, c.abis[i].a)
	}
	return out
}
