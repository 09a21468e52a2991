package compiler

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/vm"
)

// Report is what Check established about a program.
type Report struct {
	// Inputs is the number of seccomp_data inputs run.
	Inputs int
	// Classes is the number of (arch, syscall number) classes checked.
	Classes int
	// Exhaustive is true when the inputs cover every class of input the
	// program and the policy can tell apart, so that agreement on them is a
	// proof over all 2^32 arch values, 2^32 numbers and 2^384 argument
	// values. It is false when a masked comparison (jset, and + jeq, or a
	// MaskedEQ condition), arithmetic, or the X register decides on an
	// argument or the number, or when an argument space was sampled; Notes
	// say which.
	Exhaustive bool
	// Notes explain what was sampled rather than exhausted.
	Notes []string
	// Syscalls has the cost of every table syscall of every listed ABI.
	Syscalls []SyscallCost
	// Allowed counts the syscalls (ABI × table entry) the policy allows
	// whatever their arguments; Cached counts those the kernel's action
	// cache would hold, so that the filter never runs for them.
	Allowed, Cached int
	// NotCached lists allowed syscalls the cache would not hold, as
	// "abi/name".
	NotCached []string
	// Mismatches counts the inputs where program and policy differ.
	Mismatches int
}

// SyscallCost is the instruction count of one syscall's paths.
type SyscallCost struct {
	Arch string
	Name string
	Nr   uint32
	// Runs is the number of inputs run; Min, Max and Mean count the
	// instructions executed, the final return included.
	Runs     int
	Min, Max int
	Mean     float64
	// Allowed: the policy allows the syscall whatever its arguments.
	Allowed bool
	// Cached: allowed, and the kernel's action cache would hold it
	// (seccomp_is_const_allow; x32 numbers are never cached).
	Cached bool
}

// Mismatch is one input where the program and the policy disagree.
type Mismatch struct {
	Arch string // ABI name, or the AUDIT_ARCH value in hex
	Data vm.Data
	Want Action // Policy.Eval
	Got  uint32 // the program's return value
}

func (m Mismatch) String() string {
	name := ""
	if a, err := arch.Lookup(m.Arch); err == nil {
		if n, ok := a.SyscallName(m.Data.Nr); ok {
			name = " (" + n + ")"
		}
	}
	var args []string
	for _, a := range m.Data.Args {
		args = append(args, "0x"+strconv.FormatUint(a, 16))
	}
	return fmt.Sprintf("%s nr=%#x%s args=[%s]: want %v, got %s", m.Arch, m.Data.Nr, name, strings.Join(args, " "), m.Want, retName(m.Got))
}

// MismatchError lists the first inputs where program and policy differ.
type MismatchError struct {
	Total int
	First []Mismatch
}

func (e *MismatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v on %d inputs", ErrMismatch, e.Total)
	for _, m := range e.First {
		b.WriteString("\n\t")
		b.WriteString(m.String())
	}
	return b.String()
}

// Unwrap returns ErrMismatch.
func (e *MismatchError) Unwrap() error { return ErrMismatch }

const maxMismatches = 8

// maxCombos bounds the argument inputs of one syscall number; above it
// each argument is varied alone against a few values of the others.
const maxCombos = 1 << 14

// Check proves that prog computes what p says (Policy.Eval), by running it
// in the vm on one input from every class of inputs that the program and
// the policy cannot tell apart, and reports each syscall's cost.
//
// The classes. The program reads 32-bit words of seccomp_data and, in the
// programs Compile makes, only compares them with constants using jeq, jgt
// and jge. Such a comparison of a word w with k has the same outcome for
// every w in each of the intervals [0, k-1], [k], [k+1, 2^32-1]. So if B is
// the set of every k and k+1 the program compares a word with, plus every
// constant the policy decides on (its ABIs' AUDIT_ARCH values, every table
// number and rule number and their successors, the x32 boundary
// 0x40000000, the 32-bit halves of condition values and their successors),
// then on each interval between neighbours of B both the program and the
// policy are constant: checking the interval's first value covers all of
// it, and checking every interval covers all 2^32 values. Check finds B
// by walking the program symbolically (arch known, then number known, each
// time following both sides of every jump on what is still unknown), so
// the constants come from the paths that can actually be taken. Arguments
// take every combination of their words' intervals (the two halves of a
// 64-bit argument interact in the policy's comparison, and different
// arguments in its conjunctions).
//
// Masks break the interval argument: jset k, or and m followed by jeq, on
// the number or an argument, and MaskedEQ conditions. There Check adds, for
// each mask, a value satisfying it and that value with each mask bit
// flipped and with every bit outside the mask set, which catches any
// program testing a different mask or value, but is not a proof over all
// 2^32 values; the Report says Exhaustive == false and names the syscalls.
// The same holds for arithmetic or X-register comparisons (Compile never
// emits them), and for argument spaces larger than maxCombos combinations.
//
// Mismatches come back as a *MismatchError (errors.Is ErrMismatch) listing
// the first few, with the Report.
func Check(p *Policy, prog *Program) (*Report, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	vp, err := vm.Load(prog.Insns)
	if err != nil {
		return nil, fmt.Errorf("check: program does not load: %w", err)
	}
	ck := &checker{p: p, ev: p.evaluator(), vp: vp, rep: &Report{Exhaustive: true}}
	ck.w.insns = prog.Insns
	ck.run()
	if ck.rep.Mismatches > 0 {
		return ck.rep, &MismatchError{Total: ck.rep.Mismatches, First: ck.first}
	}
	return ck.rep, nil
}

