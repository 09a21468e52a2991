package vm

import (
	"math/rand/v2"

	"github.com/seccompile/seccompile/internal/kernelprobe"
	"golang.org/x/net/bpf"
)

// gen makes random programs biased towards the edges of the kernel's rules
// (jumps at and one past the end, offsets around 64, scratch cells used and
// defined on some paths, division by a zero X, shifts of 32 and more, every
// action and unknown ones, ERRNO data over 4095) and random probes whose
// words the programs compare against.
type gen struct {
	r      *rand.Rand
	probes []kernelprobe.Probe
	consts []uint32
	env    kernelEnv
}

// kernelEnv is what the probes meet in the kernel under test.
type kernelEnv struct {
	x32   bool                           // the kernel has an x32 ABI (probes then may run real calls)
	int80 bool                           // int $0x80 works
	ip    func(kernelprobe.Entry) uint64 // instruction_pointer of each entry
}

// offline is the environment of tests that do not run the kernel.
var offline = kernelEnv{int80: true, ip: func(e kernelprobe.Entry) uint64 {
	if e == kernelprobe.EntryInt80 {
		return 0x0000000000472e62
	}
	return 0x0000000000472e42
}}

// data returns the seccomp_data the kernel builds for probe p.
func (env kernelEnv) data(p kernelprobe.Probe) Data {
	return Data{Nr: p.SeenNr(), Arch: p.Arch(), InstructionPointer: env.ip(p.Entry), Args: p.Args}
}

func newGen(r *rand.Rand) *gen {
	g := &gen{r: r, env: offline}
	g.setProbes(g.probeSet(6))
	return g
}

// setProbes makes ps the probes the next programs are written against.
func (g *gen) setProbes(ps []kernelprobe.Probe) {
	g.probes = ps
	g.consts = g.consts[:0]
	for _, p := range ps {
		ip := g.env.ip(p.Entry)
		g.consts = append(g.consts, p.SeenNr(), p.Arch(), uint32(ip), uint32(ip>>32))
		for _, a := range p.Args {
			g.consts = append(g.consts, uint32(a), uint32(a>>32))
		}
	}
}

func (g *gen) pick(vals ...uint32) uint32 { return vals[g.r.IntN(len(vals))] }

func (g *gen) probeSet(n int) []kernelprobe.Probe {
	ps := make([]kernelprobe.Probe, n)
	for i := range ps {
		ps[i] = g.probe()
	}
	return ps
}

func (g *gen) probe() kernelprobe.Probe {
	var p kernelprobe.Probe
	switch x := g.r.IntN(100); {
	case x < 20 && g.env.int80:
		p.Entry = kernelprobe.EntryInt80
	case x < 32:
		p.Entry = kernelprobe.EntryX32
	default:
		p.Entry = kernelprobe.EntrySyscall
	}
	safe := kernelprobe.SafeX86_64
	if p.Entry == kernelprobe.EntryInt80 {
		safe = kernelprobe.SafeI386
	}
	if g.r.IntN(5) > 0 {
		p.Nr = safe[g.r.IntN(len(safe))]
	} else if p.Entry == kernelprobe.EntrySyscall {
		p.Nr = g.pick(kernelprobe.NoSyscall, kernelprobe.NoSyscall+uint32(g.r.IntN(4096)), 0xffffffff, 0x80000000, 0x3fffffff)
	} else {
		p.Nr = g.pick(kernelprobe.NoSyscall, kernelprobe.NoSyscall+uint32(g.r.IntN(4096)), 0x3fffffff)
		if p.Entry == kernelprobe.EntryInt80 && g.r.IntN(2) == 0 {
			p.Nr = 0xffffffff
		}
	}
	for i := range p.Args {
		switch g.r.IntN(7) {
		case 0, 1:
			p.Args[i] = 0
		case 2:
			p.Args[i] = uint64(g.r.IntN(16))
		case 3:
			p.Args[i] = uint64(g.r.Uint32())
		case 4:
			p.Args[i] = 0xffffffff00000000 | uint64(g.r.IntN(16))
		case 5:
			p.Args[i] = ^uint64(0)
		default:
			p.Args[i] = g.r.Uint64()
		}
	}
	return p
}

// data returns seccomp_data for the in-process tests: one of the probes,
// sometimes with another arch value (big-endian ones included).
func (g *gen) data() Data {
	p := g.probes[g.r.IntN(len(g.probes))]
	d := g.env.data(p)
	if g.r.IntN(4) == 0 {
		d.Arch = g.pick(archS390X, archPPC64, archARM64, archI386, 0)
	}
	return d
}

func (g *gen) k() uint32 {
	switch x := g.r.IntN(10); {
	case x < 6:
		return g.consts[g.r.IntN(len(g.consts))]
	case x < 8:
		return uint32(g.r.IntN(64))
	case x < 9:
		return g.r.Uint32()
	}
	return g.pick(0, 1, 0xffffffff, 0x80000000, 0x40000000, 0x7fffffff, 64)
}

