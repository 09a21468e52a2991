package vm

import (
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
)

// op is the interpreter's dense opcode: one value per seccomp instruction
// after seccomp_check_filter's rewrites, so Run is a single jump table.
type op uint8

const (
	// ld [k] reads word k/4 of seccomp_data; k keeps the word index.
	xLdNr   op = iota // ld [0]
	xLdArch           // ld [4]
	xLdIP             // ld [8], ld [12]: jt is 1 for the odd word
	xLdArg            // ld [16..60]: jf is the argument, jt 1 for the odd word
	xLdImm            // A = k (also ld len, rewritten to k = 64)
	xLdxImm           // X = k (also ldx len)
	xLdMem            // A = M[k]
	xLdxMem           // X = M[k]
	xSt               // M[k] = A
	xStx              // M[k] = X
	xTax
	xTxa
	xNeg
	xAddK
	xAddX
	xSubK
	xSubX
	xMulK
	xMulX
	xDivK
	xDivX
	xOrK
	xOrX
	xAndK
	xAndX
	xXorK
	xXorX
	xLshK
	xLshX
	xRshK
	xRshX
	xJa
	xJeqK
	xJeqX
	xJgtK
	xJgtX
	xJgeK
	xJgeX
	xJsetK
	xJsetX
	xRetK
	xRetA
)

// decodeOp maps the exact codes of the ALU instructions and conditional
// jumps to the dense op.
var decodeOp = map[uint16]op{
	clsALU | aluADD | srcK: xAddK, clsALU | aluADD | srcX: xAddX,
	clsALU | aluSUB | srcK: xSubK, clsALU | aluSUB | srcX: xSubX,
	clsALU | aluMUL | srcK: xMulK, clsALU | aluMUL | srcX: xMulX,
	clsALU | aluDIV | srcK: xDivK, clsALU | aluDIV | srcX: xDivX,
	clsALU | aluOR | srcK: xOrK, clsALU | aluOR | srcX: xOrX,
	clsALU | aluAND | srcK: xAndK, clsALU | aluAND | srcX: xAndX,
	clsALU | aluXOR | srcK: xXorK, clsALU | aluXOR | srcX: xXorX,
	clsALU | aluLSH | srcK: xLshK, clsALU | aluLSH | srcX: xLshX,
	clsALU | aluRSH | srcK: xRshK, clsALU | aluRSH | srcX: xRshX,
	clsJMP | jmpJEQ | srcK: xJeqK, clsJMP | jmpJEQ | srcX: xJeqX,
	clsJMP | jmpJGT | srcK: xJgtK, clsJMP | jmpJGT | srcX: xJgtX,
	clsJMP | jmpJGE | srcK: xJgeK, clsJMP | jmpJGE | srcX: xJgeX,
	clsJMP | jmpJSET | srcK: xJsetK, clsJMP | jmpJSET | srcX: xJsetX,
}

// inst is a decoded instruction. Jumps carry absolute targets: jt and jf
// for conditional jumps, jt for ja.
type inst struct {
	op     op
	jt, jf uint16
	k      uint32
}

// Prog is a verified program, decoded for fast runs. It is immutable and safe
// for concurrent use.
type Prog struct {
	orig  []bpf.RawInstruction // as given, for the action-cache emulation
	insns []inst
}

// Load verifies prog like the kernel (see Verify) and decodes it. The
// returned Prog keeps its own copy of prog.
func Load(prog []bpf.RawInstruction) (*Prog, error) {
	if err := Verify(prog); err != nil {
		return nil, err
	}
	p := &Prog{
		orig:  append([]bpf.RawInstruction(nil), prog...),
		insns: make([]inst, len(prog)),
	}
	for pc, ins := range prog {
		p.insns[pc] = decode(ins, pc)
	}
	return p, nil
}

// decode applies seccomp_check_filter's rewrites (ld [k] reads seccomp_data,
// ld len and ldx len become loads of the constant 64) and maps the code to
// the dense op, with jump targets made absolute. ins, at pc, must be
// verified.
func decode(ins bpf.RawInstruction, pc int) inst {
	d := inst{k: ins.K}
	switch ins.Op {
	case opLdAbsW:
		// The field and half are decoded now; only which half is high
		// waits for the arch value at run time.
		d.k = ins.K / 4
		switch w := uint16(ins.K / 4); {
		case w == 0:
			d.op = xLdNr
		case w == 1:
			d.op = xLdArch
		case w < 4:
			d.op, d.jt = xLdIP, w&1
		default:
			d.op, d.jt, d.jf = xLdArg, w&1, (w-4)/2
		}
	case opLdLen:
		d.op, d.k = xLdImm, SizeofData
	case opLdxLen:
		d.op, d.k = xLdxImm, SizeofData
	case opLdImm:
		d.op = xLdImm
	case opLdxImm:
		d.op = xLdxImm
	case opLdMem:
		d.op = xLdMem
	case opLdxMem:
		d.op = xLdxMem
	case opSt:
		d.op = xSt
	case opStx:
		d.op = xStx
	case opTax:
		d.op = xTax
	case opTxa:
		d.op = xTxa
	case opNeg:
		d.op = xNeg
	case opJa:
		d.op = xJa
		d.jt = uint16(pc + 1 + int(ins.K))
	case opRetK:
		d.op = xRetK
	case opRetA:
		d.op = xRetA
	default:
		d.op = decodeOp[ins.Op]
		d.jt, d.jf = uint16(pc+1+int(ins.Jt)), uint16(pc+1+int(ins.Jf))
	}
	return d
}

