package vm

import (
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/seccompile/seccompile/internal/kernelprobe"
	"golang.org/x/net/bpf"
)

func rets(n int) []bpf.RawInstruction {
	p := make([]bpf.RawInstruction, n)
	for i := range p {
		p[i] = ret(retAllow)
	}
	return p
}

// verifyCase is a program and the verdict of the kernel's checks. Rule 0
// means accepted. The verdicts come from reading bpf_check_classic,
// check_load_and_stores and seccomp_check_filter; TestVerifyKernel checks
// every one of them against the running kernel.
type verifyCase struct {
	name  string
	prog  []bpf.RawInstruction
	rule  Rule
	index int
}

var verifyCases = []verifyCase{
	// Length (seccomp_prepare_filter, bpf_check_basics_ok).
	{"empty", nil, RuleLength, -1},
	{"4096 ok", rets(4096), 0, 0},
	{"4097", rets(4097), RuleLength, -1},

	// chk_code_allowed: exact 16-bit codes.
	{"ldx [k] is internal", prog(I(opLdxAbsW, 0, 0, 0), ret(0)), RuleOpcode, 0},
	{"misc with stray bit", prog(ld(0), I(clsMISC|0x40, 0, 0, 0), ret(0)), RuleOpcode, 1},
	{"ret x", prog(I(clsRET|0x08, 0, 0, 0)), RuleOpcode, 0},
	{"ret with a high bit", prog(I(0x0106, 0, 0, 0)), RuleOpcode, 0},
	{"all ones", prog(ldi(0), I(0xffff, 0, 0, 0), ret(0)), RuleOpcode, 1},
	{"jmp class op 0x50", prog(I(clsJMP|0x50, 0, 0, 0), ret(0)), RuleOpcode, 0},
	{"alu op 0xb0", prog(I(clsALU|0xb0, 0, 0, 1), ret(0)), RuleOpcode, 0},
	{"neg with x bit", prog(I(opNeg|srcX, 0, 0, 0), ret(0)), RuleOpcode, 0},
	{"ld imm with size H", prog(I(clsLD|szH|mdIMM, 0, 0, 0), ret(0)), RuleOpcode, 0},
	{"st with mode bits", prog(I(clsST|mdMEM, 0, 0, 0), ret(0)), RuleOpcode, 0},

	// Operand rules.
	{"div #0", prog(ldi(1), aluk(aluDIV, 0), ret(0)), RuleDivZero, 1},
	{"mod #0 before the seccomp whitelist", prog(aluk(aluMOD, 0), ret(0)), RuleDivZero, 0},
	{"div #1 ok", prog(aluk(aluDIV, 1), ret(0)), 0, 0},
	{"div x ok at load time", prog(alux(aluDIV), ret(0)), 0, 0},
	{"lsh #31 ok", prog(aluk(aluLSH, 31), ret(0)), 0, 0},
	{"lsh #32", prog(aluk(aluLSH, 32), ret(0)), RuleShift, 0},
	{"rsh #0xffffffff", prog(aluk(aluRSH, 0xffffffff), ret(0)), RuleShift, 0},
	{"lsh x unchecked", prog(ldxi(99), alux(aluLSH), ret(0)), 0, 0},
	{"ld M[16]", prog(st(0), ldm(16), ret(0)), RuleMemIndex, 1},
	{"ldx M[16]", prog(ldxm(16), ret(0)), RuleMemIndex, 0},
	{"st M[16]", prog(st(16), ret(0)), RuleMemIndex, 0},
	{"stx M[0xffffffff]", prog(stx(0xffffffff), ret(0)), RuleMemIndex, 0},
	{"st M[15] ok", prog(st(15), ret(0)), 0, 0},

	// Jumps.
	{"ja to last ok", prog(ja(1), ret(1), ret(0)), 0, 0},
	{"ja past end", prog(ja(2), ret(1), ret(0)), RuleJump, 0},
	{"ja backwards", prog(ret(0), ja(0xffffffff), ret(0)), RuleJump, 1},
	{"ja to itself +0 ok", prog(ja(0), ret(0)), 0, 0},
	{"jeq jt past end", prog(ld(0), jk(jmpJEQ, 0, 2, 0), ret(1), ret(0)), RuleJump, 1},
	{"jeq jf past end", prog(ld(0), jk(jmpJEQ, 0, 0, 2), ret(1), ret(0)), RuleJump, 1},
	{"jset x jt 255", prog(jx(jmpJSET, 255, 0), ret(0)), RuleJump, 0},
	{"jgt targets at last ok", prog(ld(0), jk(jmpJGT, 5, 1, 1), ret(1), ret(0)), 0, 0},
	{"jump from the last insn", prog(ret(0), jk(jmpJEQ, 0, 0, 0)), RuleJump, 1},

	// Ancillary loads: known ones pass bpf_check_classic and fail in
	// seccomp_check_filter, unknown ones fail in bpf_check_classic.
	{"ld unknown ancillary", prog(ld(skfAdOff+64), ret(0)), RuleAncillary, 0},
	{"ldb unknown ancillary", prog(I(opLdAbsB, 0, 0, skfAdOff+1), ret(0)), RuleAncillary, 0},
	{"ld known ancillary", prog(ld(skfAdOff+4), ret(0)), RuleDataOffset, 0},
	{"ldh known ancillary", prog(I(opLdAbsH, 0, 0, skfAdOff+60), ret(0)), RuleNotSeccomp, 0},

	// The last instruction.
	{"last is ld", prog(ld(0)), RuleLastNotRet, 0},
	{"last is ja", prog(ret(0), ja(0)), RuleJump, 1},
	{"last is tax", prog(ret(0), I(opTax, 0, 0, 0)), RuleLastNotRet, 1},
	{"ret a ok", prog(reta()), 0, 0},

	// check_load_and_stores.
	{"ld M[0] unset", prog(ldm(0), ret(0)), RuleScratch, 0},
	{"ldx M[3] unset", prog(st(2), ldxm(3), ret(0)), RuleScratch, 1},
	{"store then load", prog(ldi(5), st(3), ldm(3), reta()), 0, 0},
	{"store on one path", prog(ld(0), jk(jmpJEQ, 1, 0, 1), st(0), ldm(0), reta()), RuleScratch, 3},
	{"store on both paths", prog(ld(0), jk(jmpJEQ, 1, 0, 2), st(0), ja(1), st(0), ldm(0), reta()), 0, 0},
	// The quirk: pc 4 is reached only through pc 2, but the state after
	// the ret at pc 3 falls into pc 4.
	{"quirk: ret falls through", prog(jk(jmpJEQ, 0, 2, 0), st(0), ja(1), ret(0), ldm(0), ret(0)), RuleScratch, 4},
	{"unreachable load after ret", prog(ret(0), ldm(0), reta()), RuleScratch, 1},
	{"dead load after ret, store before", prog(st(0), ret(0), ldm(0), reta()), 0, 0},
	{"dead load after ja", prog(ja(1), ldm(0), reta()), 0, 0},
	{"load at a join with an unset edge", prog(ld(0), jk(jmpJEQ, 0, 1, 1), ret(0), ldm(5), reta()), RuleScratch, 3},
	{"store survives ja", prog(st(0), ja(0), ldm(0), reta()), 0, 0},
	{"stx marks too", prog(stx(7), ldxm(7), reta()), 0, 0},

	// seccomp_check_filter's whitelist.
	{"mod x", prog(alux(aluMOD), ret(0)), RuleNotSeccomp, 0},
	{"mod #3", prog(aluk(aluMOD, 3), ret(0)), RuleNotSeccomp, 0},
	{"ldh [0]", prog(I(opLdAbsH, 0, 0, 0), ret(0)), RuleNotSeccomp, 0},
	{"ldb [0]", prog(I(opLdAbsB, 0, 0, 0), ret(0)), RuleNotSeccomp, 0},
	{"ld [x+0]", prog(I(opLdIndW, 0, 0, 0), ret(0)), RuleNotSeccomp, 0},
	{"ldh [x+0]", prog(I(opLdIndH, 0, 0, 0), ret(0)), RuleNotSeccomp, 0},
	{"ldb [x+0]", prog(I(opLdIndB, 0, 0, 0), ret(0)), RuleNotSeccomp, 0},
	{"ldx msh", prog(I(opLdxMsh, 0, 0, 0), ret(0)), RuleNotSeccomp, 0},
	{"ld [2]", prog(ld(2), ret(0)), RuleDataOffset, 0},
	{"ld [64]", prog(ld(0), ld(64), ret(0)), RuleDataOffset, 1},
	{"ld [60] ok", prog(ld(60), ret(0)), 0, 0},
	{"ld len ok", prog(I(opLdLen, 0, 0, 0), reta()), 0, 0},
	{"ldx len ok", prog(I(opLdxLen, 0, 0, 0), I(opTxa, 0, 0, 0), reta()), 0, 0},

	// What is not checked.
	{"dead code after ret", prog(ret(0), aluk(aluADD, 1), ret(0)), 0, 0},
	{"ret with jt and jf", prog(I(opRetK, 5, 7, 0)), 0, 0},
	{"ld imm with jt", prog(I(opLdImm, 9, 0, 1), ret(0)), 0, 0},
	{"any ret value", prog(ret(0x12345678)), 0, 0},

	// Order: the first pass stops at the first bad instruction; the
	// last-is-ret check comes after it, the scratch pass after that, and
	// the seccomp whitelist last.
	{"order: first bad pc", prog(aluk(aluDIV, 0), I(0xffff, 0, 0, 0), ret(0)), RuleDivZero, 0},
	{"order: opcode before last-ret", prog(I(0x21, 0, 0, 0), ld(0)), RuleOpcode, 0},
	{"order: last-ret before scratch", prog(ldm(0), ld(0)), RuleLastNotRet, 1},
	{"order: scratch before whitelist", prog(I(opLdAbsH, 0, 0, 0), ldm(1), ret(0)), RuleScratch, 1},
	{"order: jump before data offset", prog(ld(3), ja(9), ret(0)), RuleJump, 1},
}