func (g *gen) offset() uint32 {
	if g.r.IntN(10) > 0 {
		return 4 * uint32(g.r.IntN(16))
	}
	return g.pick(2, 61, 62, 63, 64, 68, 1<<31, skfAdOff+4*uint32(g.r.IntN(17)), skfAdOff+1, g.r.Uint32())
}

func (g *gen) mem() uint32 {
	if g.r.IntN(12) > 0 {
		return uint32(g.r.IntN(16))
	}
	return 16 + uint32(g.r.IntN(4))
}

// skip returns a jt/jf for a jump at pc in a program of n instructions:
// mostly in range, sometimes exactly one past the end.
func (g *gen) skip(pc, n int) uint8 {
	room := n - pc - 1 // valid skips are 0 .. room-1
	switch x := g.r.IntN(40); {
	case x < 37 && room > 0:
		return uint8(min(g.r.IntN(room), 255))
	case x < 39:
		return uint8(min(max(room, 0), 255))
	}
	return uint8(g.r.IntN(256))
}

func (g *gen) jaSkip(pc, n int) uint32 {
	room := n - pc - 1
	switch x := g.r.IntN(40); {
	case x < 37 && room > 0:
		return uint32(g.r.IntN(room))
	case x < 39:
		return uint32(max(room, 0))
	}
	return g.pick(0xffffffff, uint32(g.r.IntN(300)))
}

var aluOps = []uint16{aluADD, aluSUB, aluMUL, aluDIV, aluOR, aluAND, aluLSH, aluRSH, aluXOR}
var jmpOps = []uint16{jmpJEQ, jmpJGT, jmpJGE, jmpJSET}

// action returns a return value: every action, with data that matters
// (ERRNO 0 and above 4095), plus unknown actions and data on ALLOW/LOG.
func (g *gen) action() uint32 {
	data := func() uint32 {
		return g.pick(0, 1, 13, uint32(g.r.IntN(4096)), 4095, 4096, 0xffff, uint32(g.r.IntN(0x10000)))
	}
	switch x := g.r.IntN(100); {
	case x < 24:
		return retAllow
	case x < 50:
		return retErrno | data()
	case x < 60:
		return retTrap | data()
	case x < 66:
		return retKillThread | g.pick(0, data())
	case x < 70:
		return retKillProcess | g.pick(0, data())
	case x < 75:
		return retLog | g.pick(0, data())
	case x < 80:
		return g.pick(retTrace, retUserNotif) | g.pick(0, data())
	case x < 85:
		return retAllow | data()
	}
	return g.pick(0x00010000, 0x00020005, 0x00040000, 0x7ffe0000, 0x7fff0000-0x10000, 0x12340000, 0xfff00000, 0x80010000, g.r.Uint32())
}

func (g *gen) ret() bpf.RawInstruction {
	if g.r.IntN(5) == 0 {
		return reta()
	}
	return ret(g.action())
}

var notSeccomp = []uint16{
	clsALU | aluMOD | srcK, clsALU | aluMOD | srcX, opLdAbsH, opLdAbsB, opLdIndW, opLdIndH, opLdIndB, opLdxMsh, opLdxAbsW,
}

func (g *gen) insn(pc, n int) bpf.RawInstruction {
	switch w := g.r.IntN(100); {
	case w < 25:
		return ld(g.offset())
	case w < 28:
		return ldi(g.k())
	case w < 30:
		return ldxi(g.k())
	case w < 32:
		return I(g.pick16(opLdLen, opLdxLen), 0, 0, g.r.Uint32())
	case w < 45:
		o := aluOps[g.r.IntN(len(aluOps))]
		if g.r.IntN(2) == 0 {
			return alux(o)
		}
		k := g.k()
		switch o {
		case aluLSH, aluRSH:
			k = uint32(g.r.IntN(40))
		case aluDIV:
			k = g.pick(0, 1, 2, 3, 7, k)
		}
		return aluk(o, k)
	case w < 48:
		return I(g.pick16(opNeg, opTax, opTxa), 0, 0, 0)
	case w < 56:
		return I(g.pick16(opSt, opStx, opLdMem, opLdxMem), 0, 0, g.mem())
	case w < 75:
		o := jmpOps[g.r.IntN(len(jmpOps))]
		if g.r.IntN(4) == 0 {
			return jx(o, g.skip(pc, n), g.skip(pc, n))
		}
		return jk(o, g.k(), g.skip(pc, n), g.skip(pc, n))
	case w < 78:
		return ja(g.jaSkip(pc, n))
	case w < 98:
		return g.ret()
	case w < 99:
		return I(notSeccomp[g.r.IntN(len(notSeccomp))], 0, 0, g.r.Uint32()&0xff)
	}
	return I(uint16(g.r.Uint32()), uint8(g.r.IntN(4)), uint8(g.r.IntN(4)), g.k())
}

