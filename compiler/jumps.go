package compiler

import (
	"fmt"
	"slices"

	"golang.org/x/net/bpf"
)

// The emitter turns the decision graph into instructions. It works
// backwards, from the end of the program to its start, the way Kafel and
// Chromium's CodeGen do: a node is emitted after everything it jumps to, so
// every distance is final when the jump is written, and a target more than
// 255 instructions away (the reach of jt/jf) gets a trampoline next to the
// jump: a copy of the return if the target is a return (as cheap as the
// original), else a ja, which reaches anywhere. Returns are shared while in
// reach.
//
// Loads are chosen from the accumulator: after a test, A still holds the
// word it tested (or word & mask after a masked test), so a successor
// testing the same word enters past its load. Each test node is emitted
// as [ld word] [and mask] jcc with up to three entry points, and only the
// entries some predecessor uses are emitted. A is never assumed to hold the
// syscall number after an argument was loaded: argument trees end in
// returns only, and the entry test compares offsets, not hopes.

const maxJump = 255

// Entry points of a test node.
const (
	entryLoad = iota // ld word; and; test
	entryAnd         // and; test (A holds the word)
	entryTest        // test (A holds word & mask)
)

type aState struct {
	off  uint8
	mask uint32
}

type emitter struct {
	g      *graph
	need   []uint8    // per node: bit set of entries used
	pos    [][3]int32 // per node: emission index of each entry, -1 if none
	done   []bool
	insns  []bpf.RawInstruction // in reverse order
	orgs   []org                // in reverse order
	rets   []retAt              // the nearest copy of each return value
	tramps []trampAt
}

type retAt struct {
	ret uint32
	at  int32
}

type trampAt struct {
	n     nodeID
	entry int
	at    int32
}

// entryFor returns the entry of test node n for a predecessor leaving s in A.
func entryFor(s aState, n *node) int {
	switch {
	case s.off == n.a.off && s.mask == n.a.mask:
		return entryTest
	case s.off == n.a.off && s.mask == fullMask:
		return entryAnd
	}
	return entryLoad
}

func after(n *node) aState { return aState{off: n.a.off, mask: n.a.mask} }

// emit lays out the graph from root and returns the instructions and their
// origins in program order.
func (e *emitter) emit(root nodeID) ([]bpf.RawInstruction, []org) {
	n := len(e.g.nodes)
	e.need = slices.Grow(e.need[:0], n)[:n]
	clear(e.need)
	e.done = slices.Grow(e.done[:0], n)[:n]
	clear(e.done)
	e.pos = slices.Grow(e.pos[:0], n)[:n]
	e.insns = e.insns[:0]
	e.orgs = e.orgs[:0]
	e.rets = e.rets[:0]
	e.tramps = e.tramps[:0]

	// Which entries each node needs: one pass over the reachable graph.
	if !e.g.nodes[root].isRet {
		e.need[root] |= 1 << entryLoad
	}
	e.mark(root)
	clear(e.done)

	e.visit(root)
	if e.g.nodes[root].isRet {
		e.retTarget(root, 0, false)
	}
	slices.Reverse(e.insns)
	slices.Reverse(e.orgs)
	return e.insns, e.orgs
}

func (e *emitter) mark(id nodeID) {
	if e.done[id] {
		return
	}
	e.done[id] = true
	nd := &e.g.nodes[id]
	if nd.isRet {
		return
	}
	s := after(nd)
	for _, c := range [2]nodeID{nd.t, nd.f} {
		if cn := &e.g.nodes[c]; !cn.isRet {
			e.need[c] |= 1 << entryFor(s, cn)
			e.mark(c)
		}
	}
}

