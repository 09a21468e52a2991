package main

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

func init() {
	register(&command{
		name:     "diff",
		summary:  "which syscalls and argument ranges change action",
		synopsis: "diff A.json B.json [--arch NAME]",
		help:     diffHelp,
		run:      runDiff,
	})
}

func runDiff(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	var pf profileFlags
	pf.register(fs, false, false)
	archName := fs.String("arch", "", "")
	pos, err := parse(e, c, fs, args, true)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef(c, "want two profile files, got %d arguments", len(pos))
	}
	if pos[0] == "-" && pos[1] == "-" {
		return usagef(c, "only one of the profiles can be read from stdin")
	}
	if err := pf.check(c, false); err != nil {
		return err
	}
	a := arch.Native()
	if *archName != "" {
		if a, err = lookupArch(c, *archName); err != nil {
			return err
		}
	}
	var pols [2]*compiler.Policy
	for i, file := range pos {
		p, err := loadProfile(e, file)
		if err != nil {
			return err
		}
		if pols[i], _, err = evaluate(p, file, pf.options([]string{a.Name})); err != nil {
			return err
		}
	}
	lines := diffPolicies(pols[0], pols[1], a)
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	if len(lines) > 0 {
		return exitStatus(1)
	}
	return nil
}

// diffPolicies describes, one line each, where two policies give a call
// from ABI a different actions. Both are asked through Policy.Eval, the
// compiler's reference evaluation; this function only decides which calls
// to ask about (every syscall of the table, every argument class that the
// conditions of either policy tell apart, a number the table does not know,
// another ABI) and how to say where the answers differ.
func diffPolicies(pa, pb *compiler.Policy, a *arch.Arch) []string {
	var out []string
	nrs := a.Syscalls()
	known := make(map[uint32]bool, len(nrs))
	for _, s := range nrs {
		known[s.Nr] = true
	}
	// Numbers rules name explicitly, beyond the table.
	extra := map[uint32]bool{}
	for _, p := range []*compiler.Policy{pa, pb} {
		for _, r := range p.Rules {
			for _, n := range r.Numbers {
				if !known[n] {
					extra[n] = true
				}
			}
		}
	}
	calls := append([]arch.Syscall{}, nrs...)
	for n := range extra {
		calls = append(calls, arch.Syscall{Name: fmt.Sprintf("syscall %d", n), Nr: n})
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].Nr < calls[j].Nr })
	for _, s := range calls {
		out = append(out, diffSyscall(pa, pb, a, s)...)
	}

	// A number no table entry and no rule names: the Unknown action.
	unknown := a.MaxSyscall() + 1
	for known[unknown] || extra[unknown] {
		unknown++
	}
	d := vm.Data{Nr: unknown, Arch: a.AuditArch}
	if x, y := pa.Eval(a, d), pb.Eval(a, d); x != y {
		out = append(out, fmt.Sprintf("syscall numbers the %s table does not know (e.g. %d): %v → %v", a.Name, unknown, x, y))
	}
	// A call from an ABI neither policy lists: the bad-arch action.
	if x, y := pa.BadArchAction(), pb.BadArchAction(); x != y {
		out = append(out, fmt.Sprintf("calls from other ABIs: %v → %v", x, y))
	}
	return out
}

// argClass is a set of values of one argument that every condition of both
// policies treats alike.
type argClass struct {
	witness uint64
	truth   string      // which of the argument's conditions hold, one byte each
	ranges  [][2]uint64 // the values, as ranges, when the conditions are ranges
}

// argSpace is how the conditions on one argument cut its values.
type argSpace struct {
	index   int
	conds   []compiler.Cond
	low     bool   // only the low 32 bits matter
	max     uint64 // the largest value that matters
	ranges  bool   // every condition is a range test, so classes are ranges
	classes []argClass
}

