package vm

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"golang.org/x/net/bpf"
)

func TestRunSemantics(t *testing.T) {
	le := Data{Nr: 39, Arch: archX86_64, InstructionPointer: 0x00007f0011223344,
		Args: [6]uint64{0x1122334455667788, 2, 3, 4, 5, 0xfffffffffffffffe}}
	be := le
	be.Arch = archS390X
	tests := []struct {
		name string
		prog []bpf.RawInstruction
		d    Data
		want uint32
	}{
		// Registers start at zero.
		{"A starts at 0", prog(reta()), le, 0},
		{"X starts at 0", prog(I(opTxa, 0, 0, 0), reta()), le, 0},
		// 32-bit wrapping arithmetic.
		{"mul wraps", prog(ldi(0x10001), aluk(aluMUL, 0x10000), aluk(aluRSH, 16), reta()), le, 1},
		{"neg", prog(ldi(1), I(opNeg, 0, 0, 0), aluk(aluRSH, 20), reta()), le, 4095},
		{"sub wraps", prog(aluk(aluSUB, 1), reta()), le, 0xffffffff},
		{"add wraps", prog(ldi(0xffffffff), aluk(aluADD, 2), reta()), le, 1},
		{"add x", prog(ldi(40), ldxi(2), alux(aluADD), reta()), le, 42},
		{"sub x", prog(ldi(40), ldxi(2), alux(aluSUB), reta()), le, 38},
		{"mul x", prog(ldi(6), ldxi(7), alux(aluMUL), reta()), le, 42},
		{"or/and/xor", prog(ldi(0xf0), aluk(aluOR, 0x0f), aluk(aluAND, 0x3c), aluk(aluXOR, 0x01), reta()), le, 0x3d},
		{"or/and/xor x", prog(ldi(0xf0), ldxi(0x0f), alux(aluOR), ldxi(0x3c), alux(aluAND), ldxi(1), alux(aluXOR), reta()), le, 0x3d},
		// Shifts: K is checked at load time, X is masked with 31.
		{"lsh #31", prog(ldi(3), aluk(aluLSH, 31), reta()), le, 0x80000000},
		{"lsh x 33", prog(ldi(1), ldxi(33), alux(aluLSH), reta()), le, 2},
		{"rsh x 33", prog(ldi(4), ldxi(33), alux(aluRSH), reta()), le, 2},
		{"lsh x 32", prog(ldi(1), ldxi(32), alux(aluLSH), reta()), le, 1},
		{"rsh x 0xffffffff", prog(ldi(0x80000000), ldxi(0xffffffff), alux(aluRSH), reta()), le, 1},
		// Division.
		{"div #k truncates", prog(ldi(7), aluk(aluDIV, 2), reta()), le, 3},
		{"div #k is unsigned", prog(ldi(0xfffffffe), aluk(aluDIV, 2), reta()), le, 0x7fffffff},
		{"div x", prog(ldi(100), ldxi(7), alux(aluDIV), reta()), le, 14},
		{"div by x == 0 returns 0", prog(ldi(5), alux(aluDIV), ret(retAllow)), le, 0},
		{"div by x == 0 with A set", prog(ldi(5), ldxi(0), alux(aluDIV), ret(retAllow)), le, 0},
		// Register moves: tax copies A to X, txa X to A.
		{"tax", prog(ldi(7), I(opTax, 0, 0, 0), ldi(0), I(opTxa, 0, 0, 0), reta()), le, 7},
		{"txa", prog(ldxi(9), I(opTxa, 0, 0, 0), reta()), le, 9},
		// The seccomp rewrites of ld len and ldx len.
		{"ld len", prog(I(opLdLen, 0, 0, 0), reta()), le, 64},
		{"ldx len", prog(I(opLdxLen, 0, 0, 0), I(opTxa, 0, 0, 0), reta()), le, 64},
		// Scratch memory.
		{"st/ld M", prog(ldi(9), st(3), ldi(0), ldm(3), reta()), le, 9},
		{"stx/ldx M", prog(ldxi(11), stx(15), ldxi(0), ldxm(15), I(opTxa, 0, 0, 0), reta()), le, 11},
		// Jumps are unsigned and forward.
		{"jgt unsigned", prog(ldi(0xffffffff), jk(jmpJGT, 1, 0, 1), ret(1), ret(2)), le, 1},
		{"jge equal", prog(ldi(5), jk(jmpJGE, 5, 0, 1), ret(1), ret(2)), le, 1},
		{"jgt equal", prog(ldi(5), jk(jmpJGT, 5, 0, 1), ret(1), ret(2)), le, 2},
		{"jeq k with bit 31", prog(ldi(0x80000000), jk(jmpJEQ, 0x80000000, 0, 1), ret(1), ret(2)), le, 1},
		{"jset miss", prog(ldi(6), jk(jmpJSET, 1, 0, 1), ret(1), ret(2)), le, 2},
		{"jset hit", prog(ldi(6), jk(jmpJSET, 4, 0, 1), ret(1), ret(2)), le, 1},
		{"jeq x", prog(ldi(3), ldxi(3), jx(jmpJEQ, 1, 0), ret(1), ret(2)), le, 2},
		{"jgt x", prog(ldi(4), ldxi(3), jx(jmpJGT, 0, 1), ret(1), ret(2)), le, 1},
		{"jge x", prog(ldi(2), ldxi(3), jx(jmpJGE, 0, 1), ret(1), ret(2)), le, 2},
		{"jset x", prog(ldi(2), ldxi(3), jx(jmpJSET, 0, 1), ret(1), ret(2)), le, 1},
		{"jt == jf", prog(jk(jmpJEQ, 0, 1, 1), ret(1), ret(2)), le, 2},
		{"ja skips", prog(ja(1), ret(1), ret(2)), le, 2},
		{"ret k", prog(ret(0x12345678)), le, 0x12345678},
		// seccomp_data in native byte order, chosen by the arch's LE bit.
		{"nr", prog(ld(0), reta()), le, 39},
		{"arch", prog(ld(4), reta()), le, archX86_64},
		{"LE arg0 low at 16", prog(ld(16), reta()), le, 0x55667788},
		{"LE arg0 high at 20", prog(ld(20), reta()), le, 0x11223344},
		{"LE ip low at 8", prog(ld(8), reta()), le, 0x11223344},
		{"LE ip high at 12", prog(ld(12), reta()), le, 0x00007f00},
		{"LE arg5 high at 60", prog(ld(60), reta()), le, 0xffffffff},
		{"LE arg5 low at 56", prog(ld(56), reta()), le, 0xfffffffe},
		{"BE nr", prog(ld(0), reta()), be, 39},
		{"BE arch", prog(ld(4), reta()), be, archS390X},
		{"BE arg0 high at 16", prog(ld(16), reta()), be, 0x11223344},
		{"BE arg0 low at 20", prog(ld(20), reta()), be, 0x55667788},
		{"BE ip high at 8", prog(ld(8), reta()), be, 0x00007f00},
		{"BE arg1 low at 28", prog(ld(28), reta()), be, 2},
		{"BE arg5 low at 60", prog(ld(60), reta()), be, 0xfffffffe},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Run(tc.prog, tc.d)
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, listing(tc.prog))
			}
			if got != tc.want {
				t.Errorf("Run = %#x, want %#x\n%s", got, tc.want, listing(tc.prog))
			}
			p, _ := Load(tc.prog)
			if got, _ := p.Trace(tc.d); got != tc.want {
				t.Errorf("Trace = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestRunRejects(t *testing.T) {
	if _, err := Run(prog(ldm(0), ret(0)), Data{}); err == nil {
		t.Error("Run of an invalid program returned no error")
	}
	if p, err := Load(nil); p != nil || err == nil {
		t.Error("Load(nil) succeeded")
	}
	// The zero Prog is not a program; it must not panic.
	var z Prog
	if z.Run(Data{}) != 0 || z.ConstAllow(0, 0) || z.Len() != 0 {
		t.Error("zero Prog misbehaves")
	}
	if got, tr := z.Trace(Data{}); got != 0 || tr.Executed != 0 {
		t.Error("zero Prog Trace misbehaves")
	}
}

func TestDataBytes(t *testing.T) {
	d := Data{Nr: 0x01020304, Arch: archX86_64, InstructionPointer: 0x1112131415161718,
		Args: [6]uint64{0x2122232425262728, 0x3132333435363738, 0, 0, 0, 0x7172737475767778}}
	b := d.Bytes()
	wantLE := []byte{0x04, 0x03, 0x02, 0x01, 0x3e, 0x00, 0x00, 0xc0, 0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21}
	if !slices.Equal(b[:24], wantLE) {
		t.Errorf("LE bytes % x, want % x", b[:24], wantLE)
	}
	if b[56] != 0x78 || b[63] != 0x71 {
		t.Errorf("LE arg5 bytes % x", b[56:])
	}
	d.Arch = archPPC64
	b = d.Bytes()
	wantBE := []byte{0x01, 0x02, 0x03, 0x04, 0x80, 0x00, 0x00, 0x15, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28}
	if !slices.Equal(b[:24], wantBE) {
		t.Errorf("BE bytes % x, want % x", b[:24], wantBE)
	}
	if d.LittleEndian() {
		t.Error("PPC64 reported little-endian")
	}
}

// TestWordMatchesBytes checks the interpreter's loads against the byte
// layout for random data on both byte orders.
func TestWordMatchesBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		d := randomData(r)
		b := d.Bytes()
		var order binary.ByteOrder = binary.BigEndian
		if d.LittleEndian() {
			order = binary.LittleEndian
		}
		for w := uint32(0); w < 16; w++ {
			if got, want := d.word(w), order.Uint32(b[4*w:]); got != want {
				t.Fatalf("%+v word %d = %#x, bytes say %#x", d, w, got, want)
			}
			got, err := Run(prog(ld(4*w), reta()), d)
			if err != nil || got != order.Uint32(b[4*w:]) {
				t.Fatalf("ld [%d] = %#x, %v", 4*w, got, err)
			}
		}
	}
}

