package compiler_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// probe is one syscall as the filter sees it and the action expected,
// worked out by hand from the policy's documented semantics.
type probe struct {
	abi   string // ABI whose AUDIT_ARCH goes in seccomp_data.arch
	audit uint32 // if set, this AUDIT_ARCH instead
	name  string // syscall name on abi, or
	nr    uint32 // a raw number (when name is "")
	args  [6]uint64
	want  compiler.Action
}

func (pr probe) data(t *testing.T) vm.Data {
	t.Helper()
	a, err := arch.Lookup(pr.abi)
	if err != nil {
		t.Fatal(err)
	}
	d := vm.Data{Arch: a.AuditArch, Nr: pr.nr, Args: pr.args}
	if pr.audit != 0 {
		d.Arch = pr.audit
	}
	if pr.name != "" {
		nr, ok := a.Syscall(pr.name)
		if !ok {
			t.Fatalf("%s has no syscall %s", pr.abi, pr.name)
		}
		d.Nr = nr
	}
	return d
}

// runProbes compiles p, checks the kernel would load it, and runs every
// probe through both the program (in the vm) and Policy.Eval. Check must
// also prove the whole program equal to the policy.
func runProbes(t *testing.T, p *compiler.Policy, probes []probe) *compiler.Program {
	t.Helper()
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	vp, err := vm.Load(prog.Insns)
	if err != nil {
		t.Fatalf("vm.Load: %v\n%v", err, prog)
	}
	for _, pr := range probes {
		d := pr.data(t)
		got, ok := compiler.ActionFromRet(vp.Run(d))
		if !ok || got != pr.want {
			t.Errorf("%s %s#%#x args %#x: program returns %v, want %v", pr.abi, pr.name, d.Nr, d.Args, got, pr.want)
		}
		if ev := p.Eval(nil, d); ev != pr.want {
			t.Errorf("%s %s#%#x args %#x: Eval returns %v, want %v", pr.abi, pr.name, d.Nr, d.Args, ev, pr.want)
		}
	}
	if _, err := compiler.Check(p, prog); err != nil {
		t.Errorf("Check: %v\n%v", err, prog)
	}
	if t.Failed() {
		t.Logf("program:\n%v", prog)
	}
	return prog
}

func rule(action compiler.Action, names string, conds ...compiler.Cond) compiler.Rule {
	return compiler.Rule{Syscalls: strings.Fields(names), Action: action, Conds: conds}
}

var (
	allow  = compiler.Allow
	eperm  = compiler.Errno(1)
	enosys = compiler.Errno(38)
	kill   = compiler.KillProcess
)