func (g *gen) pick16(vals ...uint16) uint16 { return vals[g.r.IntN(len(vals))] }

// program returns a random program: mostly valid or nearly so.
func (g *gen) program() []bpf.RawInstruction {
	switch x := g.r.IntN(200); {
	case x < 1:
		if g.r.IntN(2) == 0 {
			return nil
		}
		return rets(MaxInsns + 1)
	case x < 70:
		return g.mutate(g.template())
	}
	n := 1 + g.r.IntN(20)
	if g.r.IntN(10) == 0 {
		n = 1 + g.r.IntN(80)
	}
	p := make([]bpf.RawInstruction, n)
	for pc := range p {
		p[pc] = g.insn(pc, n)
	}
	if g.r.IntN(10) > 0 {
		p[n-1] = g.ret()
	}
	return p
}

// mutate sometimes changes one field of one instruction.
func (g *gen) mutate(p []bpf.RawInstruction) []bpf.RawInstruction {
	if len(p) == 0 || g.r.IntN(10) >= 3 {
		return p
	}
	pc := g.r.IntN(len(p))
	ins := &p[pc]
	switch g.r.IntN(5) {
	case 0:
		*ins = g.insn(pc, len(p))
	case 1:
		ins.K += uint32(g.r.IntN(3)) - 1
	case 2:
		ins.Jt += uint8(g.r.IntN(3)) - 1
	case 3:
		ins.Jf += uint8(g.r.IntN(3)) - 1
	default:
		ins.K = g.k()
	}
	return p
}

// template returns one of a few shapes real filters have, filled with the
// probes' words so that their branches are taken.
func (g *gen) template() []bpf.RawInstruction {
	p := g.probes[g.r.IntN(len(g.probes))]
	arg := g.r.IntN(6)
	lo, hi := uint32(16+8*arg), uint32(20+8*arg)
	switch g.r.IntN(6) {
	case 0: // arch check, then a list of syscalls
		out := prog(ld(4), jk(jmpJEQ, g.pick(p.Arch(), g.k()), 1, 0), ret(g.action()), ld(0))
		if g.r.IntN(2) == 0 { // the x32 guard
			out = append(out, jk(jmpJGE, 0x40000000, 0, 1), ret(g.action()))
		}
		for range 1 + g.r.IntN(4) {
			other := g.probes[g.r.IntN(len(g.probes))]
			out = append(out, jk(jmpJEQ, g.pick(other.SeenNr(), g.k()), 0, 1), ret(g.action()))
		}
		return append(out, ret(g.action()))
	case 1: // a 64-bit argument compare
		o := jmpOps[g.r.IntN(len(jmpOps))]
		return prog(ld(0), jk(jmpJEQ, g.pick(p.SeenNr(), g.k()), 0, 6),
			ld(hi), jk(jmpJEQ, g.pick(uint32(p.Args[arg]>>32), g.k()), 0, 4),
			ld(lo), jk(o, g.pick(uint32(p.Args[arg]), g.k()), 0, 1),
			ret(g.action()), ret(g.action()), ret(g.action()))
	case 2: // the return value computed from data
		mask := g.pick(0xfff, 0xffff, 0x1fff)
		act := g.pick(retErrno, retErrno, retTrap, retTrace, retKillProcess, retLog)
		return prog(ld(g.pick(lo, hi, 0, 8)), aluk(aluAND, mask), aluk(aluOR, act), reta())
	case 3: // scratch cells and X arithmetic
		a, b := uint32(g.r.IntN(16)), uint32(g.r.IntN(16))
		o := aluOps[g.r.IntN(len(aluOps))]
		j := jmpOps[g.r.IntN(len(jmpOps))]
		return prog(ld(lo), st(a), ld(hi), I(opTax, 0, 0, 0), ldm(a), alux(o), st(b),
			ldxm(g.pick(a, b, uint32(g.r.IntN(16)))), jx(j, 0, 1), ret(g.action()), reta())
	case 4: // division or shift by a value from the data
		o := g.pick16(aluDIV, aluDIV, aluLSH, aluRSH)
		return prog(ld(g.pick(0, lo, hi)), I(opTax, 0, 0, 0), ld(g.pick(lo, hi, 8, 12)), alux(o),
			aluk(aluAND, 0xffff), aluk(aluOR, g.pick(retErrno, retTrap)), reta())
	}
	// Stores on some paths, loads after the join (the scratch pass).
	c := uint32(g.r.IntN(3))
	return prog(ld(0), jk(jmpJEQ, g.pick(p.SeenNr(), g.k()), 0, 2), st(c), ja(1), st(uint32(g.r.IntN(3))),
		ldm(uint32(g.r.IntN(3))), aluk(aluAND, 0xff), aluk(aluOR, retErrno), reta())
}
