package vm

import (
	"testing"

	"golang.org/x/net/bpf"
)

func TestStack(t *testing.T) {
	tests := []struct {
		name    string
		results []uint32 // newest first
		want    uint32
	}{
		{"no filter allows", nil, retAllow},
		{"tie: the newest wins with its data", []uint32{retErrno | 1, retErrno | 2}, retErrno | 1},
		{"TRAP beats ERRNO", []uint32{retErrno | 1, retTrap | 2}, retTrap | 2},
		{"ERRNO beats USER_NOTIF", []uint32{retUserNotif, retErrno | 3}, retErrno | 3},
		{"USER_NOTIF beats TRACE", []uint32{retTrace | 1, retUserNotif}, retUserNotif},
		{"TRACE beats LOG", []uint32{retLog, retTrace | 4}, retTrace | 4},
		{"LOG beats ALLOW", []uint32{retAllow, retLog}, retLog},
		{"KILL_PROCESS beats everything", []uint32{retKillThread, retKillProcess | 9, retTrap}, retKillProcess | 9},
		{"KILL_THREAD beats TRAP", []uint32{retTrap, retKillThread | 1}, retKillThread | 1},
		{"unknown 0x7ffe0000 loses to LOG", []uint32{0x7ffe0000, retLog}, retLog},
		{"unknown 0x7ffe0000 beats ALLOW", []uint32{retAllow, 0x7ffe0000}, 0x7ffe0000},
		{"unknown 0x00010000 beats TRAP", []uint32{retTrap, 0x00010000}, 0x00010000},
		{"ALLOW data is dropped", []uint32{retAllow | 5}, retAllow},
		{"negative unknown beats KILL_PROCESS", []uint32{retKillProcess, 0xfff00000}, retKillProcess},
		{"0x80010000 loses to KILL_PROCESS", []uint32{0x80010000, retKillProcess}, retKillProcess},
	}
	for _, tc := range tests {
		if got := Stack(tc.results...); got != tc.want {
			t.Errorf("%s: Stack(%#x) = %#x, want %#x", tc.name, tc.results, got, tc.want)
		}
	}
}

func TestEffective(t *testing.T) {
	tests := []struct{ ret, want uint32 }{
		{retErrno | 1, retErrno | 1},
		{retErrno, retErrno},
		{retErrno | 4095, retErrno | 4095},
		{retErrno | 4096, retErrno | 4095},
		{retErrno | 0xffff, retErrno | 4095},
		{retAllow | 7, retAllow},
		{retLog | 7, retLog},
		{retUserNotif | 7, retUserNotif},
		{retTrace | 7, retTrace | 7},
		{retTrap | 7, retTrap | 7},
		{retKillThread | 7, retKillThread | 7},
		{retKillProcess | 7, retKillProcess | 7},
		{0x00010005, retKillProcess | 5},
		{0x7ffe0000, retKillProcess},
		{0xfff01234, retKillProcess | 0x1234},
	}
	for _, tc := range tests {
		if got := Effective(tc.ret); got != tc.want {
			t.Errorf("Effective(%#x) = %#x, want %#x", tc.ret, got, tc.want)
		}
	}
}

// TestConvertedLen holds the reference's formula on its instruction
// patterns; TestKernelConvertedLen measures the same programs in the kernel.
func TestConvertedLen(t *testing.T) {
	tests := []struct {
		name string
		prog []bpf.RawInstruction
		want int
	}{
		{"ret k", prog(ret(0)), 3 + 2},
		{"ret a", prog(reta()), 3 + 1},
		{"div x", prog(alux(aluDIV), ret(0)), 3 + 5 + 2},
		{"div k", prog(aluk(aluDIV, 3), ret(0)), 3 + 1 + 2},
		{"jeq jf 0", prog(ld(0), jk(jmpJEQ, 1, 0, 0), ret(0)), 3 + 1 + 1 + 2},
		{"jeq jt 0, jf 1 (negated)", prog(ld(0), jk(jmpJEQ, 1, 0, 1), ret(0), ret(0)), 3 + 1 + 1 + 4},
		{"jgt jt 0", prog(ld(0), jk(jmpJGT, 1, 0, 1), ret(0), ret(0)), 3 + 1 + 1 + 4},
		{"jge jt 0", prog(ld(0), jk(jmpJGE, 1, 0, 1), ret(0), ret(0)), 3 + 1 + 1 + 4},
		{"jset jt 0 has no negation", prog(ld(0), jk(jmpJSET, 1, 0, 1), ret(0), ret(0)), 3 + 1 + 2 + 4},
		{"both targets", prog(ld(0), jk(jmpJEQ, 1, 1, 2), ret(0), ret(0), ret(0)), 3 + 1 + 2 + 6},
		{"k with bit 31, jf 0", prog(ld(0), jk(jmpJEQ, 0x80000000, 0, 0), ret(0)), 3 + 1 + 2 + 2},
		{"k with bit 31, both", prog(ld(0), jk(jmpJGE, 0x80000000, 1, 2), ret(0), ret(0), ret(0)), 3 + 1 + 3 + 6},
		{"x form with bit 31 in k", prog(ld(0), I(clsJMP|jmpJEQ|srcX, 0, 0, 0x80000000), ret(0)), 3 + 1 + 1 + 2},
		{"everything else is 1", prog(I(opLdLen, 0, 0, 0), st(0), ldxm(0), I(opTax, 0, 0, 0), I(opTxa, 0, 0, 0), I(opNeg, 0, 0, 0), ja(0), aluk(aluADD, 1), alux(aluMUL), ldi(1), reta()), 3 + 10 + 1},
		{"4096 rets", rets(4096), 8195},
	}
	for _, tc := range tests {
		if got := ConvertedLen(tc.prog); got != tc.want {
			t.Errorf("%s: ConvertedLen = %d, want %d", tc.name, got, tc.want)
		}
	}
	if got := PathLen(5); got != 5 {
		t.Errorf("PathLen(5) = %d", got)
	}
	if got := PathLen(5, 10, 20); got != 5+14+24 {
		t.Errorf("PathLen(5, 10, 20) = %d", got)
	}
}

func TestPad(t *testing.T) {
	for l := 5; l <= 8195; l += 97 {
		p := pad(l)
		if ConvertedLen(p) != l || len(p) > MaxInsns || Verify(p) != nil {
			t.Fatalf("pad(%d): len %d, converted %d, %v", l, len(p), ConvertedLen(p), Verify(p))
		}
	}
	for _, s := range []int{9, 8199, 8200, 20000, 32760} {
		total := 0
		for _, f := range chain(s) {
			total += ConvertedLen(f) + 4
		}
		if total != s {
			t.Errorf("chain(%d) charges %d", s, total)
		}
	}
}