func TestPrecedence(t *testing.T) {
	a0, a1 := compiler.Arg(0), compiler.Arg(1)
	tests := []struct {
		name   string
		rules  []compiler.Rule
		probes []probe
	}{
		{
			name: "most restrictive kind wins whatever the order",
			rules: []compiler.Rule{
				rule(allow, "getpid"),
				rule(eperm, "getpid", a0.EQ(5)),
				rule(compiler.Trap(3), "getpid", a1.EQ(7)),
				rule(kill, "getpid", a0.EQ(5), a1.EQ(7)),
			},
			probes: []probe{
				{abi: "x86_64", name: "getpid", want: allow},
				{abi: "x86_64", name: "getpid", args: [6]uint64{5}, want: eperm},
				{abi: "x86_64", name: "getpid", args: [6]uint64{0, 7}, want: compiler.Trap(3)},
				{abi: "x86_64", name: "getpid", args: [6]uint64{5, 7}, want: kill},
			},
		},
		{
			name: "the same, rules reversed",
			rules: []compiler.Rule{
				rule(kill, "getpid", a0.EQ(5), a1.EQ(7)),
				rule(compiler.Trap(3), "getpid", a1.EQ(7)),
				rule(eperm, "getpid", a0.EQ(5)),
				rule(allow, "getpid"),
			},
			probes: []probe{
				{abi: "x86_64", name: "getpid", want: allow},
				{abi: "x86_64", name: "getpid", args: [6]uint64{5}, want: eperm},
				{abi: "x86_64", name: "getpid", args: [6]uint64{0, 7}, want: compiler.Trap(3)},
				{abi: "x86_64", name: "getpid", args: [6]uint64{5, 7}, want: kill},
			},
		},
		{
			name:  "first among equal kinds",
			rules: []compiler.Rule{rule(compiler.Errno(1), "getpid", a0.EQ(1)), rule(compiler.Errno(2), "getpid")},
			probes: []probe{
				{abi: "x86_64", name: "getpid", args: [6]uint64{1}, want: compiler.Errno(1)},
				{abi: "x86_64", name: "getpid", want: compiler.Errno(2)},
			},
		},
		{
			name:  "first among equal kinds, unconditional first",
			rules: []compiler.Rule{rule(compiler.Errno(2), "getpid"), rule(compiler.Errno(1), "getpid", a0.EQ(1))},
			probes: []probe{
				{abi: "x86_64", name: "getpid", args: [6]uint64{1}, want: compiler.Errno(2)},
				{abi: "x86_64", name: "getpid", want: compiler.Errno(2)},
			},
		},
		{
			name: "the kernel's order, pair by pair",
			rules: []compiler.Rule{
				rule(compiler.Trap(1), "getpid"), rule(compiler.KillThread, "getpid"),
				rule(compiler.UserNotif, "getppid"), rule(compiler.Errno(5), "getppid"),
				rule(compiler.Log, "gettid"), rule(compiler.Trace(1), "gettid"),
				rule(allow, "getuid"), rule(compiler.Log, "getuid"),
				rule(compiler.KillThread, "getgid"), rule(kill, "getgid"),
			},
			probes: []probe{
				{abi: "x86_64", name: "getpid", want: compiler.KillThread},
				{abi: "x86_64", name: "getppid", want: compiler.Errno(5)},
				{abi: "x86_64", name: "gettid", want: compiler.Trace(1)},
				{abi: "x86_64", name: "getuid", want: compiler.Log},
				{abi: "x86_64", name: "getgid", want: kill},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &compiler.Policy{Arches: []string{"x86_64"}, Default: eperm, Rules: tc.rules}
			prog := runProbes(t, p, tc.probes)
			if len(tc.rules) > 1 && len(prog.Warnings) == 0 {
				t.Errorf("overlapping rules with different actions gave no warning")
			}
		})
	}
}

