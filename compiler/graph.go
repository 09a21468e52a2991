package compiler

// The compiler's middle representation is a decision graph: every node is
// either a return (a leaf) or a test of one 32-bit word of seccomp_data
// against a constant, with a successor for each outcome. The dispatch on
// arch and syscall number and the argument trees are all such nodes, so one
// emitter (jumps.go) turns the whole graph into instructions, choosing the
// loads, sharing identical tails and inserting long jumps.

// Classic BPF opcodes the compiler emits (linux/filter.h, linux/bpf_common.h).
const (
	opLdAbsW uint16 = 0x20 // BPF_LD|BPF_W|BPF_ABS
	opAndK   uint16 = 0x54 // BPF_ALU|BPF_AND|BPF_K
	opJa     uint16 = 0x05 // BPF_JMP|BPF_JA
	opJeqK   uint16 = 0x15 // BPF_JMP|BPF_JEQ|BPF_K
	opJgtK   uint16 = 0x25 // BPF_JMP|BPF_JGT|BPF_K
	opJgeK   uint16 = 0x35 // BPF_JMP|BPF_JGE|BPF_K
	opJsetK  uint16 = 0x45 // BPF_JMP|BPF_JSET|BPF_K
	opRetK   uint16 = 0x06 // BPF_RET|BPF_K
)

// Offsets of seccomp_data's 32-bit fields (include/uapi/linux/seccomp.h).
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
	noOff   = 0xff // A holds nothing we know
)

// fullMask means "no AND": the word is tested as loaded.
const fullMask = 0xffffffff

// atom is one test on a word: after A = word & mask, jump on op with k.
// Only jeq uses a mask other than fullMask.
type atom struct {
	op   uint16
	off  uint8
	mask uint32
	k    uint32
}

type nodeID int32

// node is a vertex of the decision graph. ret is valid for leaves (isRet).
// Nodes hold no pointers, so building the graph costs the garbage
// collector nothing.
type node struct {
	isRet bool
	ret   uint32
	a     atom
	t, f  nodeID
	org   org
}

// org is the compact form of Origin kept while compiling: abi indexes
// compiler.abis (-1: none), nr is valid when hasNr.
type org struct {
	role  Role
	abi   int8
	hasNr bool
	rule  int32
	nr    uint32
}

// graph holds the nodes of one compilation. Leaves are shared by return
// value; argument tests are hash-consed so that identical subtrees (the
// tail "hi == 0 → ..." of many rules, identical trees of neighbouring
// syscalls) exist once and compare equal by id, which is what lets
// neighbouring syscalls with identical argument rules merge into one range.
type graph struct {
	nodes  []node
	leaves []nodeID
	cons   map[consKey]nodeID
}

type consKey struct {
	a    atom
	t, f nodeID
}

func (g *graph) reset() {
	g.nodes = g.nodes[:0]
	g.leaves = g.leaves[:0]
	clear(g.cons)
}

// leaf returns the shared return node for ret. Its origin keeps only what
// every caller agrees on: a return shared by two rules names neither.
func (g *graph) leaf(ret uint32, o org) nodeID {
	for _, id := range g.leaves {
		if n := &g.nodes[id]; n.ret == ret {
			m := &n.org
			if m.rule != o.rule {
				m.rule = -1
			}
			if m.hasNr && (!o.hasNr || m.nr != o.nr) {
				m.hasNr = false
			}
			if m.abi != o.abi {
				m.abi = -1
			}
			if m.role != o.role {
				m.role = RoleReturn
			}
			return id
		}
	}
	id := nodeID(len(g.nodes))
	g.nodes = append(g.nodes, node{isRet: true, ret: ret, org: o})
	g.leaves = append(g.leaves, id)
	return id
}

// test returns a node testing a, hash-consed; a test whose outcomes lead to
// the same place is no test at all.
func (g *graph) test(a atom, t, f nodeID, o org) nodeID {
	if t == f {
		return t
	}
	if g.cons == nil {
		g.cons = make(map[consKey]nodeID)
	}
	k := consKey{a, t, f}
	if id, ok := g.cons[k]; ok {
		return id
	}
	id := g.add(a, t, f, o)
	g.cons[k] = id
	return id
}

// add appends a test node without hash-consing (dispatch nodes are unique).
func (g *graph) add(a atom, t, f nodeID, o org) nodeID {
	id := nodeID(len(g.nodes))
	g.nodes = append(g.nodes, node{a: a, t: t, f: f, org: o})
	return id
}
