package compiler

import "golang.org/x/net/bpf"

// The walker runs a program over seccomp_data fields that are either known
// (a concrete number) or unknown, following both sides of every jump on an
// unknown value, and records what each unknown field is compared with. It
// works for any seccomp program (X register, scratch memory, arithmetic),
// which matters because Check must not trust the compiler's own idea of the
// program's shape. Check uses the records to pick inputs: one per class of
// values the program and the policy cannot tell apart.

// Fields of seccomp_data as 16 32-bit words: word i is at offset 4*i.
const (
	fieldNr   = 0
	fieldArch = 1
	numFields = 16
)

// val is an abstract 32-bit value: a constant, a field (possibly ANDed
// with a mask), or something computed from fields (deps) the walker does
// not follow exactly.
type val struct {
	kind uint8 // valConst, valField, valOpaque
	f    uint8
	mask uint32
	c    uint32
	deps uint16
}

const (
	valConst = iota
	valField
	valOpaque
)

type cmp struct {
	op   uint16 // opJeqK, opJgtK, opJgeK, opJsetK
	mask uint32 // the AND applied to the field first, fullMask if none
	k    uint32
}

// fieldUse is what the walk learnt about one unknown field.
type fieldUse struct {
	read    bool
	cmps    []cmp
	inexact bool // compared after arithmetic, through X, or with a mask
}

type walkState struct {
	pc   int
	a, x val
	mem  [16]val
}

// walker explores one program with some fields known.
type walker struct {
	insns  []bpf.RawInstruction
	known  [numFields]bool
	value  [numFields]uint32
	uses   [numFields]fieldUse
	budget int
	capped bool
	stack  []walkState
	gen    uint32
	mark   []walkMark       // per pc: the first state queued there this walk
	seen   map[walkKey]bool // the others
}

type walkMark struct {
	gen  uint32
	a, x val
}

type walkKey struct {
	pc   int
	a, x val
}

// walkBudget bounds the states one walk explores.
const walkBudget = 1 << 16

func (w *walker) reset() {
	for i := range w.uses {
		w.uses[i].read = false
		w.uses[i].cmps = w.uses[i].cmps[:0]
		w.uses[i].inexact = false
	}
	w.budget = walkBudget
	w.capped = false
	w.stack = w.stack[:0]
	w.gen++
	if len(w.mark) != len(w.insns) {
		w.mark = make([]walkMark, len(w.insns))
	}
	if len(w.seen) > 0 {
		clear(w.seen)
	}
}

func (w *walker) load(k uint32) val {
	f := uint8(k / 4)
	if k%4 != 0 || f >= numFields {
		return val{kind: valOpaque}
	}
	if w.known[f] {
		return val{kind: valConst, c: w.value[f]}
	}
	w.uses[f].read = true
	return val{kind: valField, f: f, mask: fullMask}
}

func depsOf(v val) uint16 {
	switch v.kind {
	case valField:
		return 1 << v.f
	case valOpaque:
		return v.deps
	}
	return 0
}

func (w *walker) taint(deps uint16) {
	for f := range numFields {
		if deps&(1<<f) != 0 {
			w.uses[f].inexact = true
		}
	}
}

// run walks the whole program from pc 0.
func (w *walker) run() {
	w.stack = append(w.stack, walkState{a: val{kind: valConst}, x: val{kind: valConst}})
	for len(w.stack) > 0 {
		s := w.stack[len(w.stack)-1]
		w.stack = w.stack[:len(w.stack)-1]
		w.path(s)
	}
}

