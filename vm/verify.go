package vm

import (
	"errors"
	"fmt"

	"golang.org/x/net/bpf"
)

// Rule names the load-time check a program failed. Every rule makes
// seccomp(SECCOMP_SET_MODE_FILTER) fail with EINVAL; the rule only says why.
type Rule uint8

// The rules, in the order the kernel applies them: the length checks of
// seccomp_prepare_filter and bpf_check_basics_ok; then bpf_check_classic
// (net/core/filter.c), which checks each instruction in turn for an allowed
// code and its operand rules, then that the last instruction returns, then
// check_load_and_stores; then seccomp_check_filter (kernel/seccomp.c), the
// seccomp whitelist.
const (
	RuleLength     Rule = iota + 1 // 1 <= len <= 4096
	RuleOpcode                     // code not in chk_code_allowed (exact 16-bit match)
	RuleDivZero                    // div #0 or mod #0
	RuleShift                      // lsh/rsh #k with k >= 32
	RuleMemIndex                   // M[k] with k >= 16 in ld/ldx M[], st, stx
	RuleJump                       // jump target past the last instruction
	RuleAncillary                  // ld [k] with k >= SKF_AD_OFF that is not a known extension
	RuleLastNotRet                 // last instruction is not ret #k or ret a
	RuleScratch                    // M[k] read where check_load_and_stores does not see a store
	RuleNotSeccomp                 // classic BPF the seccomp whitelist rejects (mod, ldh/ldb, ind, msh)
	RuleDataOffset                 // ld [k] with k not 4-aligned or k >= 64
)

var ruleNames = [...]string{
	RuleLength:     "length",
	RuleOpcode:     "opcode",
	RuleDivZero:    "division by zero",
	RuleShift:      "shift too large",
	RuleMemIndex:   "scratch index",
	RuleJump:       "jump out of range",
	RuleAncillary:  "unknown ancillary load",
	RuleLastNotRet: "last instruction not ret",
	RuleScratch:    "uninitialised scratch read",
	RuleNotSeccomp: "not allowed in seccomp",
	RuleDataOffset: "seccomp_data offset",
}

// String returns a short name of the rule.
func (r Rule) String() string {
	if int(r) < len(ruleNames) && ruleNames[r] != "" {
		return ruleNames[r]
	}
	return fmt.Sprintf("Rule(%d)", uint8(r))
}

// Sentinel errors, one per rule: errors.Is(err, ErrScratch) is true for a
// *VerifyError whose Rule is RuleScratch, and so on. Every one of them also
// matches ErrInvalid.
var (
	ErrInvalid          = errors.New("seccomp filter rejected by the kernel's checks (EINVAL)")
	ErrLength     error = &ruleError{RuleLength}
	ErrOpcode     error = &ruleError{RuleOpcode}
	ErrDivZero    error = &ruleError{RuleDivZero}
	ErrShift      error = &ruleError{RuleShift}
	ErrMemIndex   error = &ruleError{RuleMemIndex}
	ErrJump       error = &ruleError{RuleJump}
	ErrAncillary  error = &ruleError{RuleAncillary}
	ErrLastNotRet error = &ruleError{RuleLastNotRet}
	ErrScratch    error = &ruleError{RuleScratch}
	ErrNotSeccomp error = &ruleError{RuleNotSeccomp}
	ErrDataOffset error = &ruleError{RuleDataOffset}
)

var ruleSentinels = [...]error{
	RuleLength: ErrLength, RuleOpcode: ErrOpcode, RuleDivZero: ErrDivZero,
	RuleShift: ErrShift, RuleMemIndex: ErrMemIndex, RuleJump: ErrJump,
	RuleAncillary: ErrAncillary, RuleLastNotRet: ErrLastNotRet, RuleScratch: ErrScratch,
	RuleNotSeccomp: ErrNotSeccomp, RuleDataOffset: ErrDataOffset,
}

type ruleError struct{ rule Rule }

func (e *ruleError) Error() string { return "seccomp filter: " + e.rule.String() }

// Is makes every rule sentinel match ErrInvalid.
func (e *ruleError) Is(target error) bool { return target == ErrInvalid }

// VerifyError says why the kernel would refuse a program: which rule, at
// which instruction. Index is -1 for rules about the whole program (length).
type VerifyError struct {
	Index int    // instruction index, or -1
	Op    uint16 // the instruction's code (0 when Index is -1)
	Insn  string // the instruction in bpf_asm syntax ("" when Index is -1)
	Rule  Rule
	Msg   string
}

// Error formats the error as "instruction 7 (ld [66]): <why>".
func (e *VerifyError) Error() string {
	if e.Index < 0 {
		return "seccomp filter: " + e.Msg
	}
	return fmt.Sprintf("instruction %d (%s): %s", e.Index, e.Insn, e.Msg)
}

// Unwrap returns the sentinel of e.Rule (ErrScratch, ErrJump, ...).
func (e *VerifyError) Unwrap() error {
	if int(e.Rule) < len(ruleSentinels) && ruleSentinels[e.Rule] != nil {
		return ruleSentinels[e.Rule]
	}
	return ErrInvalid
}