func TestDefaultUnknownBadArch(t *testing.T) {
	x86, _ := arch.Lookup("x86_64")
	for _, nr := range []uint32{1000, 400} {
		if _, ok := x86.SyscallName(nr); ok {
			t.Fatalf("test assumes x86_64 has no syscall %d", nr)
		}
	}
	tests := []struct {
		name   string
		p      compiler.Policy
		probes []probe
	}{
		{
			name: "x86_64 alone",
			p:    compiler.Policy{Arches: []string{"amd64"}, Default: eperm, Rules: []compiler.Rule{rule(allow, "getpid")}},
			probes: []probe{
				{abi: "x86_64", name: "getpid", want: allow},
				{abi: "x86_64", name: "getppid", want: eperm},          // known, no rule: default
				{abi: "x86_64", nr: 400, want: enosys},                 // a gap in the table
				{abi: "x86_64", nr: 1000, want: enosys},                // past the table
				{abi: "x86_64", nr: 0x3fffffff, want: enosys},          // last number before x32's
				{abi: "x86_64", nr: 0x40000027, want: kill},            // x32 getpid: not listed
				{abi: "x86_64", nr: 0x40000000, want: kill},            // first x32 number
				{abi: "x86_64", nr: 0xffffffff, want: kill},            // "negative": x32 side of the split
				{abi: "i386", name: "getpid", want: kill},              // int 0x80
				{abi: "aarch64", name: "getpid", want: kill},           // another ABI
				{abi: "x86_64", audit: 0x12345678, nr: 39, want: kill}, // junk arch
			},
		},
		{
			name: "unknown set to the default, as runc",
			p:    compiler.Policy{Arches: []string{"x86_64"}, Default: eperm, Unknown: eperm, BadArch: compiler.Errno(77), Rules: []compiler.Rule{rule(allow, "getpid")}},
			probes: []probe{
				{abi: "x86_64", nr: 1000, want: eperm},
				{abi: "x86_64", nr: 0x40000027, want: compiler.Errno(77)},
				{abi: "i386", name: "getpid", want: compiler.Errno(77)},
			},
		},
		{
			name: "MIPS answers unknown numbers with its own ENOSYS",
			p:    compiler.Policy{Arches: []string{"mips"}, Default: eperm, Rules: []compiler.Rule{rule(allow, "getpid")}},
			probes: []probe{
				{abi: "mips", name: "getpid", want: allow},
				{abi: "mips", nr: 5000, want: compiler.Errno(89)},
				{abi: "mips", nr: 20, want: compiler.Errno(89)}, // below o32's 4000
			},
		},
		{
			name: "rules by number",
			p: compiler.Policy{Arches: []string{"x86_64"}, Default: eperm, Rules: []compiler.Rule{
				{Numbers: []uint32{1000}, Action: allow},
				{Numbers: []uint32{39}, Action: compiler.Errno(3)},
				{Numbers: []uint32{2000}, Action: allow, Conds: []compiler.Cond{compiler.Arg(0).EQ(1)}},
			}},
			probes: []probe{
				{abi: "x86_64", nr: 1000, want: allow},
				{abi: "x86_64", nr: 1001, want: enosys},
				{abi: "x86_64", name: "getpid", want: compiler.Errno(3)},
				{abi: "x86_64", nr: 2000, args: [6]uint64{1}, want: allow},
				{abi: "x86_64", nr: 2000, want: eperm}, // named by a rule: the default, not unknown
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runProbes(t, &tc.p, tc.probes) })
	}
}

func TestMultiABI(t *testing.T) {
	tests := []struct {
		name   string
		p      compiler.Policy
		probes []probe
	}{
		{
			name: "x86_64 and i386 resolve names each",
			p: compiler.Policy{Arches: []string{"x86_64", "i386"}, Default: eperm, Rules: []compiler.Rule{
				rule(allow, "getpid"),
				{Syscalls: []string{"getppid"}, Arches: []string{"i386"}, Action: allow},
			}},
			probes: []probe{
				{abi: "x86_64", name: "getpid", want: allow},
				{abi: "i386", name: "getpid", want: allow},
				{abi: "x86_64", nr: 20, want: eperm},          // i386 getpid's number on x86_64 is writev
				{abi: "i386", nr: 39, want: eperm},            // x86_64 getpid's number on i386 is mkdir
				{abi: "x86_64", name: "getppid", want: eperm}, // the rule is for i386 only
				{abi: "i386", name: "getppid", want: allow},
			},
		},
		{
			name: "x86_64 and x32 share AUDIT_ARCH_X86_64 and split at the x32 bit",
			p: compiler.Policy{Arches: []string{"x86_64", "x32"}, Default: eperm, Rules: []compiler.Rule{
				rule(allow, "getpid"),
				{Syscalls: []string{"write"}, Arches: []string{"x32"}, Action: compiler.Errno(9)},
			}},
			probes: []probe{
				{abi: "x86_64", name: "getpid", want: allow},
				{abi: "x32", name: "getpid", want: allow},
				{abi: "x32", name: "write", want: compiler.Errno(9)},
				{abi: "x86_64", name: "write", want: eperm},
				{abi: "x32", nr: 0x40000000 + 999, want: enosys},
				{abi: "x32", nr: 0xffffffff, want: enosys},
				{abi: "x86_64", nr: 0x3fffffff, want: enosys},
			},
		},
		{
			name: "x32 alone: x86_64 numbers are a bad arch",
			p:    compiler.Policy{Arches: []string{"x32"}, Default: eperm, Rules: []compiler.Rule{rule(allow, "getpid")}},
			probes: []probe{
				{abi: "x32", name: "getpid", want: allow},
				{abi: "x86_64", name: "getpid", want: kill},
				{abi: "x86_64", nr: 0, want: kill},
			},
		},
		{
			name: "aarch64 and arm",
			p: compiler.Policy{Arches: []string{"arm64", "arm"}, Default: eperm, Rules: []compiler.Rule{
				rule(allow, "getpid openat"),
				rule(allow, "mmap2"), // arm only: no error, a warning
			}},
			probes: []probe{
				{abi: "aarch64", name: "getpid", want: allow},
				{abi: "arm", name: "getpid", want: allow},
				{abi: "arm", name: "mmap2", want: allow},
				{abi: "aarch64", name: "mmap", want: eperm},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runProbes(t, &tc.p, tc.probes) })
	}
}