// path follows one state until a return, pushing the other side of
// undecided jumps.
func (w *walker) path(s walkState) {
	for s.pc >= 0 && s.pc < len(w.insns) {
		if w.budget--; w.budget < 0 {
			w.capped = true
			return
		}
		in := w.insns[s.pc]
		cls := in.Op & 0x07
		next := s.pc + 1
		switch cls {
		case 0x00: // LD
			switch in.Op & 0xe0 {
			case 0x20:
				s.a = w.load(in.K)
			case 0x00:
				s.a = val{kind: valConst, c: in.K}
			case 0x60:
				s.a = s.mem[in.K&15]
			case 0x80:
				s.a = val{kind: valConst, c: 64}
			default:
				s.a = val{kind: valOpaque}
			}
		case 0x01: // LDX
			switch in.Op & 0xe0 {
			case 0x00:
				s.x = val{kind: valConst, c: in.K}
			case 0x60:
				s.x = s.mem[in.K&15]
			case 0x80:
				s.x = val{kind: valConst, c: 64}
			default:
				s.x = val{kind: valOpaque}
			}
		case 0x02:
			s.mem[in.K&15] = s.a
		case 0x03:
			s.mem[in.K&15] = s.x
		case 0x04: // ALU
			s.a = w.alu(in, s.a, s.x)
		case 0x05: // JMP
			op := in.Op & 0xf0
			if op == 0x00 {
				next = s.pc + 1 + int(in.K)
				break
			}
			t, f := s.pc+1+int(in.Jt), s.pc+1+int(in.Jf)
			rhs := val{kind: valConst, c: in.K}
			if in.Op&0x08 != 0 {
				rhs = s.x
			}
			if s.a.kind == valConst && rhs.kind == valConst {
				if jumpTrue(op, s.a.c, rhs.c) {
					next = t
				} else {
					next = f
				}
				break
			}
			if s.a.kind == valField && rhs.kind == valConst {
				u := &w.uses[s.a.f]
				c := cmp{op: op | 0x05, mask: s.a.mask, k: rhs.c}
				if c.op == opJsetK {
					c.k &= s.a.mask
					c.mask = fullMask
				}
				if !containsCmp(u.cmps, c) {
					u.cmps = append(u.cmps, c)
				}
				if c.mask != fullMask || c.op == opJsetK {
					u.inexact = true
				}
			} else {
				w.taint(depsOf(s.a) | depsOf(rhs))
			}
			w.fork(t, s)
			next = f
		case 0x06: // RET
			return
		case 0x07: // MISC
			if in.Op&0xf8 == 0x80 {
				s.a = s.x
			} else {
				s.x = s.a
			}
		}
		s.pc = next
	}
}

// fork queues the state at pc t unless an equal state was queued before
// (states that used scratch memory are always queued: the key omits it).
func (w *walker) fork(t int, s walkState) {
	s.pc = t
	if s.mem == ([16]val{}) && t < len(w.mark) {
		m := &w.mark[t]
		switch {
		case m.gen != w.gen:
			*m = walkMark{gen: w.gen, a: s.a, x: s.x}
		case m.a == s.a && m.x == s.x:
			return
		default:
			k := walkKey{pc: t, a: s.a, x: s.x}
			if w.seen[k] {
				return
			}
			if w.seen == nil {
				w.seen = make(map[walkKey]bool)
			}
			w.seen[k] = true
		}
	}
	w.stack = append(w.stack, s)
}

func containsCmp(cs []cmp, c cmp) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func jumpTrue(op uint16, a, k uint32) bool {
	switch op {
	case 0x10:
		return a == k
	case 0x20:
		return a > k
	case 0x30:
		return a >= k
	case 0x40:
		return a&k != 0
	}
	return false
}

// alu computes A op operand abstractly, as the kernel's 32-bit ALU would.
func (w *walker) alu(in bpf.RawInstruction, a, x val) val {
	op := in.Op & 0xf0
	rhs := val{kind: valConst, c: in.K}
	if in.Op&0x08 != 0 {
		rhs = x
	}
	if op == 0x80 { // neg
		if a.kind == valConst {
			return val{kind: valConst, c: -a.c}
		}
		return val{kind: valOpaque, deps: depsOf(a)}
	}
	if a.kind == valConst && rhs.kind == valConst {
		c, k := a.c, rhs.c
		switch op {
		case 0x00:
			c += k
		case 0x10:
			c -= k
		case 0x20:
			c *= k
		case 0x30:
			if k == 0 {
				return val{kind: valOpaque} // the filter ends with 0 here
			}
			c /= k
		case 0x40:
			c |= k
		case 0x50:
			c &= k
		case 0x60:
			c <<= k & 31
		case 0x70:
			c >>= k & 31
		case 0xa0:
			c ^= k
		default:
			return val{kind: valOpaque}
		}
		return val{kind: valConst, c: c}
	}
	if op == 0x50 && a.kind == valField && rhs.kind == valConst {
		a.mask &= rhs.c
		return a
	}
	return val{kind: valOpaque, deps: depsOf(a) | depsOf(rhs)}
}