func randomData(r *rand.Rand) Data {
	arches := []uint32{archX86_64, archI386, archS390X, archPPC64, archARM64, 0x8, 0}
	d := Data{Nr: r.Uint32(), Arch: arches[r.IntN(len(arches))], InstructionPointer: r.Uint64()}
	for i := range d.Args {
		d.Args[i] = r.Uint64()
	}
	return d
}

func TestTraceFields(t *testing.T) {
	p, err := Load(prog(
		ld(4), jk(jmpJEQ, archX86_64, 0, 4), // 0, 1
		ld(0), jk(jmpJEQ, 39, 0, 2), // 2, 3
		ld(20), ret(retErrno|1), // 4, 5: args[0] high half (LE)
		ret(retAllow), // 6
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		d      Data
		want   uint32
		path   []int
		fields FieldMask
	}{
		{Data{Nr: 39, Arch: archX86_64}, retErrno | 1, []int{0, 1, 2, 3, 4, 5}, FieldArch | FieldNr | ArgHi(0)},
		{Data{Nr: 40, Arch: archX86_64}, retAllow, []int{0, 1, 2, 3, 6}, FieldArch | FieldNr},
		{Data{Nr: 39, Arch: archI386}, retAllow, []int{0, 1, 6}, FieldArch},
	}
	for _, tc := range tests {
		got, tr := p.Trace(tc.d)
		if got != tc.want || !slices.Equal(tr.Path, tc.path) || tr.Fields != tc.fields || tr.Executed != len(tc.path) {
			t.Errorf("Trace(%+v) = %#x, %+v; want %#x, path %v, fields %v", tc.d, got, tr, tc.want, tc.path, tc.fields)
		}
	}
	// On a big-endian ABI, offset 20 is the low half.
	be, _ := Load(prog(ld(20), ld(8), reta()))
	if _, tr := be.Trace(Data{Arch: archS390X}); tr.Fields != ArgLo(0)|FieldIPHi {
		t.Errorf("BE fields = %v, want %v", tr.Fields, ArgLo(0)|FieldIPHi)
	}
	if s := (FieldNr | ArgLo(1) | ArgHi(5)).String(); s != "nr|args[1].lo|args[5].hi" {
		t.Errorf("FieldMask.String() = %q", s)
	}
	if s := FieldMask(0).String(); s != "none" {
		t.Errorf("FieldMask(0).String() = %q", s)
	}
	if !(FieldNr | FieldArch).Has(FieldNr) || FieldNr.Has(FieldNr|FieldArch) {
		t.Error("FieldMask.Has is wrong")
	}
}

func TestCoverage(t *testing.T) {
	p, err := Load(prog(
		ld(0),                    // 0
		jk(jmpJEQ, 1, 0, 1),      // 1
		ret(1),                   // 2
		jk(jmpJGT, 5, 1, 1),      // 3: jt == jf
		ret(2),                   // 4: dead
		jk(jmpJSET, 0x100, 0, 1), // 5
		ret(3),                   // 6
		ret(4),                   // 7
	))
	if err != nil {
		t.Fatal(err)
	}
	c := p.NewCoverage()
	for _, nr := range []uint32{1, 2} {
		_, tr := p.Trace(Data{Nr: nr})
		c.Add(tr)
	}
	if got, want := c.Uncovered(), []int{4, 6}; !slices.Equal(got, want) {
		t.Errorf("Uncovered = %v, want %v", got, want)
	}
	wantBr := []Branch{{5, true}}
	if got := c.UncoveredBranches(); !slices.Equal(got, wantBr) {
		t.Errorf("UncoveredBranches = %v, want %v", got, wantBr)
	}
	if c.Hits(0) != 2 || c.Hits(2) != 1 || c.Hits(4) != 0 || c.Hits(-1) != 0 || c.Hits(99) != 0 || c.Runs() != 2 {
		t.Errorf("hits %d %d %d, runs %d", c.Hits(0), c.Hits(2), c.Hits(4), c.Runs())
	}
	if s := c.String(); s != "insns 6/8, branches 5/6, 2 runs" {
		t.Errorf("String = %q", s)
	}
	c.Add(Trace{Path: []int{100, -3}}) // a foreign trace is ignored
	_, tr := p.Trace(Data{Nr: 0x100})
	c.Add(tr)
	if len(c.UncoveredBranches()) != 0 || !slices.Equal(c.Uncovered(), []int{4}) {
		t.Errorf("after nr 0x100: %v %v", c.Uncovered(), c.UncoveredBranches())
	}
}

// TestTraceMatchesRun runs random valid programs through both interpreters.
func TestTraceMatchesRun(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	g := newGen(r)
	n := 0
	for n < 3000 {
		p, err := Load(g.program())
		if err != nil {
			continue
		}
		n++
		for range 4 {
			d := g.data()
			got, tr := p.Trace(d)
			if want := p.Run(d); got != want {
				t.Fatalf("Trace = %#x, Run = %#x\n%s", got, want, p)
			}
			if tr.Executed != len(tr.Path) || tr.Executed == 0 || tr.Path[0] != 0 || tr.Path[len(tr.Path)-1] >= p.Len() {
				t.Fatalf("bad trace %+v\n%s", tr, p)
			}
		}
	}
}

func TestProgAccessors(t *testing.T) {
	in := prog(ld(0), jk(jmpJEQ, 39, 0, 1), ret(retErrno|1), ret(retAllow))
	p, err := Load(in)
	if err != nil {
		t.Fatal(err)
	}
	in[0] = ret(0) // Load kept its own copy
	if got := p.Instructions(); got[0] != ld(0) || len(got) != 4 || p.Len() != 4 {
		t.Errorf("Instructions = %v", got)
	}
	want := "0: ld [0]\n1: jeq #39 jt 0 jf 1\n2: ret #0x50001\n3: ret #0x7fff0000\n"
	if s := p.String(); s != want {
		t.Errorf("String =\n%s\nwant\n%s", s, want)
	}
}

// TestDecodeCoversWhitelist makes sure every code the seccomp whitelist
// admits decodes to its own interpreter op.
func TestDecodeCoversWhitelist(t *testing.T) {
	seen := map[op]uint16{}
	for code := range uint16(0x100) {
		if !seccompAllowed[code] {
			continue
		}
		o := decode(bpf.RawInstruction{Op: code, K: 1}, 0).op
		if prev, dup := seen[o]; dup && !(o == xLdImm || o == xLdxImm) {
			t.Errorf("codes %#x and %#x both decode to op %d", prev, code, o)
		}
		seen[o] = code
	}
	for _, tc := range []struct {
		k      uint32
		op     op
		jt, jf uint16
	}{
		{0, xLdNr, 0, 0}, {4, xLdArch, 0, 0}, {8, xLdIP, 0, 0}, {12, xLdIP, 1, 0},
		{16, xLdArg, 0, 0}, {20, xLdArg, 1, 0}, {56, xLdArg, 0, 5}, {60, xLdArg, 1, 5},
	} {
		if o := decode(ld(tc.k), 0); o.op != tc.op || o.k != tc.k/4 || o.jt != tc.jt || o.jf != tc.jf {
			t.Errorf("ld [%d] decodes to %+v", tc.k, o)
		}
	}
	// Every op but the four ld [k] ones.
	if len(seen) != int(xRetA)+1-4 {
		t.Errorf("the whitelist decodes to %d ops, want %d", len(seen), int(xRetA)+1-4)
	}
}
