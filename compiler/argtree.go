package compiler

import (
	"math/bits"
	"slices"
)

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
	below [3]uint16 // words tested by each node and its successors
	n     int8
	root  int8
}

// wordBit is the bit of an argument word in condProg.below.
func wordBit(off uint8) uint16 { return 1 << ((off - offArgs) / 4) }

// words returns the argument words the condition may still test from
// node i on.
func (p *condProg) words(i int8) uint16 {
	if i < 0 {
		return 0
	}
	return p.below[i]
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
	p.below[i] = wordBit(a.off) | p.words(t) | p.words(f)
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
	org      org // ABI and syscall of the nodes it makes
	steps    int
	stack    []int8
	pts      []uint64 // cut points: value<<32 | rule
	tests    []int
	segs     []seg
	keys     []int8
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
			cur[r.c0] = cFalse // skip it quickly below and in the subtrees
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
	o := b.org
	o.rule = int32(b.rules[first].rule)
	if a.mask == fullMask && a.op != opJsetK {
		if d, ok := b.split(cur, k, a.off, first, o); ok {
			return d
		}
	}

	base := len(b.stack)
	b.stack = append(b.stack, cur...)
	t := b.build(b.stack[base:base+len(cur)], k.with(a, true))
	b.stack = append(b.stack[:base], cur...)
	f := b.build(b.stack[base:base+len(cur)], k.with(a, false))
	b.stack = b.stack[:base]
	return b.g.test(a, t, f, o)
}

// split handles the case where the rules still alive test the word at off
// against several constants (a set of allowed values, ranges): it cuts the
// word's known interval at every boundary those tests have, decides each
// segment, merges neighbours that decide alike and returns a binary search
// over the segments, so n values cost log n tests, not n. ok is false when
// there are only two segments (a single test is as good).
func (b *argBuilder) split(cur []int8, k know, off uint8, first int, o org) (nodeID, bool) {
	w := (off - offArgs) / 4
	lo, hi := k.lo[w], k.hi[w]
	p0, t0 := len(b.pts), len(b.tests)
	for ri := first; ri < len(b.rules); ri++ {
		r := &b.rules[ri]
		if r.c0 < r.c1 && cur[r.c0] == cFalse {
			continue
		}
		for ci := r.c0; ci < r.c1; ci++ {
			if cur[ci] < 0 {
				continue
			}
			a := b.conds[ci].nodes[cur[ci]].a
			if a.off != off || a.mask != fullMask {
				continue
			}
			rule := uint64(b.rules[ri].rule)
			switch a.op {
			case opJeqK:
				b.pts = append(b.pts, uint64(a.k)<<32|rule, uint64(a.k+1)<<32|rule)
			case opJgtK:
				b.pts = append(b.pts, uint64(a.k+1)<<32|rule)
			case opJgeK:
				b.pts = append(b.pts, uint64(a.k)<<32|rule)
			default:
				continue
			}
			b.tests = append(b.tests, ci)
		}
	}
	pts := b.pts[p0:]
	// Keep the cut points strictly inside (lo, hi], sorted and distinct;
	// each remembers the first rule (in precedence order) that made it.
	n := 0
	for _, p := range pts {
		if v := uint32(p >> 32); v > lo && v <= hi {
			pts[n] = p
			n++
		}
	}
	pts = pts[:n]
	if n < 2 {
		b.pts, b.tests = b.pts[:p0], b.tests[:t0]
		return 0, false
	}
	slices.Sort(pts)
	pts = slices.CompactFunc(pts, func(a, b uint64) bool { return a>>32 == b>>32 })
	tests := b.tests[t0:]

	s0 := len(b.segs)
	start, rule := lo, o.rule
	// Segments where every test comes out the same way and no condition
	// still looks at this word (a value not in a set: the gaps between
	// its members) decide alike: remember the last few.
	var memo [4]struct {
		at int // in b.stack, -1 if unused
		d  nodeID
	}
	for i := range memo {
		memo[i].at = -1
	}
	nm := 0
	k0 := len(b.keys)
	bit := wordBit(off)
	// Conditions without a test here keep their state in every segment:
	// whether one of them still reads the word is known once.
	untestedUses := false
	for ri := first; ri < len(b.rules) && !untestedUses; ri++ {
		r := &b.rules[ri]
		if r.c0 < r.c1 && cur[r.c0] == cFalse {
			continue
		}
		for ci := r.c0; ci < r.c1; ci++ {
			if b.conds[ci].words(cur[ci])&bit != 0 && !slices.Contains(tests, ci) {
				untestedUses = true
				break
			}
		}
	}
	for i := 0; i <= len(pts); i++ {
		end := hi
		if i < len(pts) {
			end = uint32(pts[i]>>32) - 1
		}
		// Every test on the word has one outcome on the whole segment, as
		// its boundaries are cut points: advance those conditions directly.
		base := len(b.stack)
		b.stack = append(b.stack, cur...)
		sc := b.stack[base : base+len(cur)]
		for _, ci := range tests {
			nd := &b.conds[ci].nodes[cur[ci]]
			var v bool
			switch nd.a.op {
			case opJeqK:
				v = start == nd.a.k && end == nd.a.k
			case opJgtK:
				v = start > nd.a.k
			case opJgeK:
				v = start >= nd.a.k
			}
			if v {
				sc[ci] = nd.t
			} else {
				sc[ci] = nd.f
			}
		}
		uses := untestedUses
		for _, ci := range tests {
			if uses {
				break
			}
			uses = b.conds[ci].words(sc[ci])&bit != 0
		}
		// The key of a segment is its tests' outcomes: the other
		// conditions are the same in every segment.
		d, hit := nodeID(0), false
		if !uses {
		memo:
			for _, m := range memo {
				if m.at < 0 {
					continue
				}
				for j, ci := range tests {
					if b.keys[m.at+j] != sc[ci] {
						continue memo
					}
				}
				d, hit = m.d, true
				break
			}
		}
		if !hit {
			at := -1
			if !uses {
				at = len(b.keys)
				for _, ci := range tests {
					b.keys = append(b.keys, sc[ci]) // before build simplifies sc
				}
			}
			kk := k
			kk.lo[w], kk.hi[w] = start, end
			d = b.build(sc, kk)
			if at >= 0 {
				memo[nm%len(memo)].at, memo[nm%len(memo)].d = at, d
				nm++
			}
		}
		b.stack = b.stack[:base]
		if last := len(b.segs) - 1; last >= s0 && b.segs[last].d == d {
			b.segs[last].hi = end
		} else {
			b.segs = append(b.segs, seg{lo: start, hi: end, d: d, rule: rule})
		}
		if i < len(pts) {
			start = uint32(pts[i] >> 32)
			rule = int32(uint32(pts[i]))
		}
	}
	b.keys = b.keys[:k0]
	b.pts, b.tests = b.pts[:p0], b.tests[:t0]
	segs := b.segs[s0:]
	d := b.searchSegs(segs, off, o)
	b.segs = b.segs[:s0]
	return d, true
}

