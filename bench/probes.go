package main

import (
	"fmt"
	"sort"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// ProbeKind says why a probe is in the set.
type ProbeKind uint8

const (
	// Sweep: a number of the ABI's table or one of its gaps, zero args.
	// These are the syscalls the "mean" column averages over.
	Sweep ProbeKind = iota
	// Edge: numbers past the table, x32 numbers, -1, sign boundaries.
	Edge
	// BadArch: a call from an ABI the policy does not list.
	BadArch
	// Args: an argument boundary value of a conditioned syscall.
	Args
	// ArgIsNr: a conditioned syscall with an argument equal to a syscall
	// number of the ABI, the inputs that expose a program which compares
	// the syscall number after loading an argument (elastic's bug).
	ArgIsNr
)

var probeKindNames = [...]string{"table+gaps", "edge numbers", "foreign ABI", "argument boundaries", "argument = a syscall number"}

func (k ProbeKind) String() string { return probeKindNames[k] }

// Probe is one seccomp_data the programs are run on.
type Probe struct {
	Kind ProbeKind
	ABI  *arch.Arch // nil for BadArch
	Data vm.Data
}

// Label names the probe for listings: "x86_64 socket(0x26, 0, …)".
func (p Probe) Label() string {
	abi := fmt.Sprintf("arch %#x", p.Data.Arch)
	name := fmt.Sprintf("%#x", p.Data.Nr)
	if p.ABI != nil {
		abi = p.ABI.Name
		if n, ok := p.ABI.SyscallName(p.Data.Nr); ok {
			name = n
		}
	}
	s := fmt.Sprintf("%s %s(", abi, name)
	last := -1
	for i, a := range p.Data.Args {
		if a != 0 {
			last = i
		}
	}
	for i := 0; i <= last; i++ {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%#x", p.Data.Args[i])
	}
	return s + ")"
}

// foreignArches are AUDIT_ARCH values probed as bad arches when the policy
// does not list them.
var foreignArches = []string{"i386", "aarch64", "arm", "s390x"}

// condValues returns the boundary values of one condition: each side of
// every constant the comparison uses, both 32-bit words, the sign-extension
// forms, and for masks the bits inside and outside.
func condValues(c compiler.Cond) []uint64 {
	v := c.Value
	vals := []uint64{0, 1, 0xffffffff, 0x100000000, ^uint64(0), 0x7fffffff, 0x80000000,
		v, v - 1, v + 1, v ^ 1<<32, v | 0xffffffff00000000, v & 0xffffffff, v ^ 1<<63}
	if c.Op == compiler.OpMaskedEQ {
		m := c.Mask
		vals = append(vals, m, v|^m, v&m, ^m)
		for bit := uint(0); bit < 64; bit++ {
			if m&(1<<bit) != 0 {
				vals = append(vals, v^(1<<bit))
			}
		}
	}
	return vals
}

// condSet is, for one syscall on one ABI, the conditioned arguments and
// their values.
type condSet map[int]map[uint64]bool

// conditioned collects per (ABI, nr) the arguments some rule compares.
func conditioned(p *compiler.Policy, a *arch.Arch) map[uint32]condSet {
	out := map[uint32]condSet{}
	for i := range p.Rules {
		r := &p.Rules[i]
		if len(r.Conds) == 0 || !ruleApplies(r, a) {
			continue
		}
		for _, name := range ruleNames(r, a) {
			nr, ok := a.Syscall(name)
			if !ok {
				continue
			}
			cs := out[nr]
			if cs == nil {
				cs = condSet{}
				out[nr] = cs
			}
			for _, c := range r.Conds {
				if cs[c.Arg] == nil {
					cs[c.Arg] = map[uint64]bool{}
				}
				for _, v := range condValues(c) {
					cs[c.Arg][v] = true
				}
			}
		}
	}
	return out
}

func sortedKeys[K ~int | ~uint64 | ~uint32](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// maxProduct bounds the cross product of argument values per syscall;
// beyond it each argument is varied alone.
const maxProduct = 2000

// Probes builds the probe set of a policy.
func Probes(p *compiler.Policy) ([]Probe, error) {
	abis, err := policyArches(p)
	if err != nil {
		return nil, err
	}
	var out []Probe
	listed := map[uint32]bool{}
	for _, a := range abis {
		listed[a.AuditArch] = true
	}
	for _, a := range abis {
		table := a.Syscalls()
		lo, hi := table[0].Nr, a.MaxSyscall()
		for nr := lo; nr <= hi; nr++ {
			out = append(out, Probe{Kind: Sweep, ABI: a, Data: vm.Data{Nr: nr, Arch: a.AuditArch}})
		}
		edges := []uint32{hi + 1, hi + 2, hi + 100, 0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff}
		if lo > 0 {
			edges = append(edges, 0, lo-1)
		}
		if a.SyscallBit == 0 && a.Name == "x86_64" && !hasABI(abis, "x32") {
			// x32 numbers on an x86_64-only policy: every x32 call.
			if x32, err := arch.Lookup("x32"); err == nil {
				for _, s := range x32.Syscalls() {
					edges = append(edges, s.Nr)
				}
			}
		}
		for _, nr := range edges {
			out = append(out, Probe{Kind: Edge, ABI: a, Data: vm.Data{Nr: nr, Arch: a.AuditArch}})
		}
		nrs := conditioned(p, a)
		for i, nr := range sortedKeys(boolSet(nrs)) {
			// The argument = syscall number probes grow with the policy;
			// for large policies (the stress policy) the first few
			// conditioned syscalls show the class.
			out = append(out, argProbes(a, nr, nrs[nr], i < maxArgIsNr)...)
		}
	}
	for _, name := range foreignArches {
		f, err := arch.Lookup(name)
		if err != nil || listed[f.AuditArch] {
			continue
		}
		for _, nr := range []uint32{0, 1, 2, 3, 4, 5, 11, 39, 59, 102, 120, 257, 0x40000000, 0xffffffff} {
			out = append(out, Probe{Kind: BadArch, Data: vm.Data{Nr: nr, Arch: f.AuditArch}})
		}
	}
	return out, nil
}

func hasABI(abis []*arch.Arch, name string) bool {
	for _, a := range abis {
		if a.Name == name {
			return true
		}
	}
	return false
}

func boolSet(m map[uint32]condSet) map[uint32]bool {
	out := map[uint32]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// maxArgIsNr is how many conditioned syscalls per ABI get ArgIsNr probes.
const maxArgIsNr = 16

func argProbes(a *arch.Arch, nr uint32, cs condSet, withNrs bool) []Probe {
	args := make([]int, 0, len(cs))
	for i := range cs {
		args = append(args, i)
	}
	sort.Ints(args)
	vals := make([][]uint64, len(args))
	product := 1
	for i, arg := range args {
		vals[i] = sortedKeys(cs[arg])
		product *= len(vals[i])
	}
	var out []Probe
	add := func(kind ProbeKind, d vm.Data) { out = append(out, Probe{Kind: kind, ABI: a, Data: d}) }
	base := vm.Data{Nr: nr, Arch: a.AuditArch}
	if product <= maxProduct {
		idx := make([]int, len(args))
		for {
			d := base
			for i, arg := range args {
				d.Args[arg] = vals[i][idx[i]]
			}
			add(Args, d)
			k := 0
			for ; k < len(idx); k++ {
				idx[k]++
				if idx[k] < len(vals[k]) {
					break
				}
				idx[k] = 0
			}
			if k == len(idx) {
				break
			}
		}
	} else {
		for i, arg := range args {
			for _, v := range vals[i] {
				d := base
				d.Args[arg] = v
				add(Args, d)
			}
		}
	}
	// Every syscall number of the ABI as the value of each conditioned
	// argument.
	for _, arg := range args {
		if !withNrs {
			break
		}
		for _, s := range a.Syscalls() {
			d := base
			d.Args[arg] = uint64(s.Nr)
			add(ArgIsNr, d)
		}
	}
	return out
}
