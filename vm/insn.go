package vm

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// Classic BPF opcode fields, named as in include/uapi/linux/bpf_common.h and
// filter.h. The verifier matches the full 16-bit code, so these are combined
// into exact codes below rather than decoded field by field.
const (
	clsLD   = 0x00
	clsLDX  = 0x01
	clsST   = 0x02
	clsSTX  = 0x03
	clsALU  = 0x04
	clsJMP  = 0x05
	clsRET  = 0x06
	clsMISC = 0x07

	szW = 0x00
	szH = 0x08
	szB = 0x10

	mdIMM = 0x00
	mdABS = 0x20
	mdIND = 0x40
	mdMEM = 0x60
	mdLEN = 0x80
	mdMSH = 0xa0

	aluADD = 0x00
	aluSUB = 0x10
	aluMUL = 0x20
	aluDIV = 0x30
	aluOR  = 0x40
	aluAND = 0x50
	aluLSH = 0x60
	aluRSH = 0x70
	aluNEG = 0x80
	aluMOD = 0x90
	aluXOR = 0xa0

	jmpJA   = 0x00
	jmpJEQ  = 0x10
	jmpJGT  = 0x20
	jmpJGE  = 0x30
	jmpJSET = 0x40

	srcK = 0x00
	srcX = 0x08

	retK = 0x00
	retA = 0x10

	miscTAX = 0x00
	miscTXA = 0x80
)

// Exact opcodes that the verifier and the interpreter switch on.
const (
	opLdAbsW  = clsLD | szW | mdABS  // 0x20, seccomp: ld [k]
	opLdAbsH  = clsLD | szH | mdABS  // 0x28
	opLdAbsB  = clsLD | szB | mdABS  // 0x30
	opLdIndW  = clsLD | szW | mdIND  // 0x40
	opLdIndH  = clsLD | szH | mdIND  // 0x48
	opLdIndB  = clsLD | szB | mdIND  // 0x50
	opLdLen   = clsLD | szW | mdLEN  // 0x80
	opLdImm   = clsLD | mdIMM        // 0x00
	opLdMem   = clsLD | mdMEM        // 0x60
	opLdxLen  = clsLDX | szW | mdLEN // 0x81
	opLdxMsh  = clsLDX | szB | mdMSH // 0xb1
	opLdxImm  = clsLDX | mdIMM       // 0x01
	opLdxMem  = clsLDX | mdMEM       // 0x61
	opLdxAbsW = clsLDX | szW | mdABS // 0x21, the kernel's internal rewrite of ld [k]
	opSt      = clsST                // 0x02
	opStx     = clsSTX               // 0x03
	opTax     = clsMISC | miscTAX    // 0x07
	opTxa     = clsMISC | miscTXA    // 0x87
	opRetK    = clsRET | retK        // 0x06
	opRetA    = clsRET | retA        // 0x16
	opJa      = clsJMP | jmpJA       // 0x05
	opNeg     = clsALU | aluNEG      // 0x84
)

const (
	// MaxInsns is BPF_MAXINSNS, the most instructions one filter may have.
	MaxInsns = 4096
	// MemWords is BPF_MEMWORDS, the number of scratch cells M[0..15].
	MemWords = 16
	// SizeofData is sizeof(struct seccomp_data); `ld len` loads this value.
	SizeofData = 64
	// skfAdOff is SKF_AD_OFF: ld [k] with k at or above it is an
	// ancillary (socket-filter extension) load.
	skfAdOff = 0xfffff000
)

func isCondJump(op uint16) bool {
	switch op {
	case clsJMP | jmpJEQ | srcK, clsJMP | jmpJEQ | srcX,
		clsJMP | jmpJGT | srcK, clsJMP | jmpJGT | srcX,
		clsJMP | jmpJGE | srcK, clsJMP | jmpJGE | srcX,
		clsJMP | jmpJSET | srcK, clsJMP | jmpJSET | srcX:
		return true
	}
	return false
}

var aluNames = map[uint16]string{
	aluADD: "add", aluSUB: "sub", aluMUL: "mul", aluDIV: "div", aluOR: "or",
	aluAND: "and", aluLSH: "lsh", aluRSH: "rsh", aluMOD: "mod", aluXOR: "xor",
}

var jmpNames = map[uint16]string{
	jmpJEQ: "jeq", jmpJGT: "jgt", jmpJGE: "jge", jmpJSET: "jset",
}

// imm formats a constant operand: small values in decimal, the rest in hex,
// which is how seccomp listings (and bpf_asm users) usually write them.
func imm(k uint32) string {
	if k < 4096 {
		return fmt.Sprintf("#%d", k)
	}
	return fmt.Sprintf("#%#x", k)
}

// insnString formats one instruction in bpf_asm syntax, keyed on the exact
// 16-bit code so that codes with stray bits never print as a valid
// instruction. Codes it does not know print as raw fields.
func insnString(ins bpf.RawInstruction) string {
	op, k := ins.Op, ins.K
	switch op {
	case opLdAbsW:
		return fmt.Sprintf("ld [%d]", k)
	case opLdAbsH:
		return fmt.Sprintf("ldh [%d]", k)
	case opLdAbsB:
		return fmt.Sprintf("ldb [%d]", k)
	case opLdIndW:
		return fmt.Sprintf("ld [x + %d]", k)
	case opLdIndH:
		return fmt.Sprintf("ldh [x + %d]", k)
	case opLdIndB:
		return fmt.Sprintf("ldb [x + %d]", k)
	case opLdLen:
		return "ld len"
	case opLdxLen:
		return "ldx len"
	case opLdxMsh:
		return fmt.Sprintf("ldx 4*([%d]&0xf)", k)
	case opLdImm:
		return "ld " + imm(k)
	case opLdxImm:
		return "ldx " + imm(k)
	case opLdMem:
		return fmt.Sprintf("ld M[%d]", k)
	case opLdxMem:
		return fmt.Sprintf("ldx M[%d]", k)
	case opSt:
		return fmt.Sprintf("st M[%d]", k)
	case opStx:
		return fmt.Sprintf("stx M[%d]", k)
	case opTax:
		return "tax"
	case opTxa:
		return "txa"
	case opNeg:
		return "neg"
	case opRetK:
		return "ret " + imm(k)
	case opRetA:
		return "ret a"
	case opJa:
		return fmt.Sprintf("ja +%d", k)
	}
	if op&^0xf8 == clsALU {
		if name, ok := aluNames[op&0xf0]; ok {
			if op&srcX != 0 {
				return name + " x"
			}
			return name + " " + imm(k)
		}
	}
	if isCondJump(op) {
		name := jmpNames[op&0xf0]
		src := imm(k)
		if op&srcX != 0 {
			src = "x"
		}
		return fmt.Sprintf("%s %s jt %d jf %d", name, src, ins.Jt, ins.Jf)
	}
	return fmt.Sprintf("op %#04x jt %d jf %d k %#x", op, ins.Jt, ins.Jf, k)
}