func TestVerify(t *testing.T) {
	for _, tc := range verifyCases {
		t.Run(tc.name, func(t *testing.T) {
			err := Verify(tc.prog)
			if tc.rule == 0 {
				if err != nil {
					t.Fatalf("Verify = %v, want accepted\n%s", err, listing(tc.prog))
				}
				return
			}
			var ve *VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("Verify = %v, want a *VerifyError for rule %v\n%s", err, tc.rule, listing(tc.prog))
			}
			if ve.Rule != tc.rule || ve.Index != tc.index {
				t.Fatalf("Verify = %v (rule %v at %d), want rule %v at %d\n%s", err, ve.Rule, ve.Index, tc.rule, tc.index, listing(tc.prog))
			}
			if !errors.Is(err, ruleSentinels[tc.rule]) || !errors.Is(err, ErrInvalid) {
				t.Errorf("errors.Is(%v, sentinel of %v / ErrInvalid) is false", err, tc.rule)
			}
			for r, sentinel := range ruleSentinels {
				if sentinel != nil && Rule(r) != tc.rule && errors.Is(err, sentinel) {
					t.Errorf("error %v also matches the sentinel of %v", err, Rule(r))
				}
			}
			msg := err.Error()
			if tc.index >= 0 {
				prefix := "instruction " + strconv.Itoa(tc.index) + " (" + insnString(tc.prog[tc.index]) + "): "
				if !strings.HasPrefix(msg, prefix) {
					t.Errorf("message %q does not start with %q", msg, prefix)
				}
			} else if !strings.Contains(msg, strconv.Itoa(len(tc.prog))) {
				t.Errorf("length message %q does not give the length", msg)
			}
		})
	}
}