// TestArgs checks every operator at its boundaries, 64-bit and Low32, on a
// 64-bit, a 32-bit and the x32 ABI. The constant 0x1_00000005 has a low
// word (5) that a 32-bit comparison confuses with 5, 0xffffffff_00000005...
func TestArgs(t *testing.T) {
	const v = 0x100000005
	// The probe values, and for each operator whether the 64-bit and the
	// low-word comparison with v hold, in probe order.
	vals := []uint64{v - 1, v, v + 1, 5, 0xffffffff00000005, 0}
	ops := []struct {
		name  string
		cond  func(compiler.ArgRef) compiler.Cond
		wide  []bool
		low32 []bool
	}{
		{"==", func(a compiler.ArgRef) compiler.Cond { return a.EQ(v) },
			[]bool{false, true, false, false, false, false}, []bool{false, true, false, true, true, false}},
		{"!=", func(a compiler.ArgRef) compiler.Cond { return a.NE(v) },
			[]bool{true, false, true, true, true, true}, []bool{true, false, true, false, false, true}},
		{"<", func(a compiler.ArgRef) compiler.Cond { return a.LT(v) },
			[]bool{true, false, false, true, false, true}, []bool{true, false, false, false, false, true}},
		{"<=", func(a compiler.ArgRef) compiler.Cond { return a.LE(v) },
			[]bool{true, true, false, true, false, true}, []bool{true, true, false, true, true, true}},
		{">", func(a compiler.ArgRef) compiler.Cond { return a.GT(v) },
			[]bool{false, false, true, false, true, false}, []bool{false, false, true, false, false, false}},
		{">=", func(a compiler.ArgRef) compiler.Cond { return a.GE(v) },
			[]bool{false, true, true, false, true, false}, []bool{false, true, true, true, true, false}},
		// mask 0xffffffff_0000000f, value 0x1_00000005: the high word must
		// be 1 and the low nibble 5.
		{"&==", func(a compiler.ArgRef) compiler.Cond { return a.MaskedEQ(0xffffffff0000000f, v) },
			[]bool{false, true, false, false, false, false}, []bool{false, true, false, true, true, false}},
	}
	abis := []struct {
		name   string
		narrow bool // compares the low word only
	}{{"x86_64", false}, {"aarch64", false}, {"s390x", false}, {"ppc64", false}, {"i386", true}, {"mips", true}, {"x32", false}}
	for _, abi := range abis {
		for _, op := range ops {
			for _, low := range []bool{false, true} {
				name := fmt.Sprintf("%s/a2 %s %#x", abi.name, op.name, uint64(v))
				if low {
					name += "/Low32"
				}
				t.Run(name, func(t *testing.T) {
					ref := compiler.Arg(2)
					if low {
						ref = ref.Low32()
					}
					p := &compiler.Policy{Arches: []string{abi.name}, Default: eperm,
						Rules: []compiler.Rule{rule(allow, "getpid", op.cond(ref))}}
					want := op.wide
					if low || abi.narrow {
						want = op.low32
					}
					var probes []probe
					for i, x := range vals {
						pr := probe{abi: abi.name, name: "getpid", args: [6]uint64{0, 0, x}, want: eperm}
						if want[i] {
							pr.want = allow
						}
						probes = append(probes, pr)
					}
					runProbes(t, p, probes)
				})
			}
		}
	}
}