// visit emits id after (that is, before, in this backward order) its
// successors, false successor last so that it tends to follow id directly.
func (e *emitter) visit(id nodeID) {
	if e.done[id] {
		return
	}
	e.done[id] = true
	nd := &e.g.nodes[id]
	if nd.isRet {
		return
	}
	e.visit(nd.t)
	e.visit(nd.f)

	s := after(nd)
	// Positions of the targets if already in reach of a jump placed at
	// cur+2 (the worst case, after two trampolines).
	cur := int32(len(e.insns))
	pt := e.target(nd.t, s, cur+2)
	if pt < 0 {
		pt = e.trampoline(nd.t, s)
	}
	pf := e.target(nd.f, s, int32(len(e.insns))+1)
	if pf < 0 {
		pf = e.trampoline(nd.f, s)
	}
	j := int32(len(e.insns))
	jt, jf := j-pt-1, j-pf-1
	if jt < 0 || jt > maxJump || jf < 0 || jf > maxJump {
		panic(fmt.Sprintf("compiler: jump out of reach (%d, %d)", jt, jf)) // a bug in this file, never input
	}
	o := nd.org
	e.pos[id] = [3]int32{-1, -1, -1}
	e.put(bpf.RawInstruction{Op: nd.a.op, Jt: uint8(jt), Jf: uint8(jf), K: nd.a.k}, o)
	e.pos[id][entryTest] = j
	need := e.need[id]
	if need&(1<<entryAnd|1<<entryLoad) != 0 && nd.a.mask != fullMask {
		m := o
		m.role = RoleMask
		e.put(bpf.RawInstruction{Op: opAndK, K: nd.a.mask}, m)
		e.pos[id][entryAnd] = int32(len(e.insns) - 1)
	}
	if need&(1<<entryLoad) != 0 {
		l := o
		switch nd.a.off {
		case offNr:
			l.role = RoleLoadNr
		case offArch:
			l.role = RoleLoadArch
			l.abi = -1
		default:
			l.role = RoleLoadArg
		}
		e.put(bpf.RawInstruction{Op: opLdAbsW, K: uint32(nd.a.off)}, l)
		e.pos[id][entryLoad] = int32(len(e.insns) - 1)
	}
}

func (e *emitter) put(in bpf.RawInstruction, o org) {
	e.insns = append(e.insns, in)
	e.orgs = append(e.orgs, o)
}

// target returns the emission index a jump at index at can use to reach
// child c from accumulator state s, or -1 if nothing is in reach.
func (e *emitter) target(c nodeID, s aState, at int32) int32 {
	cn := &e.g.nodes[c]
	if cn.isRet {
		for i := len(e.rets) - 1; i >= 0; i-- {
			if r := e.rets[i]; r.ret == cn.ret {
				if at-r.at-1 <= maxJump {
					return r.at
				}
				break
			}
		}
		return -1
	}
	entry := entryFor(s, cn)
	p := e.pos[c][entry]
	if at-p-1 <= maxJump {
		return p
	}
	for i := len(e.tramps) - 1; i >= 0; i-- {
		if t := e.tramps[i]; t.n == c && t.entry == entry {
			if at-t.at-1 <= maxJump {
				return t.at
			}
			break
		}
	}
	return -1
}

// trampoline emits, at the current position, a way to reach c: a copy of
// its return, or a ja to its entry.
func (e *emitter) trampoline(c nodeID, s aState) int32 {
	cn := &e.g.nodes[c]
	if cn.isRet {
		return e.retTarget(c, 0, true)
	}
	entry := entryFor(s, cn)
	at := int32(len(e.insns))
	o := cn.org
	o.role = RoleJump
	e.put(bpf.RawInstruction{Op: opJa, K: uint32(at - e.pos[c][entry] - 1)}, o)
	e.tramps = append(e.tramps, trampAt{n: c, entry: entry, at: at})
	return at
}

func (e *emitter) retTarget(c nodeID, _ int, _ bool) int32 {
	cn := &e.g.nodes[c]
	at := int32(len(e.insns))
	e.put(bpf.RawInstruction{Op: opRetK, K: cn.ret}, cn.org)
	// keep one entry per value: the nearest copy
	for i := range e.rets {
		if e.rets[i].ret == cn.ret {
			e.rets = append(e.rets[:i], e.rets[i+1:]...)
			break
		}
	}
	e.rets = append(e.rets, retAt{ret: cn.ret, at: at})
	return at
}
