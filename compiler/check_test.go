package compiler_test

import (
	"errors"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
	"golang.org/x/net/bpf"
)

func assemble(t *testing.T, insns ...bpf.Instruction) []bpf.RawInstruction {
	t.Helper()
	raw, err := bpf.Assemble(insns)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

const auditX86_64 = 0xc000003e

// TestCheckCatchesStaleNr is elastic/go-seccomp-bpf's bug: after an
// argument test fails, the program goes on comparing A with syscall
// numbers, but A holds the argument now. socket(56, ...) then passes as
// clone. Check must find the argument value that triggers it.
func TestCheckCatchesStaleNr(t *testing.T) {
	p := &compiler.Policy{Arches: []string{"x86_64"}, Default: eperm, Rules: []compiler.Rule{
		rule(allow, "socket", compiler.Arg(0).Low32().EQ(1)),
		rule(allow, "clone"),
	}}
	bad := assemble(t,
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditX86_64, SkipFalse: 8},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: 0x40000000, SkipTrue: 6},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 41, SkipFalse: 2},
		bpf.LoadAbsolute{Off: 16, Size: 4}, // a0: A is no longer nr
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 2},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 56, SkipTrue: 1},
		bpf.RetConstant{Val: 0x00050001},
		bpf.RetConstant{Val: 0x7fff0000},
		bpf.RetConstant{Val: 0x80000000},
	)
	_, err := compiler.Check(p, &compiler.Program{Insns: bad})
	var me *compiler.MismatchError
	if !errors.As(err, &me) || !errors.Is(err, compiler.ErrMismatch) {
		t.Fatalf("Check: %v, want a *MismatchError", err)
	}
	found := false
	for _, m := range me.First {
		if m.Data.Nr == 41 && uint32(m.Data.Args[0]) == 56 && m.Got == 0x7fff0000 {
			found = true
		}
	}
	if !found {
		t.Errorf("no mismatch for socket(56): %v", err)
	}
	// The correct program passes.
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := compiler.Check(p, prog); err != nil {
		t.Error(err)
	}
}

// TestCheckCatchesMissingX32Guard: a deny-list for x86_64 that forgets the
// x32 bit lets getppid | 0x40000000 through.
func TestCheckCatchesMissingX32Guard(t *testing.T) {
	p := &compiler.Policy{Arches: []string{"x86_64"}, Default: allow, Unknown: allow, Rules: []compiler.Rule{rule(eperm, "getppid")}}
	bad := assemble(t,
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: auditX86_64, SkipFalse: 4},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 110, SkipFalse: 1},
		bpf.RetConstant{Val: 0x00050001},
		bpf.RetConstant{Val: 0x7fff0000},
		bpf.RetConstant{Val: 0x80000000},
	)
	_, err := compiler.Check(p, &compiler.Program{Insns: bad})
	var me *compiler.MismatchError
	if !errors.As(err, &me) {
		t.Fatalf("Check: %v, want a mismatch", err)
	}
	for _, m := range me.First {
		if m.Data.Nr < 0x40000000 {
			t.Errorf("mismatch below the x32 bit: %v", m)
		}
	}
	if !strings.Contains(err.Error(), "want KILL_PROCESS, got ALLOW") {
		t.Errorf("message does not say what differs: %v", err)
	}
}

// mutationPolicy has every kind of decision: ranges, sets, masks, 64-bit
// inequalities, two ABIs.
func mutationPolicy() *compiler.Policy {
	a0, a1 := compiler.Arg(0), compiler.Arg(1)
	return &compiler.Policy{Arches: []string{"x86_64", "i386"}, Default: eperm, Rules: []compiler.Rule{
		rule(allow, "read write close getpid futex mmap2 mmap"),
		rule(allow, "socket", a0.LT(3)), rule(allow, "socket", a0.EQ(10)), rule(allow, "socket", a0.GT(40)),
		rule(allow, "personality", a0.EQ(0)), rule(allow, "personality", a0.EQ(0xffffffff)),
		rule(allow, "clone", a0.MaskedEQ(0x7e020000, 0)),
		rule(compiler.Errno(13), "ioctl", a1.GE(0x100000000)),
		rule(kill, "ptrace"),
	}}
}

