package vm

import (
	"math/rand/v2"
	"testing"

	"golang.org/x/net/bpf"
)

func TestConstAllow(t *testing.T) {
	allowlist := prog(
		ld(4), jk(jmpJEQ, archX86_64, 1, 0), ret(retKillProcess), // 0-2
		ld(0), jk(jmpJEQ, 110, 0, 1), ret(retErrno|1), // 3-5
		jk(jmpJEQ, 2, 0, 4), ld(24), jk(jmpJEQ, 0, 0, 1), ret(retAllow), ret(retErrno|13), // 6-10: open(2) looks at args[1]
		ret(retAllow), // 11
	)
	tests := []struct {
		name     string
		prog     []bpf.RawInstruction
		nr, arch uint32
		want     bool
	}{
		{"allowed nr", allowlist, 39, archX86_64, true},
		{"denied nr", allowlist, 110, archX86_64, false},
		{"nr that loads an argument", allowlist, 2, archX86_64, false},
		{"other arch killed", allowlist, 39, archI386, false},
		{"ALLOW with data is not cached", prog(ret(retAllow | 1)), 39, archX86_64, false},
		{"ret ALLOW", prog(ret(retAllow)), 39, archX86_64, true},
		{"LOG is not ALLOW", prog(ret(retLog)), 39, archX86_64, false},
		{"and #k is followed", prog(ld(0), aluk(aluAND, 0xff), jk(jmpJEQ, 39, 0, 1), ret(retAllow), ret(retErrno)), 0x127, archX86_64, true},
		{"and #k miss", prog(ld(0), aluk(aluAND, 0xff), jk(jmpJEQ, 39, 0, 1), ret(retAllow), ret(retErrno)), 40, archX86_64, false},
		{"jset #k", prog(ld(0), jk(jmpJSET, 0x40000000, 1, 0), ret(retAllow), ret(retKillProcess)), 39, archX86_64, true},
		{"jset #k x32", prog(ld(0), jk(jmpJSET, 0x40000000, 1, 0), ret(retAllow), ret(retKillProcess)), 0x40000027, archX86_64, false},
		{"jgt #k", prog(ld(0), jk(jmpJGT, 100, 0, 1), ret(retKillProcess), ret(retAllow)), 39, archX86_64, true},
		{"jge #k at the bound", prog(ld(0), jk(jmpJGE, 39, 0, 1), ret(retKillProcess), ret(retAllow)), 39, archX86_64, false},
		{"ja", prog(ja(1), ret(retKillProcess), ret(retAllow)), 39, archX86_64, true},
		// The emulation gives up on everything else, even when the run
		// would allow.
		{"ld #k", prog(ldi(0), ret(retAllow)), 39, archX86_64, false},
		{"ldx #k and jeq x", prog(ld(0), ldxi(39), jx(jmpJEQ, 0, 0), ret(retAllow)), 39, archX86_64, false},
		{"ret a", prog(ldi(retAllow), reta()), 39, archX86_64, false},
		{"ip load", prog(ld(8), ret(retAllow)), 39, archX86_64, false},
		{"other alu", prog(ld(0), aluk(aluOR, 0), ret(retAllow)), 39, archX86_64, false},
		{"scratch", prog(st(0), ret(retAllow)), 39, archX86_64, false},
		{"ld len", prog(I(opLdLen, 0, 0, 0), ret(retAllow)), 39, archX86_64, false},
		// seccomp_uprobe_exception, ahead of the program.
		{"uprobe", prog(ret(retErrno | 1)), 336, archX86_64, true},
		{"uretprobe", prog(ret(retKillProcess)), 335, archX86_64, true},
		{"uprobe nr on i386", prog(ret(retErrno | 1)), 336, archI386, false},
		{"uprobe nr with the x32 bit", prog(ret(retErrno | 1)), 336 | 0x40000000, archX86_64, false},
		{"uprobe nr on arm64", prog(ret(retErrno | 1)), 336, archARM64, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(tc.prog)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.ConstAllow(tc.nr, tc.arch); got != tc.want {
				t.Errorf("ConstAllow(%#x, %#x) = %v, want %v\n%s", tc.nr, tc.arch, got, tc.want, listing(tc.prog))
			}
			exception := UprobeException(tc.nr, tc.arch)
			if got := p.ConstAllowByProgram(tc.nr, tc.arch); got != (tc.want && !exception) {
				t.Errorf("ConstAllowByProgram(%#x, %#x) = %v", tc.nr, tc.arch, got)
			}
		})
	}
}

// TestConstAllowImpliesAllow checks the cache's soundness on random
// programs: whatever the emulation calls const-allowed, Run allows for any
// arguments and instruction pointer.
func TestConstAllowImpliesAllow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	g := newGen(r)
	cached := 0
	for range 20000 {
		p, err := Load(g.program())
		if err != nil {
			continue
		}
		d := g.data()
		if !p.ConstAllowByProgram(d.Nr, d.Arch) {
			continue
		}
		cached++
		for range 8 {
			e := randomData(r)
			e.Nr, e.Arch = d.Nr, d.Arch
			if got := p.Run(e); got != retAllow {
				t.Fatalf("ConstAllowByProgram(%#x, %#x) but Run(%+v) = %#x\n%s", d.Nr, d.Arch, e, got, p)
			}
		}
	}
	if cached < 100 {
		t.Errorf("only %d cached cases: the generator no longer exercises the emulation", cached)
	}
}
