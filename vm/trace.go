package vm

import (
	"fmt"
	"strings"
)

// FieldMask says which 32-bit halves of seccomp_data a run loaded, named by
// field rather than by offset: which offset holds the low half of a 64-bit
// field depends on the byte order of the ABI (Data.Arch).
type FieldMask uint16

// The fields of seccomp_data. ArgLo(i) and ArgHi(i) give the halves of
// args[i].
const (
	FieldNr FieldMask = 1 << iota
	FieldArch
	FieldIPLo
	FieldIPHi
	fieldArg0Lo
)

// ArgLo returns the mask bit of the low 32 bits of args[i] (0 <= i < 6).
func ArgLo(i int) FieldMask { return fieldArg0Lo << (2 * uint(i)) }

// ArgHi returns the mask bit of the high 32 bits of args[i] (0 <= i < 6).
func ArgHi(i int) FieldMask { return fieldArg0Lo << (2*uint(i) + 1) }

// fieldOfWord names word w (byte offset 4*w) of a seccomp_data laid out
// little-endian (le) or big-endian.
func fieldOfWord(w uint32, le bool) FieldMask {
	if w < 2 {
		return FieldNr << w
	}
	// Fields from bit 2 on come in (lo, hi) pairs; memory has (lo, hi) on
	// little-endian and (hi, lo) on big-endian.
	if !le {
		w ^= 1
	}
	return FieldMask(1) << w
}

// Has reports whether every bit of f is in m.
func (m FieldMask) Has(f FieldMask) bool { return m&f == f }

// String lists the fields, e.g. "nr|arch|args[1].lo".
func (m FieldMask) String() string {
	if m == 0 {
		return "none"
	}
	var parts []string
	names := []string{"nr", "arch", "ip.lo", "ip.hi"}
	for bit := 0; bit < 16; bit++ {
		if m&(1<<bit) == 0 {
			continue
		}
		if bit < 4 {
			parts = append(parts, names[bit])
			continue
		}
		half := "lo"
		if bit&1 == 1 {
			half = "hi"
		}
		parts = append(parts, fmt.Sprintf("args[%d].%s", (bit-4)/2, half))
	}
	return strings.Join(parts, "|")
}

// Trace records one instrumented run.
type Trace struct {
	Executed int       // instructions executed, including the last (a ret, or a div x by zero)
	Path     []int     // the pc of each executed instruction, in order
	Fields   FieldMask // which parts of seccomp_data the run loaded
}

// Trace runs the program on d like Run and also records the path taken and
// the fields read. It allocates the path; use Run where speed matters.
func (p *Prog) Trace(d Data) (uint32, Trace) {
	t := Trace{Path: make([]int, 0, min(len(p.insns), 32))}
	var a, x uint32
	var m [MemWords]uint32
	le := d.LittleEndian()
	insns := p.insns
	pc := 0
	for pc < len(insns) {
		t.Path = append(t.Path, pc)
		t.Executed++
		in := &insns[pc]
		pc++
		switch in.op {
		case xLdNr, xLdArch, xLdIP, xLdArg:
			a = d.word(in.k)
			t.Fields |= fieldOfWord(in.k, le)
		case xLdImm:
			a = in.k
		case xLdxImm:
			x = in.k
		case xLdMem:
			a = m[in.k&(MemWords-1)]
		case xLdxMem:
			x = m[in.k&(MemWords-1)]
		case xSt:
			m[in.k&(MemWords-1)] = a
		case xStx:
			m[in.k&(MemWords-1)] = x
		case xTax:
			x = a
		case xTxa:
			a = x
		case xNeg:
			a = -a
		case xAddK, xAddX, xSubK, xSubX, xMulK, xMulX, xDivK, xOrK, xOrX,
			xAndK, xAndX, xXorK, xXorX, xLshK, xLshX, xRshK, xRshX:
			a = alu(in.op, a, x, in.k)
		case xDivX:
			if x == 0 {
				return 0, t
			}
			a /= x
		case xJa:
			pc = int(in.jt)
		case xJeqK, xJeqX, xJgtK, xJgtX, xJgeK, xJgeX, xJsetK, xJsetX:
			pc = target(cond(in.op, a, x, in.k), in)
		case xRetK:
			return in.k, t
		case xRetA:
			return a, t
		}
	}
	return 0, t
}