func reject(prog []bpf.RawInstruction, pc int, r Rule, format string, args ...any) *VerifyError {
	return &VerifyError{Index: pc, Op: prog[pc].Op, Insn: insnString(prog[pc]), Rule: r, Msg: fmt.Sprintf(format, args...)}
}

// classicAllowed mirrors chk_code_allowed in net/core/filter.c: the table is
// indexed by the whole 16-bit code, so a code with any stray bit is refused.
var classicAllowed = func() (t [0x100]bool) {
	for _, op := range []uint16{
		clsALU | aluADD | srcK, clsALU | aluADD | srcX,
		clsALU | aluSUB | srcK, clsALU | aluSUB | srcX,
		clsALU | aluMUL | srcK, clsALU | aluMUL | srcX,
		clsALU | aluDIV | srcK, clsALU | aluDIV | srcX,
		clsALU | aluMOD | srcK, clsALU | aluMOD | srcX,
		clsALU | aluAND | srcK, clsALU | aluAND | srcX,
		clsALU | aluOR | srcK, clsALU | aluOR | srcX,
		clsALU | aluXOR | srcK, clsALU | aluXOR | srcX,
		clsALU | aluLSH | srcK, clsALU | aluLSH | srcX,
		clsALU | aluRSH | srcK, clsALU | aluRSH | srcX,
		opNeg,
		opLdAbsW, opLdAbsH, opLdAbsB, opLdLen,
		opLdIndW, opLdIndH, opLdIndB,
		opLdImm, opLdMem,
		opLdxLen, opLdxMsh, opLdxImm, opLdxMem,
		opSt, opStx,
		opTax, opTxa,
		opRetK, opRetA,
		opJa,
		clsJMP | jmpJEQ | srcK, clsJMP | jmpJEQ | srcX,
		clsJMP | jmpJGE | srcK, clsJMP | jmpJGE | srcX,
		clsJMP | jmpJGT | srcK, clsJMP | jmpJGT | srcX,
		clsJMP | jmpJSET | srcK, clsJMP | jmpJSET | srcX,
	} {
		t[op] = true
	}
	return t
}()

// seccompAllowed is the explicit list in seccomp_check_filter's switch, less
// the three codes it rewrites (ld [k], ld len, ldx len), which it handles
// first.
var seccompAllowed = func() (t [0x100]bool) {
	for _, op := range []uint16{
		opRetK, opRetA,
		clsALU | aluADD | srcK, clsALU | aluADD | srcX,
		clsALU | aluSUB | srcK, clsALU | aluSUB | srcX,
		clsALU | aluMUL | srcK, clsALU | aluMUL | srcX,
		clsALU | aluDIV | srcK, clsALU | aluDIV | srcX,
		clsALU | aluAND | srcK, clsALU | aluAND | srcX,
		clsALU | aluOR | srcK, clsALU | aluOR | srcX,
		clsALU | aluXOR | srcK, clsALU | aluXOR | srcX,
		clsALU | aluLSH | srcK, clsALU | aluLSH | srcX,
		clsALU | aluRSH | srcK, clsALU | aluRSH | srcX,
		opNeg,
		opLdImm, opLdxImm, opTax, opTxa,
		opLdMem, opLdxMem, opSt, opStx,
		opJa,
		clsJMP | jmpJEQ | srcK, clsJMP | jmpJEQ | srcX,
		clsJMP | jmpJGE | srcK, clsJMP | jmpJGE | srcX,
		clsJMP | jmpJGT | srcK, clsJMP | jmpJGT | srcX,
		clsJMP | jmpJSET | srcK, clsJMP | jmpJSET | srcX,
	} {
		t[op] = true
	}
	return t
}()

// knownAncillary mirrors bpf_anc_helper: the SKF_AD_* offsets it knows.
// bpf_check_classic lets these through; seccomp_check_filter then refuses
// them because k >= 64, so they only change which rule is reported.
func knownAncillary(k uint32) bool {
	// SKF_AD_PROTOCOL (0) ... SKF_AD_VLAN_TPID (60), every fourth value.
	return k >= skfAdOff && k-skfAdOff <= 60 && k&3 == 0
}

// Verify reports whether seccomp(SECCOMP_SET_MODE_FILTER) would accept prog:
// nil if the kernel's load-time checks pass, else a *VerifyError naming the
// first rule the kernel trips over, in the kernel's own order. It does not
// check the per-thread budget of stacked filters (see ConvertedLen).
func Verify(prog []bpf.RawInstruction) error {
	n := len(prog)
	if n == 0 || n > MaxInsns {
		return &VerifyError{Index: -1, Rule: RuleLength,
			Msg: fmt.Sprintf("program has %d instructions; the kernel takes 1 to %d", n, MaxInsns)}
	}
	if e := checkClassic(prog); e != nil {
		return e
	}
	if e := checkSeccomp(prog); e != nil {
		return e
	}
	return nil
}