type checker struct {
	p      *Policy
	ev     *evaluator
	vp     *vm.Prog
	rep    *Report
	w      walker
	first  []Mismatch
	listed []*arch.Arch
	noted  map[string]bool
}

func (ck *checker) note(s string) {
	ck.rep.Exhaustive = false
	if ck.noted == nil {
		ck.noted = make(map[string]bool)
	}
	if !ck.noted[s] {
		ck.noted[s] = true
		ck.rep.Notes = append(ck.rep.Notes, s)
	}
}

func (ck *checker) run() {
	ck.listed = ck.ev.listed
	var audits []uint32
	for _, a := range ck.listed {
		if !slices.Contains(audits, a.AuditArch) {
			audits = append(audits, a.AuditArch)
		}
	}

	// Arch classes: the arch constants on every path, the policy's, and
	// the values of every ABI we know.
	ck.w.reset()
	ck.w.run()
	ck.capped("the arch dispatch")
	var archPts []uint32
	addUse(&archPts, &ck.w.uses[fieldArch])
	if ck.w.uses[fieldArch].inexact {
		ck.note("the arch is compared with a mask or after arithmetic")
	}
	for _, a := range audits {
		archPts = append(archPts, a-1, a, a+1)
	}
	for _, a := range index().arches {
		archPts = append(archPts, a.AuditArch)
	}
	archPts = append(archPts, 0, fullMask)
	archPts = sortUniq(archPts)

	for _, v := range archPts {
		if slices.Contains(audits, v) {
			continue
		}
		ck.checkArch(v, nil)
	}
	for _, v := range audits {
		ck.checkArch(v, ck.listed)
	}
}

// checkArch checks every number class of arch value v.
func (ck *checker) checkArch(v uint32, listed []*arch.Arch) {
	w := &ck.w
	w.reset()
	w.known[fieldArch], w.value[fieldArch] = true, v
	w.run()
	w.known[fieldArch] = false
	ck.capped("the syscall dispatch")
	var pts []uint32
	addUse(&pts, &w.uses[fieldNr])
	if w.uses[fieldNr].inexact {
		ck.note(fmt.Sprintf("arch %#x: the syscall number is compared with a mask or after arithmetic", v))
	}
	pts = append(pts, 0, 1, 0x3fffffff, 0x40000000, 0x40000001, 0x7fffffff, 0x80000000, 0xfffffffe, fullMask)
	var abis []*arch.Arch
	for _, a := range index().arches {
		if a.AuditArch == v {
			abis = append(abis, a)
		}
	}
	if len(listed) > 0 {
		for _, a := range abis {
			for _, s := range a.Syscalls() {
				pts = append(pts, s.Nr, s.Nr+1)
			}
			pts = append(pts, a.SyscallBit-1, a.SyscallBit)
		}
		for _, r := range ck.p.Rules {
			for _, n := range r.Numbers {
				pts = append(pts, n, n+1)
			}
		}
	}
	pts = sortUniq(pts)
	name := "0x" + strconv.FormatUint(uint64(v), 16)
	for _, nr := range pts {
		ck.rep.Classes++
		ck.checkNr(v, nr, name, listed)
	}
}