// TestBigEndianLayout pins the word order: on s390x and ppc64 the high
// word of an argument is the first in seccomp_data.
func TestBigEndianLayout(t *testing.T) {
	for _, name := range []string{"s390x", "ppc64", "mips64"} {
		t.Run(name, func(t *testing.T) {
			p := &compiler.Policy{Arches: []string{name}, Default: eperm,
				Rules: []compiler.Rule{rule(allow, "getpid", compiler.Arg(1).EQ(0x100000005))}}
			prog := runProbes(t, p, []probe{
				{abi: name, name: "getpid", args: [6]uint64{0, 0x100000005}, want: allow},
				{abi: name, name: "getpid", args: [6]uint64{0, 0x500000001}, want: eperm},
				{abi: name, name: "getpid", args: [6]uint64{0, 5}, want: eperm},
			})
			// The high word of a1 is at 24 on big-endian ABIs, the low at 28.
			var loads []uint32
			for i, in := range prog.Insns {
				if prog.Origins[i].Role == compiler.RoleLoadArg {
					loads = append(loads, in.K)
				}
			}
			if fmt.Sprint(loads) != "[24 28]" {
				t.Errorf("argument loads at %v, want [24 28] (high word first)", loads)
			}
		})
	}
}

func TestHot(t *testing.T) {
	p := &compiler.Policy{Arches: []string{"x86_64"}, Default: eperm, Hot: []string{"futex", "read"},
		Rules: []compiler.Rule{rule(allow, "read write futex close mmap munmap getpid")}}
	prog := runProbes(t, p, []probe{
		{abi: "x86_64", name: "futex", want: allow},
		{abi: "x86_64", name: "read", want: allow},
		{abi: "x86_64", name: "getppid", want: eperm},
	})
	var hot []uint32
	for i, in := range prog.Insns {
		if prog.Origins[i].Role == compiler.RoleHot {
			hot = append(hot, in.K)
		}
	}
	if fmt.Sprint(hot) != "[202 0]" {
		t.Errorf("hot tests compare %v, want [202 0] (futex, read, in order)", hot)
	}
	// futex costs ld arch, jeq arch, ld nr, jeq futex, ret.
	vp, _ := vm.Load(prog.Insns)
	if _, tr := vp.Trace(vm.Data{Nr: 202, Arch: 0xc000003e}); tr.Executed != 5 {
		t.Errorf("futex executes %d instructions, want 5", tr.Executed)
	}
}