func TestVerifyMessage(t *testing.T) {
	err := Verify(prog(ld(0), ld(0), ld(0), ld(0), ld(0), ld(0), ld(0), ld(66), ret(0)))
	want := "instruction 7 (ld [66]): seccomp_data offset 66 is not 4-aligned and < 64"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// TestVerifyKernel checks every verdict of the table against the kernel.
func TestVerifyKernel(t *testing.T) {
	p := prober(t)
	var jobs []kernelprobe.Job
	for _, tc := range verifyCases {
		jobs = append(jobs, kernelprobe.Job{Filters: [][]bpf.RawInstruction{tc.prog}})
	}
	res, err := p.Run(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range verifyCases {
		got := res[i].Install[0]
		switch {
		case tc.rule == 0 && got != nil:
			t.Errorf("%s: kernel refused (%v) what the table accepts\n%s", tc.name, got, listing(tc.prog))
		case tc.rule != 0 && got != syscall.EINVAL:
			t.Errorf("%s: kernel said %v, the table says EINVAL (%v)\n%s", tc.name, got, tc.rule, listing(tc.prog))
		}
	}
}

func TestRuleString(t *testing.T) {
	seen := map[string]bool{}
	for r := RuleLength; r <= RuleDataOffset; r++ {
		s := r.String()
		if s == "" || strings.HasPrefix(s, "Rule(") || seen[s] {
			t.Errorf("Rule %d has name %q", r, s)
		}
		seen[s] = true
		if ruleSentinels[r] == nil {
			t.Errorf("Rule %v has no sentinel", r)
		}
	}
	if got := Rule(99).String(); got != "Rule(99)" {
		t.Errorf("Rule(99).String() = %q", got)
	}
}
