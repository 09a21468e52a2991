package compiler

import "math/bits"

// Argument rules of one syscall become a decision tree over 32-bit words of
// seccomp_data.args. Each condition is first turned into a tiny decision
// diagram over word tests (a 64-bit a0 > v is "hi > vh, or hi == vh and
// lo > vl"), then the syscall's rules, in precedence order, are expanded
// one test at a time (Shannon expansion): test the next undecided word test
// of the first rule still alive, and on each outcome simplify every rule with
// what the path now knows about each word (an interval, plus the masked
// tests taken). A test the path already decides is never emitted; the graph
// hash-conses the result, so common tails are shared.

// Cond diagram node references: an index into condProg.nodes, or a constant.
const (
	cTrue  int8 = -1
	cFalse int8 = -2
)

type cnode struct {
	a    atom
	t, f int8
}

// condProg is one condition as a decision diagram of at most three word
// tests; root is where evaluation starts (or cTrue/cFalse if constant).
type condProg struct {
	nodes [3]cnode
	n     int8
	root  int8
}

// word offsets of argument i's halves in seccomp_data: on little-endian ABIs
// the low word comes first (populate_seccomp_data copies the u64 as is).
func argWords(i int, bigEndian bool) (lo, hi uint8) {
	base := uint8(offArgs + 8*i)
	if bigEndian {
		return base + 4, base
	}
	return base, base + 4
}

// constAtom decides tests whose outcome does not depend on the word:
// 1 always true, 0 always false, -1 depends.
func constAtom(a atom) int {
	switch a.op {
	case opJeqK:
		if a.k&^a.mask != 0 {
			return 0 // bits the mask clears can never equal
		}
		if a.mask == 0 {
			return 1 // 0 == 0
		}
	case opJgeK:
		if a.k == 0 {
			return 1
		}
	case opJgtK:
		if a.k == fullMask {
			return 0
		}
	case opJsetK:
		if a.k == 0 {
			return 0
		}
	}
	return -1
}

// add appends a test with the given outcomes, folding constants and
// choosing the cheapest instruction: (w & m) == 0 is jset with swapped
// outcomes, (w & b) == b for one bit b is jset, both without the AND.
func (p *condProg) add(a atom, t, f int8) int8 {
	switch constAtom(a) {
	case 1:
		return t
	case 0:
		return f
	}
	if a.op == opJeqK && a.mask != fullMask {
		switch {
		case a.k == 0:
			a = atom{op: opJsetK, off: a.off, mask: fullMask, k: a.mask}
			t, f = f, t
		case a.k == a.mask && bits.OnesCount32(a.mask) == 1:
			a = atom{op: opJsetK, off: a.off, mask: fullMask, k: a.mask}
		}
	}
	if t == f {
		return t
	}
	i := p.n
	p.nodes[i] = cnode{a: a, t: t, f: f}
	p.n++
	return i
}

func eq(off uint8, mask, k uint32) atom { return atom{op: opJeqK, off: off, mask: mask, k: k} }
func gt(off uint8, k uint32) atom       { return atom{op: opJgtK, off: off, mask: fullMask, k: k} }
func ge(off uint8, k uint32) atom       { return atom{op: opJgeK, off: off, mask: fullMask, k: k} }

// condToProg compiles c for an ABI. wide says whether the ABI compares
// 64-bit arguments (see Policy); narrow conditions (Low32, or a 32-bit ABI)
// test only the low word, with Value and Mask truncated.
func condToProg(c Cond, wide, bigEndian bool) condProg {
	var p condProg
	lo, hi := argWords(c.Arg, bigEndian)
	vl, vh := uint32(c.Value), uint32(c.Value>>32)
	ml, mh := uint32(c.Mask), uint32(c.Mask>>32)
	T, F := cTrue, cFalse
	if c.Op == OpNE || c.Op == OpLT || c.Op == OpLE {
		T, F = F, T // the negation of ==, >=, >
	}
	if !wide || c.Low32 {
		switch c.Op {
		case OpEQ, OpNE:
			p.root = p.add(eq(lo, fullMask, vl), T, F)
		case OpGT, OpLE:
			p.root = p.add(gt(lo, vl), T, F)
		case OpGE, OpLT:
			p.root = p.add(ge(lo, vl), T, F)
		case OpMaskedEQ:
			p.root = p.add(eq(lo, ml, vl), T, F)
		}
		return p
	}
	switch c.Op {
	case OpEQ, OpNE:
		l := p.add(eq(lo, fullMask, vl), T, F)
		p.root = p.add(eq(hi, fullMask, vh), l, F)
	case OpGT, OpLE:
		l := p.add(gt(lo, vl), T, F)
		e := p.add(eq(hi, fullMask, vh), l, F)
		p.root = p.add(gt(hi, vh), T, e)
	case OpGE, OpLT:
		l := p.add(ge(lo, vl), T, F)
		e := p.add(eq(hi, fullMask, vh), l, F)
		p.root = p.add(gt(hi, vh), T, e)
	case OpMaskedEQ:
		l := p.add(eq(lo, ml, vl), T, F)
		p.root = p.add(eq(hi, mh, vh), l, F)
	}
	return p
}

