package compiler

import (
	"slices"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/vm"
)

// Eval returns the action p gives to the syscall the filter sees as d, by
// reading the policy directly: the reference the compiled program is
// checked against. It shares nothing with the compiler beyond looking names
// up in the arch tables (it uses arch.Syscall, not the compiler's index),
// and it is written to be obviously right, not fast.
//
// d.Arch is the AUDIT_ARCH value; when it is 0, a's is used (so a caller
// can pass a syscall number of a and leave d.Arch alone). The ABI of the
// call follows from d.Arch and, on AUDIT_ARCH_X86_64, from the x32 bit:
// numbers at or above 0x40000000 are x32's, the rest x86_64's. An ABI the
// policy does not list gets BadArch.
//
// Then every rule of that ABI naming the number is considered; among those
// whose conditions all hold, the most restrictive action wins (the kernel's
// order, see Action.MoreRestrictive), the first rule among equals. If none
// holds: the default action if the number is in the ABI's table or named by
// a rule, else the unknown action (UnknownAction).
//
// Argument semantics: conditions compare 64-bit values, unless the
// condition is Low32 or the ABI is 32-bit (Bits == 32, except x32, whose
// syscalls read full 64-bit registers); then the low 32 bits of the
// argument are compared with the low 32 bits of Value (and Mask).
//
// Eval assumes p is valid (Compile or Validate accepts it); names unknown
// to an ABI never match there.
func (p *Policy) Eval(a *arch.Arch, d vm.Data) Action {
	return p.evaluator().eval(a, d)
}

// evaluator is Eval with the policy's names resolved once, so Check can
// evaluate many inputs; Eval builds one per call.
type evaluator struct {
	p      *Policy
	listed []*arch.Arch
	rules  [][]evalRule // per listed ABI, the rules in policy order
}

type evalRule struct {
	r   *Rule
	nrs []uint32 // sorted numbers the rule names on this ABI
}

func (p *Policy) evaluator() *evaluator {
	e := &evaluator{p: p}
	if len(p.Arches) == 0 {
		if n := arch.Native(); n != nil {
			e.listed = append(e.listed, n)
		}
	}
	for _, name := range p.Arches {
		if a, err := arch.Lookup(name); err == nil && !slices.Contains(e.listed, a) {
			e.listed = append(e.listed, a)
		}
	}
	for _, abi := range e.listed {
		var rs []evalRule
		for i := range p.Rules {
			r := &p.Rules[i]
			if !ruleOnABI(r, abi) {
				continue
			}
			er := evalRule{r: r}
			for _, name := range r.Syscalls {
				if n, ok := abi.Syscall(name); ok {
					er.nrs = append(er.nrs, n)
				}
			}
			er.nrs = append(er.nrs, r.Numbers...)
			slices.Sort(er.nrs)
			rs = append(rs, er)
		}
		e.rules = append(e.rules, rs)
	}
	return e
}

func (e *evaluator) eval(a *arch.Arch, d vm.Data) Action {
	p := e.p
	if d.Arch == 0 && a != nil {
		d.Arch = a.AuditArch
	}
	i := e.abiOf(d)
	if i < 0 {
		return p.BadArchAction()
	}
	abi := e.listed[i]
	wide := abi.Bits == 64 || abi.Name == "x32"

	var best Action
	named := false
	for _, r := range e.rules[i] {
		if _, ok := slices.BinarySearch(r.nrs, d.Nr); !ok {
			continue
		}
		named = true
		if !allHold(r.r.Conds, d.Args, wide) {
			continue
		}
		// Most restrictive kind wins; the first rule among equals.
		if !best.IsSet() || r.r.Action.Kind < best.Kind {
			best = r.r.Action
		}
	}
	if best.IsSet() {
		return best
	}
	if _, known := abi.SyscallName(d.Nr); known || named {
		return p.DefaultAction()
	}
	return p.UnknownAction(abi)
}

// abiOf returns the index of the listed ABI a call belongs to, or -1.
func (e *evaluator) abiOf(d vm.Data) int {
	isX32 := d.Arch == x86_64Audit && d.Nr >= 0x40000000
	for i, a := range e.listed {
		if a.AuditArch != d.Arch {
			continue
		}
		if a.AuditArch == x86_64Audit && (a.Name == "x32") != isX32 {
			continue
		}
		return i
	}
	return -1
}

// x86_64Audit is AUDIT_ARCH_X86_64, the one AUDIT_ARCH two ABIs share.
const x86_64Audit = 0xc000003e

func ruleOnABI(r *Rule, abi *arch.Arch) bool {
	if len(r.Arches) == 0 {
		return true
	}
	for _, name := range r.Arches {
		if a, err := arch.Lookup(name); err == nil && a == abi {
			return true
		}
	}
	return false
}

func allHold(conds []Cond, args [6]uint64, wide bool) bool {
	for _, c := range conds {
		if !holds(c, args[c.Arg], wide) {
			return false
		}
	}
	return true
}

func holds(c Cond, arg uint64, wide bool) bool {
	v, m := c.Value, c.Mask
	if !wide || c.Low32 {
		arg, v, m = uint64(uint32(arg)), uint64(uint32(v)), uint64(uint32(m))
	}
	switch c.Op {
	case OpEQ:
		return arg == v
	case OpNE:
		return arg != v
	case OpLT:
		return arg < v
	case OpLE:
		return arg <= v
	case OpGT:
		return arg > v
	case OpGE:
		return arg >= v
	case OpMaskedEQ:
		return arg&m == v
	}
	return false
}