// diffSyscall compares one syscall under both policies.
func diffSyscall(pa, pb *compiler.Policy, a *arch.Arch, s arch.Syscall) []string {
	spaces := argSpaces(a, s, pa, pb)
	// Every combination of classes, one argument at a time.
	const maxCells = 1 << 14
	total := 1
	for _, sp := range spaces {
		total *= len(sp.classes)
		if total > maxCells {
			// Too many combinations to ask about one by one; fall back
			// to each argument's classes with the others at their first.
			return diffSyscallSparse(pa, pb, a, s, spaces)
		}
	}
	type group struct{ x, y compiler.Action }
	groups := map[group][][]int{} // per group, the class index per space of each combination
	var order []group
	idx := make([]int, len(spaces))
	for {
		d := vm.Data{Nr: s.Nr, Arch: a.AuditArch}
		for i, sp := range spaces {
			d.Args[sp.index] = sp.classes[idx[i]].witness
		}
		if x, y := pa.Eval(a, d), pb.Eval(a, d); x != y {
			g := group{x, y}
			if _, ok := groups[g]; !ok {
				order = append(order, g)
			}
			groups[g] = append(groups[g], append([]int{}, idx...))
		}
		// Next combination.
		i := 0
		for ; i < len(idx); i++ {
			if idx[i]++; idx[i] < len(spaces[i].classes) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			break
		}
	}
	var out []string
	for _, g := range order {
		for _, when := range describeCells(spaces, groups[g]) {
			line := fmt.Sprintf("%s: %v → %v", s.Name, g.x, g.y)
			if when != "" {
				line += " when " + when
			}
			out = append(out, line)
		}
	}
	return out
}

// diffSyscallSparse is diffSyscall for syscalls with too many argument
// combinations: it varies one argument at a time.
func diffSyscallSparse(pa, pb *compiler.Policy, a *arch.Arch, s arch.Syscall, spaces []*argSpace) []string {
	var out []string
	seen := map[string]bool{}
	for i, sp := range spaces {
		for _, cl := range sp.classes {
			d := vm.Data{Nr: s.Nr, Arch: a.AuditArch}
			for j, o := range spaces {
				if j != i {
					d.Args[o.index] = o.classes[0].witness
				}
			}
			d.Args[sp.index] = cl.witness
			if x, y := pa.Eval(a, d), pb.Eval(a, d); x != y {
				var args []string
				for j := range d.Args {
					args = append(args, fmt.Sprintf("%#x", d.Args[j]))
				}
				l := fmt.Sprintf("%s: %v → %v for example with args %s", s.Name, x, y, strings.Join(args, ","))
				if !seen[l] {
					seen[l] = true
					out = append(out, l)
				}
			}
		}
	}
	return out
}

// argSpaces collects, per argument, the conditions either policy puts on
// syscall s, and cuts the argument's values into classes.
func argSpaces(a *arch.Arch, s arch.Syscall, pols ...*compiler.Policy) []*argSpace {
	var byArg [6][]compiler.Cond
	for _, p := range pols {
		for _, r := range p.Rules {
			if !ruleNames(r, s) {
				continue
			}
			for _, c := range r.Conds {
				if c.Arg < 0 || c.Arg > 5 {
					continue
				}
				dup := false
				for _, o := range byArg[c.Arg] {
					if o == c {
						dup = true
						break
					}
				}
				if !dup {
					byArg[c.Arg] = append(byArg[c.Arg], c)
				}
			}
		}
	}
	var spaces []*argSpace
	for i, conds := range byArg {
		if len(conds) == 0 {
			continue
		}
		sp := &argSpace{index: i, conds: conds, ranges: true, max: ^uint64(0)}
		lows := 0
		for _, c := range conds {
			if c.Low32 || a.Bits == 32 {
				lows++
			}
			if c.Op == compiler.OpMaskedEQ {
				sp.ranges = false
			}
		}
		switch lows {
		case len(conds):
			sp.low, sp.max = true, 0xffffffff
		case 0:
		default:
			sp.ranges = false // mixed widths: describe by the conditions
		}
		sp.classify()
		spaces = append(spaces, sp)
	}
	return spaces
}

// ruleNames reports whether rule r applies to syscall s (by name or
// number); it ignores r.Arches, which can only add needless cuts.
func ruleNames(r compiler.Rule, s arch.Syscall) bool {
	for _, n := range r.Syscalls {
		if n == s.Name {
			return true
		}
	}
	for _, n := range r.Numbers {
		if n == s.Nr {
			return true
		}
	}
	return false
}

// holds evaluates one condition on x the way the DESIGN states it: unsigned,
// 64-bit unless only the low word counts.
func (sp *argSpace) holds(c compiler.Cond, x uint64) bool {
	v, m := c.Value, c.Mask
	if sp.low || c.Low32 {
		x, v, m = x&0xffffffff, v&0xffffffff, m&0xffffffff
	}
	switch c.Op {
	case compiler.OpEQ:
		return x == v
	case compiler.OpNE:
		return x != v
	case compiler.OpLT:
		return x < v
	case compiler.OpLE:
		return x <= v
	case compiler.OpGT:
		return x > v
	case compiler.OpGE:
		return x >= v
	case compiler.OpMaskedEQ:
		return x&m == v
	}
	return false
}