// TestCheckMutants mutates a compiled program one instruction at a time.
// Whenever Check accepts a mutant, a large sample of random and boundary
// inputs must find no difference either: a mutant Check lets through that
// sampling shows to be wrong is a hole in Check's proof.
func TestCheckMutants(t *testing.T) {
	p := mutationPolicy()
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	samples := sampleInputs(rng, p, 2000)
	caught, passed := 0, 0
	for i, in := range prog.Insns {
		for _, m := range mutate(in) {
			insns := slices.Clone(prog.Insns)
			insns[i] = m
			if vm.Verify(insns) != nil {
				continue
			}
			_, err := compiler.Check(p, &compiler.Program{Insns: insns})
			if err != nil {
				if !errors.Is(err, compiler.ErrMismatch) {
					t.Fatalf("mutant %d: %v", i, err)
				}
				caught++
				continue
			}
			passed++
			vp, _ := vm.Load(insns)
			for _, d := range samples {
				if got, want := vp.Run(d), p.Eval(nil, d).Ret(); got != want {
					t.Errorf("Check accepted a wrong mutant of %d (%v → %v): nr %#x arch %#x args %#x: %#x, want %#x",
						i, in, m, d.Nr, d.Arch, d.Args, got, want)
					break
				}
			}
		}
	}
	t.Logf("%d mutants caught, %d equivalent", caught, passed)
	if caught < 3*passed {
		t.Errorf("only %d of %d mutants caught", caught, caught+passed)
	}
}

func mutate(in bpf.RawInstruction) []bpf.RawInstruction {
	var out []bpf.RawInstruction
	switch in.Op & 0x07 {
	case 0x06: // ret: every other action
		for _, r := range []uint32{0x7fff0000, 0x00050001, 0x80000000, 0x00050026} {
			if r != in.K {
				out = append(out, bpf.RawInstruction{Op: in.Op, K: r})
			}
		}
	case 0x05:
		if in.Op == 0x05 {
			break
		}
		for _, k := range []uint32{in.K - 1, in.K + 1, in.K ^ 1<<31} {
			m := in
			m.K = k
			out = append(out, m)
		}
		m := in
		m.Jt, m.Jf = in.Jf, in.Jt
		out = append(out, m)
		for _, op := range []uint16{0x15, 0x25, 0x35, 0x45} {
			if op != in.Op {
				m := in
				m.Op = op
				out = append(out, m)
			}
		}
	case 0x00:
		if in.K >= 16 {
			m := in
			m.K ^= 4 // the other half of the argument
			out = append(out, m)
		}
	case 0x04:
		m := in
		m.K ^= 0x20000
		out = append(out, m)
	}
	return out
}

// sampleInputs returns inputs around the policy's constants on its ABIs,
// plus random ones.
func sampleInputs(rng *rand.Rand, p *compiler.Policy, n int) []vm.Data {
	var consts []uint64
	for _, r := range p.Rules {
		for _, c := range r.Conds {
			consts = append(consts, c.Value, c.Value-1, c.Value+1, c.Value|0x100000000, c.Value^c.Mask, c.Mask, ^c.Mask)
		}
	}
	consts = append(consts, 0, 0xffffffff, 1<<63)
	var abis []*arch.Arch
	for _, name := range p.Arches {
		a, _ := arch.Lookup(name)
		abis = append(abis, a)
	}
	var out []vm.Data
	for range n {
		a := abis[rng.Intn(len(abis))]
		d := vm.Data{Arch: a.AuditArch}
		s := a.Syscalls()
		switch rng.Intn(4) {
		case 0:
			d.Nr = rng.Uint32()
		default:
			d.Nr = s[rng.Intn(len(s))].Nr
		}
		for i := range d.Args {
			switch rng.Intn(3) {
			case 0:
				d.Args[i] = rng.Uint64() >> uint(rng.Intn(64))
			default:
				d.Args[i] = consts[rng.Intn(len(consts))]
			}
		}
		out = append(out, d)
	}
	return out
}