// seg is a run of a word's values with one decision.
type seg struct {
	lo, hi uint32
	d      nodeID
	rule   int32 // the rule whose test starts the segment
}

// searchSegs is a binary search over segs by jge on their starts, with a
// lone value between two segments of one decision tested by jeq. Segments
// weigh alike except the one holding 0, which weighs as much as all the
// others: zero is the commonest argument (flags, offsets, "no pointer"), so
// it is found after one or two tests.
func (b *argBuilder) searchSegs(segs []seg, off uint8, o org) nodeID {
	at := func(s seg) org { o.rule = s.rule; return o }
	switch {
	case len(segs) == 1:
		return segs[0].d
	case len(segs) == 3 && segs[0].d == segs[2].d && segs[1].lo == segs[1].hi:
		return b.g.test(eq(off, fullMask, segs[1].lo), segs[1].d, segs[0].d, at(segs[1]))
	case len(segs) == 2 && segs[0].lo == segs[0].hi:
		return b.g.test(eq(off, fullMask, segs[0].lo), segs[0].d, segs[1].d, at(segs[1]))
	case len(segs) == 2 && segs[1].lo == segs[1].hi:
		return b.g.test(eq(off, fullMask, segs[1].lo), segs[1].d, segs[0].d, at(segs[1]))
	}
	m := len(segs) / 2
	if segs[0].lo == 0 {
		// weights: len(segs)-1 for segs[0], 1 for each other; split where
		// the left side first reaches half of 2*(len(segs)-1).
		m = 1
	}
	right := b.searchSegs(segs[m:], off, o)
	left := b.searchSegs(segs[:m], off, o)
	return b.g.test(ge(off, segs[m].lo), right, left, at(segs[m]))
}