// Len returns the number of instructions.
func (p *Prog) Len() int { return len(p.insns) }

// Instructions returns a copy of the program as it was loaded.
func (p *Prog) Instructions() []bpf.RawInstruction {
	return append([]bpf.RawInstruction(nil), p.orig...)
}

// String lists the program, one numbered instruction a line.
func (p *Prog) String() string {
	var b strings.Builder
	for i, ins := range p.orig {
		b.WriteString(strconv.Itoa(i))
		b.WriteString(": ")
		b.WriteString(insnString(ins))
		b.WriteByte('\n')
	}
	return b.String()
}

// Run verifies prog and runs it on d, returning the 32-bit value the filter
// returns, exactly as the kernel computes it. See Prog.Run for the semantics
// and Effective for what the kernel then does with the value.
func Run(prog []bpf.RawInstruction, d Data) (uint32, error) {
	p, err := Load(prog)
	if err != nil {
		return 0, err
	}
	return p.Run(d), nil
}

// Run runs the program on d and returns the filter's 32-bit return value.
//
// The semantics are those of the kernel's converted program
// (bpf_convert_filter, then the JIT or kernel/bpf/core.c): A and X start at
// 0; arithmetic is 32-bit and wraps; a shift by X uses X&31; dividing by an
// X of 0 ends the filter with 0 (SECCOMP_RET_KILL_THREAD); comparisons are
// unsigned; ld [k] reads the native-endian u32 at offset k of d.Bytes(); ld
// len and ldx len load 64. Scratch cells are never read before a store, as
// Verify guarantees. Run does not allocate.
//
// The value is what the filter returns, not yet what the kernel does with
// it: ERRNO data above 4095 is clamped to 4095, unknown actions kill the
// process, and stacked filters combine (see Effective and Stack). Run also
// does not model the action cache's uprobe exception (see ConstAllow).
func (p *Prog) Run(d Data) uint32 {
	var a, x uint32
	var m [MemWords]uint32
	insns := p.insns
	if len(insns) == 0 {
		return 0 // the zero Prog; Load never makes one
	}
	// Which word of a 64-bit field is its high half: the odd one on a
	// little-endian ABI, the even one on a big-endian ABI.
	var oddIsHigh uint16
	if d.Arch&auditArchLE != 0 {
		oddIsHigh = 1
	}
	// A verified program always reaches a ret, so the loop needs no bound
	// test of its own; the index stays checked.
	pc := 0
	for {
		in := &insns[pc]
		pc++
		switch in.op {
		case xLdNr:
			a = d.Nr
		case xLdArch:
			a = d.Arch
		case xLdIP:
			a = half(d.InstructionPointer, in.jt == oddIsHigh)
		case xLdArg:
			a = half(d.Args[in.jf], in.jt == oddIsHigh)
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
		case xAddK:
			a += in.k
		case xAddX:
			a += x
		case xSubK:
			a -= in.k
		case xSubX:
			a -= x
		case xMulK:
			a *= in.k
		case xMulX:
			a *= x
		case xDivK:
			a /= in.k
		case xDivX:
			// bpf_convert_filter emits "if X == 0 { A = 0; exit }".
			if x == 0 {
				return 0
			}
			a /= x
		case xOrK:
			a |= in.k
		case xOrX:
			a |= x
		case xAndK:
			a &= in.k
		case xAndX:
			a &= x
		case xXorK:
			a ^= in.k
		case xXorX:
			a ^= x
		case xLshK:
			a <<= in.k & 31
		case xLshX:
			// The interpreter masks with 31, and so does x86 SHL r32, cl.
			a <<= x & 31
		case xRshK:
			a >>= in.k & 31
		case xRshX:
			a >>= x & 31
		case xJa:
			pc = int(in.jt)
		case xJeqK:
			// Filters are mostly chains of jeq #k; follow a chain here
			// rather than through the jump table. On leaving, pc is the
			// index of in, which the outer loop fetches again.
			for {
				pc = target(a == in.k, in)
				in = &insns[pc]
				if in.op != xJeqK {
					break
				}
			}
		case xJgtK:
			pc = target(a > in.k, in)
		case xJgeK:
			pc = target(a >= in.k, in)
		case xJsetK:
			pc = target(a&in.k != 0, in)
		case xJeqX:
			pc = target(a == x, in)
		case xJgtX:
			pc = target(a > x, in)
		case xJgeX:
			pc = target(a >= x, in)
		case xJsetX:
			pc = target(a&x != 0, in)
		case xRetK:
			return in.k
		case xRetA:
			return a
		}
	}
}

func half(v uint64, high bool) uint32 {
	if high {
		return uint32(v >> 32)
	}
	return uint32(v)
}

func target(cond bool, in *inst) int {
	if cond {
		return int(in.jt)
	}
	return int(in.jf)
}