// know is what a path through an argument tree has established: an
// interval for each of the twelve argument words, and the masked tests
// (jset, masked jeq, failed jeq) taken with their outcomes.
type know struct {
	lo, hi [12]uint32
	facts  []fact
}

type fact struct {
	a atom
	v bool
}

func newKnow() know {
	var k know
	for i := range k.hi {
		k.hi[i] = fullMask
	}
	return k
}

// decide returns the outcome of a on every input the path admits, if that
// outcome is the same for all of them.
func (k *know) decide(a atom) (v, ok bool) {
	for i := len(k.facts) - 1; i >= 0; i-- {
		f := k.facts[i]
		if f.a == a {
			return f.v, true
		}
		// Another value under the same mask held: this one cannot.
		if f.v && f.a.op == opJeqK && a.op == opJeqK && f.a.off == a.off && f.a.mask == a.mask {
			return false, true
		}
	}
	w := (a.off - offArgs) / 4
	lo, hi := k.lo[w], k.hi[w]
	switch a.op {
	case opJeqK:
		if lo == hi {
			return lo&a.mask == a.k, true
		}
		if a.mask == fullMask && (a.k < lo || a.k > hi) {
			return false, true
		}
	case opJgtK:
		if lo > a.k {
			return true, true
		}
		if hi <= a.k {
			return false, true
		}
	case opJgeK:
		if lo >= a.k {
			return true, true
		}
		if hi < a.k {
			return false, true
		}
	case opJsetK:
		if lo == hi {
			return lo&a.k != 0, true
		}
		if hi < a.k&-a.k {
			return false, true // every value is below the lowest bit tested
		}
	}
	return false, false
}

// with returns k narrowed by a's outcome v. The facts slice is shared
// stack-wise: a sibling branch overwrites what a finished one appended.
func (k know) with(a atom, v bool) know {
	w := (a.off - offArgs) / 4
	switch a.op {
	case opJeqK:
		if a.mask == fullMask {
			if v {
				k.lo[w], k.hi[w] = a.k, a.k
				return k
			}
			if a.k == k.lo[w] {
				k.lo[w]++
			} else if a.k == k.hi[w] {
				k.hi[w]--
			}
		}
	case opJgtK:
		if v {
			k.lo[w] = max(k.lo[w], a.k+1)
		} else {
			k.hi[w] = min(k.hi[w], a.k)
		}
		return k
	case opJgeK:
		if v {
			k.lo[w] = max(k.lo[w], a.k)
		} else {
			k.hi[w] = min(k.hi[w], a.k-1)
		}
		return k
	}
	k.facts = append(k.facts, fact{a, v})
	return k
}

// maxArgSteps bounds the expansion of one syscall's argument rules, so a
// pathological policy fails with ErrTooComplex instead of taking forever.
const maxArgSteps = 1 << 16

// argRule is one rule of the syscall being expanded, in precedence order.
type argRule struct {
	rule   int    // index in Policy.Rules
	leaf   nodeID // its action
	c0, c1 int    // its conditions: argBuilder.conds[c0:c1]
}

// argBuilder expands the argument rules of one syscall on one ABI.
type argBuilder struct {
	g        *graph
	rules    []argRule
	conds    []condProg
	fallback nodeID
	org      Origin // Arch and Syscall of the nodes it makes
	steps    int
	stack    []int8
}

// build returns the decision node for the rules given the per-condition
// states cur and the path knowledge k.
func (b *argBuilder) build(cur []int8, k know) nodeID {
	b.steps++
	if b.steps > maxArgSteps {
		return b.fallback
	}
	first, firstCond, allSame := -1, -1, true
	for ri := range b.rules {
		r := &b.rules[ri]
		dead, undecided := false, -1
		for ci := r.c0; ci < r.c1; ci++ {
			for cur[ci] >= 0 {
				n := &b.conds[ci].nodes[cur[ci]]
				v, ok := k.decide(n.a)
				if !ok {
					break
				}
				if v {
					cur[ci] = n.t
				} else {
					cur[ci] = n.f
				}
			}
			if cur[ci] == cFalse {
				dead = true
				break
			}
			if cur[ci] >= 0 && undecided < 0 {
				undecided = ci
			}
		}
		if dead {
			continue
		}
		if first < 0 {
			if undecided < 0 {
				return r.leaf // the first rule still alive holds
			}
			first, firstCond = ri, undecided
		}
		if r.leaf != b.fallback {
			allSame = false
		}
	}
	if first < 0 || allSame {
		return b.fallback
	}
	a := b.conds[firstCond].nodes[cur[firstCond]].a

	base := len(b.stack)
	b.stack = append(b.stack, cur...)
	t := b.build(b.stack[base:base+len(cur)], k.with(a, true))
	b.stack = append(b.stack[:base], cur...)
	f := b.build(b.stack[base:base+len(cur)], k.with(a, false))
	b.stack = b.stack[:base]

	org := b.org
	org.Rule = b.rules[first].rule
	org.Role = RoleArg
	return b.g.test(a, t, f, org)
}
