package compiler

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"golang.org/x/net/bpf"
)

// Disassemble returns the listing of any seccomp program, in seccomp-tools'
// format:
//
//	 line  CODE  JT   JF      K
//	=================================
//	 0000: 0x20 0x00 0x00 0x00000004  A = arch
//	 0001: 0x15 0x00 0x05 0xc000003e  if (A != ARCH_X86_64) goto 0007
//
// Syscall numbers are named from the table of the ABI the path has checked
// (best effort: a forward pass tracks what A holds and which arch value a
// jeq has confirmed); with a single ABI in arches, or one AUDIT_ARCH among
// them, unchecked paths use it too. Returns are named by action.
func Disassemble(insns []bpf.RawInstruction, arches ...*arch.Arch) string {
	return listing(insns, arches, nil)
}

const listingHeader = " line  CODE  JT   JF      K\n=================================\n"

func listing(insns []bpf.RawInstruction, arches []*arch.Arch, note func(int) string) string {
	var b strings.Builder
	b.Grow(len(listingHeader) + 64*len(insns))
	b.WriteString(listingHeader)
	for pc, text := range listingLines(insns, arches, note) {
		in := insns[pc]
		fmt.Fprintf(&b, " %04d: 0x%02x 0x%02x 0x%02x 0x%08x  %s\n", pc, in.Op, in.Jt, in.Jf, in.K, text)
	}
	return b.String()
}

// What A holds, as far as the listing can tell.
const (
	holdsUnknown = iota
	holdsNr
	holdsArch
	holdsWord // an argument or instruction_pointer word; off in dstate.off
)

type dstate struct {
	reached bool
	holds   uint8
	off     uint32
	arch    uint32 // arch value confirmed on every path here, 0 if none
}

func (s *dstate) merge(in dstate) {
	if !s.reached {
		*s = in
		return
	}
	if s.holds != in.holds || s.off != in.off {
		s.holds = holdsUnknown
	}
	if s.arch != in.arch {
		s.arch = 0
	}
}

// listingLines renders each instruction's text, with note(pc) after '#'.
func listingLines(insns []bpf.RawInstruction, arches []*arch.Arch, note func(int) string) []string {
	if len(arches) == 0 {
		arches = index().arches
	}
	var fallback uint32 // the arch value to assume on unchecked paths
	for _, a := range arches {
		if fallback == 0 {
			fallback = a.AuditArch
		} else if fallback != a.AuditArch {
			fallback = 0
			break
		}
	}
	st := make([]dstate, len(insns)+1)
	st[0] = dstate{reached: true}
	out := make([]string, len(insns))
	for pc, in := range insns {
		s := st[pc]
		next := s
		text := ""
		flow := func(to int, ns dstate) {
			if to >= 0 && to < len(st) {
				st[to].merge(ns)
			}
		}
		archVal := s.arch
		if archVal == 0 {
			archVal = fallback
		}
		cls := in.Op & 0x07
		switch cls {
		case 0x00, 0x01: // LD, LDX
			reg := "A"
			if cls == 0x01 {
				reg = "X"
			}
			mode := in.Op & 0xe0
			switch {
			case in.Op == 0x20: // ld [k]
				text = "A = " + fieldName(in.K, archVal, arches)
				next.holds, next.off = holdsWord, in.K
				switch in.K {
				case offNr:
					next.holds = holdsNr
				case offArch:
					next.holds = holdsArch
				}
			case mode == 0x00: // imm
				text = reg + " = " + hex(in.K)
			case mode == 0x60: // mem
				text = reg + " = mem[" + strconv.Itoa(int(in.K)) + "]"
			case mode == 0x80: // len
				text = reg + " = len"
			default:
				text = "??? (load not allowed in seccomp)"
			}
			if cls == 0x00 && in.Op != 0x20 {
				next.holds = holdsUnknown
			}
			flow(pc+1, next)
		case 0x02:
			text = "mem[" + strconv.Itoa(int(in.K)) + "] = A"
			flow(pc+1, next)
		case 0x03:
			text = "mem[" + strconv.Itoa(int(in.K)) + "] = X"
			flow(pc+1, next)
		case 0x04: // ALU
			text = aluText(in)
			next.holds = holdsUnknown
			flow(pc+1, next)
		case 0x05: // JMP
			if in.Op&0xf0 == 0x00 {
				to := pc + 1 + int(in.K)
				text = "goto " + line(to)
				flow(to, next)
				break
			}
			t, f := pc+1+int(in.Jt), pc+1+int(in.Jf)
			k := "X"
			if in.Op&0x08 == 0 {
				k = operandName(in.K, s.holds, archVal, arches)
			}
			text = jumpText(in.Op&0xf0, k, in.Jt, in.Jf, pc)
			ts, fs := next, next
			if s.holds == holdsArch && in.Op == opJeqK {
				ts.arch = in.K
			}
			flow(t, ts)
			flow(f, fs)
		case 0x06: // RET
			if in.Op&0x18 == 0x10 {
				text = "return A"
			} else {
				text = "return " + retName(in.K)
			}
		case 0x07: // MISC
			if in.Op&0xf8 == 0x80 {
				text = "A = X"
				next.holds = holdsUnknown
			} else {
				text = "X = A"
			}
			flow(pc+1, next)
		}
		if note != nil {
			if n := note(pc); n != "" {
				text += "  # " + n
			}
		}
		if !s.reached && pc > 0 {
			text += "  (unreachable)"
		}
		out[pc] = text
	}
	return out
}