func (sp *argSpace) truth(x uint64) string {
	b := make([]byte, len(sp.conds))
	for i, c := range sp.conds {
		b[i] = '0'
		if sp.holds(c, x) {
			b[i] = '1'
		}
	}
	return string(b)
}

// classify finds the argument's classes: for range conditions, the
// elementary ranges between the cut points, grouped by which conditions
// hold; otherwise sample values (each masked bit flipped, cut points ±1)
// grouped the same way.
func (sp *argSpace) classify() {
	byTruth := map[string]int{}
	add := func(x uint64, r *[2]uint64) {
		t := sp.truth(x)
		i, ok := byTruth[t]
		if !ok {
			i = len(sp.classes)
			byTruth[t] = i
			sp.classes = append(sp.classes, argClass{witness: x, truth: t})
		}
		if r != nil {
			sp.classes[i].ranges = append(sp.classes[i].ranges, *r)
		}
	}
	trunc := func(v uint64) uint64 { return v & sp.max }
	if sp.ranges {
		// A range test splits the values where its answer changes: == and
		// != at v and v+1, <= and > at v+1, < and >= at v.
		cuts := map[uint64]bool{0: true}
		for _, c := range sp.conds {
			v := trunc(c.Value)
			switch c.Op {
			case compiler.OpEQ, compiler.OpNE:
				cuts[v] = true
				if v < sp.max {
					cuts[v+1] = true
				}
			case compiler.OpLE, compiler.OpGT:
				if v < sp.max {
					cuts[v+1] = true
				}
			case compiler.OpLT, compiler.OpGE:
				cuts[v] = true
			}
		}
		starts := make([]uint64, 0, len(cuts))
		for v := range cuts {
			starts = append(starts, v)
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
		for i, lo := range starts {
			hi := sp.max
			if i+1 < len(starts) {
				hi = starts[i+1] - 1
			}
			add(lo, &[2]uint64{lo, hi})
		}
		return
	}
	samples := []uint64{0, sp.max}
	for _, c := range sp.conds {
		v, m := trunc(c.Value), trunc(c.Mask)
		samples = append(samples, v, v-1, v+1, m, m&^v, v|^m)
		if c.Op == compiler.OpMaskedEQ {
			for mm := m; mm != 0; mm &= mm - 1 {
				samples = append(samples, v^(1<<bits.TrailingZeros64(mm)))
			}
		}
	}
	for _, x := range samples {
		add(trunc(x), nil)
	}
}

// describeCells turns the argument combinations where the policies differ
// into conditions: combinations that differ in one argument only are merged
// first, and an argument that may take any value is left out.
func describeCells(spaces []*argSpace, cells [][]int) []string {
	if len(spaces) == 0 {
		return []string{""}
	}
	type merged [][]bool // per space, which classes
	var ms []merged
	for _, c := range cells {
		m := make(merged, len(spaces))
		for i, sp := range spaces {
			m[i] = make([]bool, len(sp.classes))
			m[i][c[i]] = true
		}
		ms = append(ms, m)
	}
	same := func(a, b []bool) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for changed := true; changed; {
		changed = false
		for i := 0; i < len(ms) && !changed; i++ {
			for j := i + 1; j < len(ms) && !changed; j++ {
				diffAt := -1
				for k := range spaces {
					if !same(ms[i][k], ms[j][k]) {
						if diffAt >= 0 {
							diffAt = -2
							break
						}
						diffAt = k
					}
				}
				if diffAt == -2 {
					continue
				}
				if diffAt >= 0 {
					for x, on := range ms[j][diffAt] {
						ms[i][diffAt][x] = ms[i][diffAt][x] || on
					}
				}
				ms = append(ms[:j], ms[j+1:]...)
				changed = true
			}
		}
	}
	var out []string
	for _, m := range ms {
		var parts []string
		for i, sp := range spaces {
			if p := sp.describe(m[i]); p != "" {
				parts = append(parts, p)
			}
		}
		out = append(out, strings.Join(parts, " && "))
	}
	return out
}

// describe says which values of the argument the chosen classes hold, or ""
// when they are all of them.
func (sp *argSpace) describe(chosen []bool) string {
	all := true
	for _, on := range chosen {
		all = all && on
	}
	if all {
		return ""
	}
	name := fmt.Sprintf("a%d", sp.index)
	if sp.low {
		name += ".lo"
	}
	if sp.ranges {
		var rs [][2]uint64
		for i, on := range chosen {
			if on {
				rs = append(rs, sp.classes[i].ranges...)
			}
		}
		return describeRanges(name, rs, sp.max)
	}
	// By the conditions themselves: which hold and which do not.
	var alts []string
	for i, on := range chosen {
		if !on {
			continue
		}
		var conj []string
		for k, c := range sp.conds {
			conj = append(conj, condText(c, sp.max, sp.classes[i].truth[k] == '0'))
		}
		alts = append(alts, strings.Join(conj, " && "))
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, ") || (") + ")"
}

// condText spells a condition, or its negation, as the diff output does:
// "a2 & 0x7e020000 == 0", "a0 >= 3".
func condText(c compiler.Cond, max uint64, negate bool) string {
	name := fmt.Sprintf("a%d", c.Arg)
	if c.Low32 {
		name += ".lo"
	}
	op := c.Op.String()
	if negate {
		op = map[compiler.Op]string{
			compiler.OpEQ: "!=", compiler.OpNE: "==", compiler.OpLT: ">=", compiler.OpLE: ">",
			compiler.OpGT: "<=", compiler.OpGE: "<", compiler.OpMaskedEQ: "!=",
		}[c.Op]
	} else if c.Op == compiler.OpMaskedEQ {
		op = "=="
	}
	if c.Op == compiler.OpMaskedEQ {
		return fmt.Sprintf("%s & %s %s %s", name, num(c.Mask&max), op, num(c.Value&max))
	}
	return fmt.Sprintf("%s %s %s", name, op, num(c.Value&max))
}

// describeRanges spells a set of ranges of [0, max] briefly.
func describeRanges(name string, rs [][2]uint64, max uint64) string {
	sort.Slice(rs, func(i, j int) bool { return rs[i][0] < rs[j][0] })
	var m [][2]uint64
	for _, r := range rs {
		if n := len(m); n > 0 && m[n-1][1] != max && m[n-1][1]+1 == r[0] {
			m[n-1][1] = r[1]
			continue
		}
		m = append(m, r)
	}
	// A few single values, or all values but a few: list them.
	const maxListed = 16
	points := func(rs [][2]uint64) []string {
		var ps []string
		for _, r := range rs {
			if r[0] != r[1] || len(ps) == maxListed {
				return nil
			}
			ps = append(ps, num(r[0]))
		}
		return ps
	}
	if ps := points(m); len(ps) == 1 {
		return fmt.Sprintf("%s == %s", name, ps[0])
	} else if len(ps) > 1 {
		return fmt.Sprintf("%s in {%s}", name, strings.Join(ps, ", "))
	}
	var comp [][2]uint64
	next := uint64(0)
	done := false
	for _, r := range m {
		if r[0] > next {
			comp = append(comp, [2]uint64{next, r[0] - 1})
		}
		if r[1] == max {
			done = true
			break
		}
		next = r[1] + 1
	}
	if !done {
		comp = append(comp, [2]uint64{next, max})
	}
	if ps := points(comp); len(ps) == 1 {
		return fmt.Sprintf("%s != %s", name, ps[0])
	} else if len(ps) > 1 {
		return fmt.Sprintf("%s not in {%s}", name, strings.Join(ps, ", "))
	}
	var alts []string
	for _, r := range m {
		switch {
		case r[0] == r[1]:
			alts = append(alts, fmt.Sprintf("%s == %s", name, num(r[0])))
		case r[0] == 0:
			alts = append(alts, fmt.Sprintf("%s <= %s", name, num(r[1])))
		case r[1] == max:
			alts = append(alts, fmt.Sprintf("%s >= %s", name, num(r[0])))
		default:
			alts = append(alts, fmt.Sprintf("%s in %s..%s", name, num(r[0]), num(r[1])))
		}
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return "(" + strings.Join(alts, " || ") + ")"
}

// num prints small numbers in decimal and large ones (flags, masks) in hex.
func num(v uint64) string {
	if v < 4096 {
		return fmt.Sprintf("%d", v)
	}
	return fmt.Sprintf("%#x", v)
}