func TestValidate(t *testing.T) {
	ok := rule(allow, "getpid")
	tests := []struct {
		name  string
		p     compiler.Policy
		err   error
		rule  int
		field string
	}{
		{"unknown name everywhere", compiler.Policy{Rules: []compiler.Rule{ok, {Syscalls: []string{"read", "getpidd"}, Action: allow, Comment: "typo"}}}, compiler.ErrUnknownSyscall, 1, "Syscalls[1]"},
		{"arg index 6", compiler.Policy{Rules: []compiler.Rule{rule(allow, "read", compiler.Cond{Arg: 6, Op: compiler.OpEQ})}}, compiler.ErrArgIndex, 0, "Conds[0].Arg"},
		{"arg index -1", compiler.Policy{Rules: []compiler.Rule{rule(allow, "read", compiler.Arg(0).EQ(1), compiler.Cond{Arg: -1, Op: compiler.OpEQ})}}, compiler.ErrArgIndex, 0, "Conds[1].Arg"},
		{"invalid op", compiler.Policy{Rules: []compiler.Rule{rule(allow, "read", compiler.Cond{Arg: 0})}}, compiler.ErrInvalidOp, 0, "Conds[0].Op"},
		{"op out of range", compiler.Policy{Rules: []compiler.Rule{rule(allow, "read", compiler.Cond{Arg: 0, Op: 99})}}, compiler.ErrInvalidOp, 0, "Conds[0].Op"},
		{"errno 4096", compiler.Policy{Rules: []compiler.Rule{rule(compiler.Errno(4096), "read")}}, compiler.ErrErrnoRange, 0, "Action"},
		{"default errno 5000", compiler.Policy{Default: compiler.Errno(5000)}, compiler.ErrErrnoRange, -1, "Default"},
		{"no action", compiler.Policy{Rules: []compiler.Rule{ok, {Syscalls: []string{"read"}}}}, compiler.ErrInvalidAction, 1, "Action"},
		{"allow with data", compiler.Policy{Rules: []compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Action{Kind: compiler.KindAllow, Data: 3}}}}, compiler.ErrInvalidAction, 0, "Action"},
		{"unknown kind", compiler.Policy{BadArch: compiler.Action{Kind: 42}}, compiler.ErrInvalidAction, -1, "BadArch"},
		{"empty rule", compiler.Policy{Rules: []compiler.Rule{{Action: allow, Comment: "nothing"}}}, compiler.ErrEmptyRule, 0, "Syscalls"},
		{"unknown arch", compiler.Policy{Arches: []string{"x86_64", "vax"}}, arch.ErrUnknownArch, -1, "Arches[1]"},
		{"unsupported arch", compiler.Policy{Arches: []string{"SCMP_ARCH_PARISC"}}, arch.ErrUnsupportedArch, -1, "Arches[0]"},
		{"unknown rule arch", compiler.Policy{Rules: []compiler.Rule{{Syscalls: []string{"read"}, Arches: []string{"pdp11"}, Action: allow}}}, arch.ErrUnknownArch, 0, "Arches[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compiler.Compile(&tc.p)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Compile: %v, want an error wrapping %v", err, tc.err)
			}
			var pe *compiler.PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile: %T is not a *PolicyError", err)
			}
			if pe.Rule != tc.rule || pe.Field != tc.field {
				t.Errorf("error names rule %d field %q, want rule %d field %q (%v)", pe.Rule, pe.Field, tc.rule, tc.field, err)
			}
			if tc.rule >= 0 && !strings.Contains(err.Error(), fmt.Sprintf("rule %d", tc.rule)) {
				t.Errorf("message %q does not name rule %d", err, tc.rule)
			}
			if c := tc.p.Rules; tc.rule >= 0 && c[tc.rule].Comment != "" && !strings.Contains(err.Error(), c[tc.rule].Comment) {
				t.Errorf("message %q does not quote the rule's comment", err)
			}
			if err2 := tc.p.Validate(); !errors.Is(err2, tc.err) {
				t.Errorf("Validate: %v, want %v", err2, tc.err)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	p := &compiler.Policy{Arches: []string{"x86_64", "aarch64"}, Default: eperm, Rules: []compiler.Rule{
		rule(allow, "open getpid"),                                             // open: not on aarch64
		rule(compiler.Errno(5), "getpid"),                                      // overlaps rule 0
		rule(allow, "getpid", compiler.Arg(0).EQ(1)),                           // hidden by rule 1
		{Numbers: []uint32{0x40000005}, Action: allow},                         // an x32 number: never seen
		{Syscalls: []string{"read"}, Arches: []string{"s390x"}, Action: allow}, // ABI not in the policy
	}}
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	want := map[compiler.WarningKind]bool{compiler.WarnUnknownName: false, compiler.WarnOverlap: false,
		compiler.WarnShadowed: false, compiler.WarnNumberRange: false, compiler.WarnArch: false}
	for _, w := range prog.Warnings {
		want[w.Kind] = true
		if w.String() == "" {
			t.Errorf("warning %+v renders empty", w)
		}
	}
	for k, seen := range want {
		if !seen {
			t.Errorf("no %v warning in %v", k, prog.Warnings)
		}
	}
	if _, err := compiler.Check(p, prog); err != nil {
		t.Error(err)
	}
}

// TestPolicyErrorMessage pins the message shape users see.
func TestPolicyErrorMessage(t *testing.T) {
	p := &compiler.Policy{Rules: []compiler.Rule{rule(allow, "read"), {Syscalls: []string{"getpidd"}, Action: allow, Comment: "typo"}}}
	_, err := compiler.Compile(p)
	const want = `rule 1 ("typo") Syscalls[0] "getpidd": unknown syscall`
	if err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