// checkNr checks one (arch, number) class over its argument classes.
func (ck *checker) checkNr(v, nr uint32, archLabel string, listed []*arch.Arch) {
	d := vm.Data{Nr: nr, Arch: v}
	var abi *arch.Arch
	// The policy's conditions for this call.
	var conds []Cond
	wide := false
	if i := ck.ev.abiOf(d); i >= 0 {
		abi = ck.ev.listed[i]
		archLabel = abi.Name
		wide = abi.Bits == 64 || abi.Name == "x32"
		for _, r := range ck.ev.rules[i] {
			if _, ok := slices.BinarySearch(r.nrs, nr); ok {
				conds = append(conds, r.r.Conds...)
			}
		}
	}
	// What the program reads on this call's paths.
	w := &ck.w
	w.reset()
	w.known[fieldArch], w.value[fieldArch] = true, v
	w.known[fieldNr], w.value[fieldNr] = true, nr
	w.run()
	w.known[fieldArch], w.known[fieldNr] = false, false
	ck.capped("the argument tests")

	le := v&0x40000000 != 0 // __AUDIT_ARCH_LE
	// exact holds each word's class representatives: 0 and every boundary
	// (a comparison with k splits the values at k, or k+1, or both); their
	// product covers every class of the joint argument space, because every
	// comparison (the program's, and the policy's once split into halves)
	// looks at one word. extra holds values worth a try that no boundary
	// needs (k-1, sign bits, all ones); each is tried with the other words
	// at 0.
	var exact, extra [numFields][]uint32
	for f := 2; f < numFields; f++ {
		u := &w.uses[f]
		if !u.read {
			continue
		}
		addBounds(&exact[f], &extra[f], u)
		if u.inexact {
			ck.note(fmt.Sprintf("%s %s: an argument is compared with a mask or after arithmetic", archLabel, syscallLabel(nameOf(abi, nr), nr)))
		}
	}
	for _, c := range conds {
		loF, hiF := argFields(c.Arg, le)
		vl, vh := uint32(c.Value), uint32(c.Value>>32)
		narrow := !wide || c.Low32
		if c.Op == OpMaskedEQ {
			ck.note(fmt.Sprintf("%s %s: MaskedEQ conditions are sampled bit by bit", archLabel, syscallLabel(nameOf(abi, nr), nr)))
			exact[loF] = append(exact[loF], maskWitnesses(uint32(c.Mask), vl)...)
			if !narrow {
				exact[hiF] = append(exact[hiF], maskWitnesses(uint32(c.Mask>>32), vh)...)
			}
		} else {
			exact[loF] = append(exact[loF], vl, vl+1)
			extra[loF] = append(extra[loF], vl-1)
			if !narrow {
				exact[hiF] = append(exact[hiF], vh, vh+1)
				extra[hiF] = append(extra[hiF], vh-1)
			}
		}
		if narrow {
			extra[hiF] = append(extra[hiF], 1, fullMask) // must not matter
		}
	}
	var involved []int
	for f := 2; f < numFields; f++ {
		if len(exact[f]) > 0 || len(extra[f]) > 0 {
			involved = append(involved, f)
		}
	}
	// A half no one compares still gets a few values, so that a program
	// reading the wrong half shows up.
	for _, f := range involved {
		if other := f ^ 1; other >= 4 && len(exact[other]) == 0 && len(extra[other]) == 0 {
			extra[other] = append(extra[other], 1, 0x80000000, fullMask)
			involved = append(involved, other)
		}
	}
	slices.Sort(involved)
	for _, f := range involved {
		exact[f] = sortUniq(append(exact[f], 0))
		extra[f] = append(extra[f], 1, 0x7fffffff, 0x80000000, 0xfffffffe, fullMask)
		extra[f] = slices.DeleteFunc(sortUniq(extra[f]), func(x uint32) bool {
			_, found := slices.BinarySearch(exact[f], x)
			return found
		})
	}

	cost := ck.cost(abi, nr)
	total := 1
	for _, f := range involved {
		total *= len(exact[f])
		if total > maxCombos {
			break
		}
	}
	if total <= maxCombos {
		var idx [numFields]int
		for {
			for _, f := range involved {
				setWord(&d, f, exact[f][idx[f]], le)
			}
			ck.one(d, archLabel, cost)
			k := 0
			for k < len(involved) {
				f := involved[k]
				idx[f]++
				if idx[f] < len(exact[f]) {
					break
				}
				idx[f] = 0
				k++
			}
			if k == len(involved) {
				break
			}
		}
	} else {
		ck.note(fmt.Sprintf("%s %s: %d+ argument classes, each argument word varied against a few values of the others", archLabel, syscallLabel(nameOf(abi, nr), nr), maxCombos))
		for _, f := range involved {
			for _, base := range []uint32{0, 1, fullMask} {
				for _, g := range involved {
					setWord(&d, g, base, le)
				}
				for _, x := range exact[f] {
					setWord(&d, f, x, le)
					ck.one(d, archLabel, cost)
				}
			}
		}
	}
	for _, f := range involved {
		for _, g := range involved {
			setWord(&d, g, 0, le)
		}
		for _, x := range extra[f] {
			setWord(&d, f, x, le)
			ck.one(d, archLabel, cost)
		}
	}
	if cost != nil {
		if cost.Runs > 0 {
			cost.Mean /= float64(cost.Runs)
		}
		if cost.Allowed {
			ck.rep.Allowed++
			cost.Cached = abi.SyscallBit == 0 && ck.vp.ConstAllowByProgram(nr, v)
			if cost.Cached {
				ck.rep.Cached++
			} else {
				ck.rep.NotCached = append(ck.rep.NotCached, abi.Name+"/"+cost.Name)
			}
		}
	}
}