func TestCheckReport(t *testing.T) {
	p := &compiler.Policy{Arches: []string{"x86_64"}, Default: eperm, Rules: []compiler.Rule{
		rule(allow, "read write getpid"),
		rule(allow, "socket", compiler.Arg(0).EQ(1)),
		rule(compiler.Log, "getppid"),
	}}
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := compiler.Check(p, prog)
	if err != nil {
		t.Fatal(err)
	}
	if r.Allowed != 3 || r.Cached != 3 {
		t.Errorf("allowed %d cached %d, want 3 and 3 (read, write, getpid; socket depends on a0; LOG is never cached)", r.Allowed, r.Cached)
	}
	if !r.Exhaustive {
		t.Errorf("no masks, yet not exhaustive: %v", r.Notes)
	}
	for _, s := range r.Syscalls {
		if s.Runs == 0 || s.Min > s.Max || s.Mean < float64(s.Min) || s.Mean > float64(s.Max) {
			t.Errorf("bad cost %+v", s)
		}
		if s.Name == "socket" && (s.Allowed || s.Runs < 3 || s.Max <= s.Min) {
			t.Errorf("socket: %+v, want several runs with different costs, not allowed", s)
		}
	}
	// A mask makes the proof a sample, and the report says so.
	p.Rules = append(p.Rules, rule(allow, "clone", compiler.Arg(0).MaskedEQ(0xff, 0)))
	prog, _ = compiler.Compile(p)
	r, err = compiler.Check(p, prog)
	if err != nil {
		t.Fatal(err)
	}
	if r.Exhaustive || len(r.Notes) == 0 {
		t.Errorf("masked condition, yet exhaustive (notes %v)", r.Notes)
	}
}

// bigPolicy gives n syscall numbers of their own two-argument tests, so
// nothing is shared and the program is long.
func bigPolicy(n int, arches ...string) *compiler.Policy {
	p := &compiler.Policy{Arches: arches, Default: eperm}
	for i := range n {
		p.Rules = append(p.Rules, compiler.Rule{Numbers: []uint32{uint32(i)}, Action: allow,
			Conds: []compiler.Cond{compiler.Arg(0).EQ(uint64(i) + 1), compiler.Arg(1).EQ(uint64(2*i) + 7)}})
	}
	return p
}

func TestLongJumps(t *testing.T) {
	p := bigPolicy(120, "x86_64")
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog.Insns) < 1000 {
		t.Fatalf("only %d instructions; the test needs jumps beyond 255", len(prog.Insns))
	}
	jumps := 0
	for _, o := range prog.Origins {
		if o.Role == compiler.RoleJump {
			jumps++
		}
	}
	if jumps == 0 {
		t.Errorf("no long jumps in %d instructions", len(prog.Insns))
	}
	if err := vm.Verify(prog.Insns); err != nil {
		t.Fatal(err)
	}
	r, err := compiler.Check(p, prog)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Exhaustive {
		t.Errorf("not exhaustive: %v", r.Notes)
	}
	t.Logf("%d instructions, %d long jumps", len(prog.Insns), jumps)
}

func TestTooLong(t *testing.T) {
	p := bigPolicy(300, "x86_64", "s390x") // big-endian: nothing shared with x86_64
	_, err := compiler.Compile(p)
	if !errors.Is(err, compiler.ErrTooLong) {
		t.Fatalf("Compile: %v, want ErrTooLong", err)
	}
	if !strings.Contains(err.Error(), "over the kernel's limit of 4096") {
		t.Errorf("message %q does not say by how much", err)
	}
}

// TestDeterministic: the same policy gives the same bytes, every time.
func TestDeterministic(t *testing.T) {
	p := mutationPolicy()
	first, err := compiler.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, err := compiler.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(first.Insns, again.Insns) || !slices.Equal(first.Origins, again.Origins) || again.String() != first.String() {
			t.Fatal("two compilations differ")
		}
	}
}