// checkClassic is bpf_check_classic.
func checkClassic(prog []bpf.RawInstruction) *VerifyError {
	n := len(prog)
	for pc, ins := range prog {
		if ins.Op >= 0x100 || !classicAllowed[ins.Op] {
			return reject(prog, pc, RuleOpcode, "code %#04x is not a classic BPF instruction", ins.Op)
		}
		switch ins.Op {
		case clsALU | aluDIV | srcK, clsALU | aluMOD | srcK:
			if ins.K == 0 {
				return reject(prog, pc, RuleDivZero, "division by constant zero")
			}
		case clsALU | aluLSH | srcK, clsALU | aluRSH | srcK:
			if ins.K >= 32 {
				return reject(prog, pc, RuleShift, "shift by %d; constant shifts must be below 32", ins.K)
			}
		case opLdMem, opLdxMem, opSt, opStx:
			if ins.K >= MemWords {
				return reject(prog, pc, RuleMemIndex, "scratch index %d is not in M[0..15]", ins.K)
			}
		case opJa:
			// k is unsigned, so there are no backward jumps.
			if ins.K >= uint32(n-pc-1) {
				return reject(prog, pc, RuleJump, "jump target %d is past the last instruction %d",
					uint64(pc)+1+uint64(ins.K), n-1)
			}
		case clsJMP | jmpJEQ | srcK, clsJMP | jmpJEQ | srcX,
			clsJMP | jmpJGE | srcK, clsJMP | jmpJGE | srcX,
			clsJMP | jmpJGT | srcK, clsJMP | jmpJGT | srcX,
			clsJMP | jmpJSET | srcK, clsJMP | jmpJSET | srcX:
			if pc+int(ins.Jt)+1 >= n || pc+int(ins.Jf)+1 >= n {
				return reject(prog, pc, RuleJump, "jump targets %d/%d: both must be at most the last instruction %d",
					pc+int(ins.Jt)+1, pc+int(ins.Jf)+1, n-1)
			}
		case opLdAbsW, opLdAbsH, opLdAbsB:
			if ins.K >= skfAdOff && !knownAncillary(ins.K) {
				return reject(prog, pc, RuleAncillary, "offset %#x is an unknown socket-filter extension", ins.K)
			}
		}
	}
	if last := prog[n-1].Op; last != opRetK && last != opRetA {
		return reject(prog, n-1, RuleLastNotRet, "the last instruction must be ret #k or ret a")
	}
	return checkLoadAndStores(prog)
}

// checkLoadAndStores is the kernel's check_load_and_stores, copied literally.
// It is one linear pass, not a data-flow analysis: the state after a ret (or
// any other instruction that does not jump) flows into the next instruction
// even when nothing can reach it that way, so the kernel rejects some
// programs that could never read an unset cell. Copying the quirk is the
// point: a better analysis would accept programs the kernel refuses.
func checkLoadAndStores(prog []bpf.RawInstruction) *VerifyError {
	masks := make([]uint16, len(prog))
	for i := range masks {
		masks[i] = 0xffff
	}
	var memvalid uint16
	for pc, ins := range prog {
		memvalid &= masks[pc]
		switch ins.Op {
		case opSt, opStx:
			memvalid |= 1 << ins.K
		case opLdMem, opLdxMem:
			if memvalid&(1<<ins.K) == 0 {
				return reject(prog, pc, RuleScratch,
					"M[%d] is read but not stored on every path here (the kernel's single-pass check_load_and_stores)", ins.K)
			}
		case opJa:
			masks[pc+1+int(ins.K)] &= memvalid
			memvalid = 0xffff
		case clsJMP | jmpJEQ | srcK, clsJMP | jmpJEQ | srcX,
			clsJMP | jmpJGE | srcK, clsJMP | jmpJGE | srcX,
			clsJMP | jmpJGT | srcK, clsJMP | jmpJGT | srcX,
			clsJMP | jmpJSET | srcK, clsJMP | jmpJSET | srcX:
			masks[pc+1+int(ins.Jt)] &= memvalid
			masks[pc+1+int(ins.Jf)] &= memvalid
			memvalid = 0xffff
		}
	}
	return nil
}

// checkSeccomp is seccomp_check_filter without its rewrites (Load does
// those when it decodes).
func checkSeccomp(prog []bpf.RawInstruction) *VerifyError {
	for pc, ins := range prog {
		switch ins.Op {
		case opLdAbsW:
			if ins.K >= SizeofData || ins.K&3 != 0 {
				return reject(prog, pc, RuleDataOffset, "seccomp_data offset %d is not 4-aligned and < %d", ins.K, SizeofData)
			}
		case opLdLen, opLdxLen:
		default:
			if ins.Op >= 0x100 || !seccompAllowed[ins.Op] {
				return reject(prog, pc, RuleNotSeccomp, "%s is classic BPF but not allowed in a seccomp filter", insnString(ins))
			}
		}
	}
	return nil
}
