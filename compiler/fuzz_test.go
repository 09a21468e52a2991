package compiler_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// genReader turns fuzz bytes into choices; past the end it yields zeros,
// so every input decodes to some policy.
type genReader struct {
	b []byte
	i int
}

func (r *genReader) u8() byte {
	if r.i >= len(r.b) {
		return 0
	}
	r.i++
	return r.b[r.i-1]
}

func (r *genReader) u32() uint32 {
	return uint32(r.u8()) | uint32(r.u8())<<8 | uint32(r.u8())<<16 | uint32(r.u8())<<24
}

func (r *genReader) n(k int) int { return int(r.u8()) % k }

// value picks a 64-bit value biased to the boundaries that break compilers:
// zero, sign bits, all ones, high words that differ, small numbers.
func (r *genReader) value() uint64 {
	switch r.n(10) {
	case 0:
		return 0
	case 1:
		return uint64(r.n(64))
	case 2:
		return 0xffffffff
	case 3:
		return 0x80000000
	case 4:
		return 0xffffffffffffffff
	case 5:
		return uint64(r.u32())<<32 | uint64(r.n(4))
	case 6:
		return 1 << uint(r.n(64))
	case 7:
		return uint64(r.u32())
	}
	return uint64(r.u32())<<32 | uint64(r.u32())
}

var (
	genArches   = []string{"x86_64", "i386", "x32", "aarch64", "arm", "s390x", "ppc64", "mips", "mipsel64n32", "riscv64"}
	genSyscalls = []string{"read", "write", "getpid", "socket", "personality", "clone", "futex", "mmap", "close", "ioctl", "kill", "openat", "exit_group", "getppid", "uname", "fcntl", "prctl", "setns"}
	genActions  = []compiler.Action{compiler.Allow, compiler.Log, compiler.Errno(1), compiler.Errno(38), compiler.Errno(4095),
		compiler.Trap(7), compiler.Trace(3), compiler.UserNotif, compiler.KillThread, compiler.KillProcess, compiler.Errno(0)}
)

// genPolicy decodes a valid policy: one to three ABIs, up to 14 rules on a
// pool of syscalls most ABIs share (plus raw numbers), 0-3 conditions of
// every operator and width.
func genPolicy(data []byte) *compiler.Policy {
	r := &genReader{b: data}
	p := &compiler.Policy{}
	for range 1 + r.n(3) {
		p.Arches = append(p.Arches, genArches[r.n(len(genArches))])
	}
	p.Default = genActions[r.n(len(genActions))]
	if r.n(2) == 0 {
		p.BadArch = genActions[r.n(len(genActions))]
	}
	if r.n(3) == 0 {
		p.Unknown = genActions[r.n(len(genActions))]
	}
	if r.n(4) == 0 {
		p.Hot = []string{genSyscalls[r.n(len(genSyscalls))], genSyscalls[r.n(len(genSyscalls))]}
	}
	// Names a rule may use: known to every ABI of the policy, so that
	// rules limited to one ABI stay valid too.
	var pool []string
	for _, name := range genSyscalls {
		ok := true
		for _, an := range p.Arches {
			a, _ := arch.Lookup(an)
			if _, known := a.Syscall(name); !known {
				ok = false
			}
		}
		if ok {
			pool = append(pool, name)
		}
	}
	for range r.n(15) {
		var rule compiler.Rule
		for range 1 + r.n(3) {
			rule.Syscalls = append(rule.Syscalls, pool[r.n(len(pool))])
		}
		switch r.n(8) {
		case 0:
			rule.Numbers = []uint32{uint32(r.n(600))}
		case 1:
			rule.Numbers = []uint32{0x40000000 | uint32(r.n(600))}
		case 2:
			rule.Numbers = []uint32{4000 + uint32(r.n(600)), r.u32()}
		}
		if r.n(6) == 0 {
			rule.Arches = []string{p.Arches[r.n(len(p.Arches))]}
		}
		rule.Action = genActions[r.n(len(genActions))]
		for range r.n(4) {
			c := compiler.Cond{Arg: r.n(6), Op: compiler.Op(1 + r.n(7)), Value: r.value(), Low32: r.n(4) == 0}
			if c.Op == compiler.OpMaskedEQ {
				c.Mask = r.value()
				if r.n(2) == 0 {
					c.Value &= c.Mask
				}
			}
			rule.Conds = append(rule.Conds, c)
		}
		p.Rules = append(p.Rules, rule)
	}
	return p
}

