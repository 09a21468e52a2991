package vm

import (
	"testing"

	"golang.org/x/net/bpf"
)

// benchProg's path for nr 1000 on x86_64 is 16 instructions: the arch check,
// the x32 guard, eleven compares that miss, the default return.
func benchProg(tb testing.TB) (*Prog, Data) {
	p := prog(ld(4), jk(jmpJEQ, archX86_64, 1, 0), ret(retKillProcess), ld(0), jk(jmpJGE, 0x40000000, 0, 1), ret(retKillProcess))
	for nr := range uint32(11) {
		p = append(p, jk(jmpJEQ, nr, 0, 1), ret(retErrno|nr))
	}
	p = append(p, ret(retAllow))
	prog, err := Load(p)
	if err != nil {
		tb.Fatal(err)
	}
	d := Data{Nr: 1000, Arch: archX86_64}
	if got, tr := prog.Trace(d); got != retAllow || tr.Executed != 16 {
		tb.Fatalf("path: %#x after %d instructions", got, tr.Executed)
	}
	return prog, d
}

func BenchmarkProgRun16(b *testing.B) {
	p, d := benchProg(b)
	b.ReportAllocs()
	cpuPerOp(b, func() { p.Run(d) })
}

// mixedProg's path for nr 39, args[0] = 5 on x86_64 is 16 instructions of
// many kinds: range compares, jset, argument loads, ALU, scratch, ret a.
func mixedProg(tb testing.TB) (*Prog, Data) {
	prog, err := Load(prog(
		ld(4), jk(jmpJEQ, archX86_64, 1, 0), ret(retKillProcess), // 0-2
		ld(0), jk(jmpJGT, 200, 1, 0), jk(jmpJGE, 30, 0, 10), jk(jmpJSET, 0x40000000, 9, 0), // 3-6
		ld(16), aluk(aluAND, 0xff), jk(jmpJEQ, 5, 0, 6), // 7-9
		ld(20), jk(jmpJEQ, 0, 0, 4), // 10-11
		st(0), ldxm(0), I(opTxa, 0, 0, 0), aluk(aluOR, retErrno), reta(), // 12-16
	))
	if err != nil {
		tb.Fatal(err)
	}
	d := Data{Nr: 39, Arch: archX86_64, Args: [6]uint64{5}}
	if got, tr := prog.Trace(d); got != retErrno || tr.Executed != 16 {
		tb.Fatalf("path: %#x after %d instructions", got, tr.Executed)
	}
	return prog, d
}

func BenchmarkProgRun16Mixed(b *testing.B) {
	p, d := mixedProg(b)
	b.ReportAllocs()
	cpuPerOp(b, func() { p.Run(d) })
}

func BenchmarkProgTrace16(b *testing.B) {
	p, d := benchProg(b)
	b.ReportAllocs()
	for b.Loop() {
		p.Trace(d)
	}
}

func BenchmarkVerify4096(b *testing.B) {
	p := make([]bpf.RawInstruction, 0, MaxInsns)
	for len(p) < MaxInsns-2 {
		p = append(p, ld(0), st(uint32(len(p)%16)), jk(jmpJEQ, uint32(len(p)), 0, 0), ldm(uint32(len(p)%16)))
	}
	p = append(p[:MaxInsns-1], ret(retAllow))
	if err := Verify(p); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Verify(p)
	}
}

func BenchmarkConstAllow(b *testing.B) {
	p, _ := benchProg(b)
	cpuPerOp(b, func() { p.ConstAllow(1000, archX86_64) })
}