func line(pc int) string { return fmt.Sprintf("%04d", pc) }

func hex(k uint32) string { return "0x" + strconv.FormatUint(uint64(k), 16) }

// jumpText renders a conditional jump as seccomp-tools does: the side that
// falls through (offset 0) is left out, the condition negated if needed.
func jumpText(op uint16, k string, jt, jf uint8, pc int) string {
	var pos, neg string
	switch op {
	case 0x10:
		pos, neg = "A == "+k, "A != "+k
	case 0x20:
		pos, neg = "A > "+k, "A <= "+k
	case 0x30:
		pos, neg = "A >= "+k, "A < "+k
	case 0x40:
		pos, neg = "A & "+k, "!(A & "+k+")"
	default:
		return "??? (jump not allowed in seccomp)"
	}
	t, f := line(pc+1+int(jt)), line(pc+1+int(jf))
	switch {
	case jt == jf:
		return "goto " + t
	case jf == 0:
		return "if (" + pos + ") goto " + t
	case jt == 0:
		return "if (" + neg + ") goto " + f
	}
	return "if (" + pos + ") goto " + t + " else goto " + f
}

var aluOps = map[uint16]string{0x00: "+=", 0x10: "-=", 0x20: "*=", 0x30: "/=", 0x40: "|=", 0x50: "&=", 0x60: "<<=", 0x70: ">>=", 0x90: "%=", 0xa0: "^="}

func aluText(in bpf.RawInstruction) string {
	op := in.Op & 0xf0
	if op == 0x80 {
		return "A = -A"
	}
	sym, ok := aluOps[op]
	if !ok {
		return "??? (alu)"
	}
	if in.Op&0x08 != 0 {
		return "A " + sym + " X"
	}
	return "A " + sym + " " + hex(in.K)
}

// fieldName names a seccomp_data offset as seccomp-tools does.
func fieldName(k, archVal uint32, arches []*arch.Arch) string {
	switch {
	case k == offNr:
		return "sys_number"
	case k == offArch:
		return "arch"
	case k == 8 || k == 12:
		if (k == 12) != bigEndian(archVal, arches) {
			return "instruction_pointer >> 32"
		}
		return "instruction_pointer"
	case k >= offArgs && k < 64 && k%4 == 0:
		i := (k - offArgs) / 8
		high := k%8 == 4
		if bigEndian(archVal, arches) {
			high = !high
		}
		s := "args[" + strconv.Itoa(int(i)) + "]"
		if high {
			s += " >> 32"
		}
		return s
	}
	return "data[" + strconv.Itoa(int(k)) + "]"
}

func bigEndian(archVal uint32, arches []*arch.Arch) bool {
	for _, a := range arches {
		if a.AuditArch == archVal {
			return a.BigEndian
		}
	}
	if archVal == 0 && len(arches) > 0 {
		be := arches[0].BigEndian
		for _, a := range arches[1:] {
			if a.BigEndian != be {
				return false
			}
		}
		return be
	}
	return false
}

// operandName renders a jump constant: a syscall name when A holds the
// number and the ABI is known, an ARCH_ name when A holds the arch.
func operandName(k uint32, holds uint8, archVal uint32, arches []*arch.Arch) string {
	switch holds {
	case holdsArch:
		if n := archName(k); n != "" {
			return n
		}
	case holdsNr:
		if k == arch.X32SyscallBit {
			return hex(k) // the x32 boundary, not x32's read
		}
		if archVal != 0 {
			if name, ok := syscallNameFor(k, archVal, arches); ok {
				return name
			}
		}
	}
	return hex(k)
}

// archName returns seccomp-tools' name of an AUDIT_ARCH value.
func archName(v uint32) string {
	for _, a := range index().arches {
		if a.AuditArch == v && a.SyscallBit == 0 {
			return "ARCH_" + strings.ToUpper(a.Name)
		}
	}
	return ""
}

func syscallNameFor(nr, archVal uint32, arches []*arch.Arch) (string, bool) {
	try := func(list []*arch.Arch) (string, bool) {
		var best *arch.Arch
		for _, a := range list {
			if a.AuditArch != archVal {
				continue
			}
			if a.SyscallBit != 0 && nr&a.SyscallBit == 0 {
				continue
			}
			if best == nil || a.SyscallBit != 0 {
				best = a
			}
		}
		if best == nil {
			return "", false
		}
		return best.SyscallName(nr)
	}
	if n, ok := try(arches); ok {
		return n, true
	}
	return try(index().arches)
}

// retName spells a return value as an action, or in hex if the kernel
// knows no such action (it would run it as KILL_PROCESS).
func retName(k uint32) string {
	a, ok := ActionFromRet(k)
	if !ok {
		return hex(k) + " (unknown action: KILL_PROCESS)"
	}
	s := a.String()
	if !a.Kind.HasData() && k&RetData != 0 {
		s += " (data " + hex(k&RetData) + ")"
	}
	return s
}