// cost returns the record for a table syscall of a listed ABI, else nil.
func (ck *checker) cost(abi *arch.Arch, nr uint32) *SyscallCost {
	if abi == nil {
		return nil
	}
	name, ok := abi.SyscallName(nr)
	if !ok {
		return nil
	}
	ck.rep.Syscalls = append(ck.rep.Syscalls, SyscallCost{Arch: abi.Name, Name: name, Nr: nr, Allowed: true})
	return &ck.rep.Syscalls[len(ck.rep.Syscalls)-1]
}

// one runs a single input and compares.
func (ck *checker) one(d vm.Data, archLabel string, cost *SyscallCost) {
	ck.rep.Inputs++
	got, tr := ck.vp.Trace(d)
	want := ck.ev.eval(nil, d)
	if got != want.Ret() {
		ck.rep.Mismatches++
		if len(ck.first) < maxMismatches {
			ck.first = append(ck.first, Mismatch{Arch: archLabel, Data: d, Want: want, Got: got})
		}
	}
	if cost != nil {
		if cost.Runs == 0 || tr.Executed < cost.Min {
			cost.Min = tr.Executed
		}
		cost.Max = max(cost.Max, tr.Executed)
		cost.Mean += float64(tr.Executed)
		cost.Runs++
		if want != Allow {
			cost.Allowed = false
		}
	}
}

func (ck *checker) capped(what string) {
	if ck.w.capped {
		ck.note("the walk of " + what + " hit its budget; some paths were not explored")
	}
}

func nameOf(abi *arch.Arch, nr uint32) string {
	if abi == nil {
		return ""
	}
	n, _ := abi.SyscallName(nr)
	return n
}

// argFields returns the seccomp_data word indexes of argument i's halves.
func argFields(i int, le bool) (lo, hi int) {
	if le {
		return 4 + 2*i, 5 + 2*i
	}
	return 5 + 2*i, 4 + 2*i
}

func setWord(d *vm.Data, f int, x uint32, le bool) {
	if f < 4 { // instruction_pointer
		shift := uint(0)
		if (f == 3) == le {
			shift = 32
		}
		d.InstructionPointer = d.InstructionPointer&^(uint64(fullMask)<<shift) | uint64(x)<<shift
		return
	}
	i := (f - 4) / 2
	shift := uint(0)
	if (f%2 == 1) == le {
		shift = 32
	}
	d.Args[i] = d.Args[i]&^(uint64(fullMask)<<shift) | uint64(x)<<shift
}

// addBounds adds the class boundaries of a word's comparisons to exact,
// and their neighbours to extra.
func addBounds(exact, extra *[]uint32, u *fieldUse) {
	for _, c := range u.cmps {
		switch {
		case c.mask != fullMask || c.op == opJsetK:
			m, k := c.mask, c.k
			if c.op == opJsetK {
				m, k = c.k, 0
			}
			*exact = append(*exact, maskWitnesses(m, k)...)
		case c.op == opJeqK:
			*exact = append(*exact, c.k, c.k+1)
			*extra = append(*extra, c.k-1)
		case c.op == opJgtK:
			*exact = append(*exact, c.k+1)
			*extra = append(*extra, c.k)
		case c.op == opJgeK:
			*exact = append(*exact, c.k)
			*extra = append(*extra, c.k-1)
		}
	}
}

// addUse adds the class boundaries of a field's comparisons to pts.
func addUse(pts *[]uint32, u *fieldUse) {
	for _, c := range u.cmps {
		if c.mask == fullMask && c.op != opJsetK {
			*pts = append(*pts, c.k-1, c.k, c.k+1)
			continue
		}
		m := c.mask
		k := c.k
		if c.op == opJsetK {
			m, k = c.k, 0
		}
		*pts = append(*pts, maskWitnesses(m, k)...)
	}
}

// maskWitnesses returns values around "w & m == k": one satisfying it (if
// any can), the same with every bit outside m set, and each of those with
// one bit of m flipped (at most 32 of them).
func maskWitnesses(m, k uint32) []uint32 {
	s := k & m
	out := []uint32{s, s | ^m}
	for x := m; x != 0; x &= x - 1 {
		b := uint32(1) << bits.TrailingZeros32(x)
		out = append(out, s^b, (s|^m)^b)
	}
	return out
}

func sortUniq(s []uint32) []uint32 {
	slices.Sort(s)
	return slices.Compact(s)
}