// alu is the arithmetic of Prog.Run for the instrumented path, written once
// more on purpose: Run stays a flat switch for speed, and tests check that
// the two agree.
func alu(o op, a, x, k uint32) uint32 {
	switch o {
	case xAddK:
		return a + k
	case xAddX:
		return a + x
	case xSubK:
		return a - k
	case xSubX:
		return a - x
	case xMulK:
		return a * k
	case xMulX:
		return a * x
	case xDivK:
		return a / k
	case xOrK:
		return a | k
	case xOrX:
		return a | x
	case xAndK:
		return a & k
	case xAndX:
		return a & x
	case xXorK:
		return a ^ k
	case xXorX:
		return a ^ x
	case xLshK:
		return a << (k & 31)
	case xLshX:
		return a << (x & 31)
	case xRshK:
		return a >> (k & 31)
	case xRshX:
		return a >> (x & 31)
	}
	return a
}

func cond(o op, a, x, k uint32) bool {
	switch o {
	case xJeqK:
		return a == k
	case xJeqX:
		return a == x
	case xJgtK:
		return a > k
	case xJgtX:
		return a > x
	case xJgeK:
		return a >= k
	case xJgeX:
		return a >= x
	case xJsetK:
		return a&k != 0
	case xJsetX:
		return a&x != 0
	}
	return false
}

// Branch is one outcome of a conditional jump: Taken true is the jt edge.
type Branch struct {
	PC    int
	Taken bool
}

// String formats the branch as "12:true".
func (b Branch) String() string { return fmt.Sprintf("%d:%t", b.PC, b.Taken) }

// Coverage accumulates traces of one program: how often each instruction
// ran and which outcomes of each conditional jump were seen.
type Coverage struct {
	prog   *Prog
	runs   int
	hits   []uint64
	branch []uint8 // bit 0: jt edge seen, bit 1: jf edge seen
}

// NewCoverage returns an empty coverage record for p.
func (p *Prog) NewCoverage() *Coverage {
	return &Coverage{prog: p, hits: make([]uint64, len(p.insns)), branch: make([]uint8, len(p.insns))}
}

// Add records one trace of the program. Pcs outside the program (a trace
// of another program) are ignored.
func (c *Coverage) Add(t Trace) {
	c.runs++
	n := len(c.hits)
	for i, pc := range t.Path {
		if pc < 0 || pc >= n {
			continue
		}
		c.hits[pc]++
		in := c.prog.insns[pc]
		if !in.isCond() || i+1 >= len(t.Path) {
			continue
		}
		// jt == jf is a single edge: either outcome covers both.
		next := t.Path[i+1]
		if next == int(in.jt) {
			c.branch[pc] |= 1
		}
		if next == int(in.jf) {
			c.branch[pc] |= 2
		}
	}
}

func (in inst) isCond() bool { return in.op >= xJeqK && in.op <= xJsetX }

// Runs returns the number of traces added.
func (c *Coverage) Runs() int { return c.runs }

// Hits returns how many times instruction pc ran.
func (c *Coverage) Hits(pc int) uint64 {
	if pc < 0 || pc >= len(c.hits) {
		return 0
	}
	return c.hits[pc]
}

// Uncovered returns the pcs that never ran, in order.
func (c *Coverage) Uncovered() []int {
	var out []int
	for pc, h := range c.hits {
		if h == 0 {
			out = append(out, pc)
		}
	}
	return out
}

// UncoveredBranches returns the outcomes of conditional jumps that were never
// taken, in order, including both outcomes of jumps that never ran.
func (c *Coverage) UncoveredBranches() []Branch {
	var out []Branch
	for pc, in := range c.prog.insns {
		if !in.isCond() {
			continue
		}
		if c.branch[pc]&1 == 0 {
			out = append(out, Branch{pc, true})
		}
		if c.branch[pc]&2 == 0 {
			out = append(out, Branch{pc, false})
		}
	}
	return out
}

// String summarises the coverage: "insns 12/14, branches 9/12, 100 runs".
func (c *Coverage) String() string {
	ran, total, seen := 0, 0, 0
	for pc, in := range c.prog.insns {
		if c.hits[pc] > 0 {
			ran++
		}
		if in.isCond() {
			total += 2
			seen += int(c.branch[pc]&1) + int(c.branch[pc]>>1)
		}
	}
	return fmt.Sprintf("insns %d/%d, branches %d/%d, %d runs", ran, len(c.hits), seen, total, c.runs)
}