// compileOrSkip compiles p; a valid policy may only fail for size.
func compileOrSkip(t *testing.T, p *compiler.Policy) *compiler.Program {
	t.Helper()
	prog, err := compiler.Compile(p)
	if errors.Is(err, compiler.ErrTooLong) || errors.Is(err, compiler.ErrTooComplex) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("Compile: %v\npolicy: %+v", err, p)
	}
	if err := vm.Verify(prog.Insns); err != nil {
		t.Fatalf("the kernel would reject the program: %v\n%v", err, prog)
	}
	return prog
}

// fuzzSeeds are hand-picked policies in generator bytes: the shapes that
// matter (overlaps, x32, 64-bit boundaries, big-endian, masks).
var fuzzSeeds = [][]byte{
	{},
	{0, 0, 1, 0, 0, 5, 0, 3, 1, 0, 2, 0, 0, 1, 3, 4, 0, 0, 0, 0, 0, 0},
	{2, 0, 1, 2, 2, 0, 8, 3, 3, 0, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 1, 2, 3},
	{1, 5, 6, 3, 0, 1, 9, 4, 2, 1, 0, 6, 6, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0},
	{0, 0, 2, 1, 1, 12, 2, 3, 4, 1, 2, 3, 7, 0, 1, 5, 2, 9, 8, 7, 6, 5, 4, 3, 2, 1},
	{2, 6, 7, 0, 1, 0, 0, 14, 1, 3, 3, 0, 7, 2, 2, 3, 0, 6, 1, 1, 4, 2, 5, 3, 6, 4, 7, 5, 8},
	[]byte("x32 and x86_64 with masked conditions and overlapping rules of every action kind"),
}

// FuzzCompileCheck compiles random policies and proves each program equal
// to its policy with Check.
func FuzzCompileCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := genPolicy(data)
		prog := compileOrSkip(t, p)
		if _, err := compiler.Check(p, prog); err != nil {
			t.Fatalf("%v\npolicy: %+v\n%v", err, p, prog)
		}
	})
}

// FuzzDifferential runs random inputs through the compiled program in the
// vm and through Policy.Eval: the fast, shallow twin of FuzzCompileCheck.
func FuzzDifferential(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, []byte{1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff})
	}
	f.Fuzz(func(t *testing.T, data, inputs []byte) {
		p := genPolicy(data)
		prog := compileOrSkip(t, p)
		vp, err := vm.Load(prog.Insns)
		if err != nil {
			t.Fatal(err)
		}
		r := &genReader{b: inputs}
		for range 1 + len(inputs)/16 {
			d := genInput(r, p)
			got := vp.Run(d)
			if want := p.Eval(nil, d); got != want.Ret() {
				t.Fatalf("nr %#x arch %#x args %#x: program %#x, policy %v\npolicy: %+v\n%v", d.Nr, d.Arch, d.Args, got, want, p, prog)
			}
		}
	})
}

// genInput makes a seccomp_data: mostly an ABI of the policy and a syscall
// of its rules, with argument values near the rules' constants.
func genInput(r *genReader, p *compiler.Policy) vm.Data {
	var d vm.Data
	name := p.Arches[r.n(len(p.Arches))]
	if r.n(8) == 0 {
		name = genArches[r.n(len(genArches))]
	}
	a, _ := arch.Lookup(name)
	d.Arch = a.AuditArch
	if r.n(16) == 0 {
		d.Arch = r.u32()
	}
	switch r.n(4) {
	case 0:
		d.Nr = r.u32()
	case 1:
		d.Nr = uint32(r.n(600)) | a.SyscallBit
	default:
		nr, ok := a.Syscall(genSyscalls[r.n(len(genSyscalls))])
		if !ok {
			nr = a.SyscallBit
		}
		d.Nr = nr
	}
	var consts []uint64
	for _, rule := range p.Rules {
		for _, c := range rule.Conds {
			consts = append(consts, c.Value, c.Value-1, c.Value+1, c.Value^c.Mask, c.Value|^c.Mask)
		}
	}
	for i := range d.Args {
		switch r.n(4) {
		case 0:
			d.Args[i] = r.value()
		case 1:
			if len(consts) > 0 {
				d.Args[i] = consts[r.n(len(consts))]
			}
		case 2:
			d.Args[i] = binary.LittleEndian.Uint64(append([]byte{r.u8(), r.u8(), r.u8(), r.u8()}, r.u8(), r.u8(), r.u8(), r.u8()))
		}
	}
	return d
}
