package compiler_test

import (
	"bytes"
	"flag"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"golang.org/x/net/bpf"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
// Review the diff of a rewritten file before committing it.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

// goldenPolicies are small policies whose listings are reviewed by hand.
var goldenPolicies = []struct {
	name string
	p    compiler.Policy
}{
	{"small_x86_64", compiler.Policy{
		Arches: []string{"x86_64"}, Default: eperm,
		Rules: []compiler.Rule{
			{Syscalls: []string{"read", "write", "close", "exit_group", "futex", "mmap"}, Action: allow, Comment: "runtime"},
			{Syscalls: []string{"socket"}, Action: allow, Conds: []compiler.Cond{compiler.Arg(0).LT(3)}, Comment: "AF_UNIX, AF_INET"},
			{Syscalls: []string{"socket"}, Action: allow, Conds: []compiler.Cond{compiler.Arg(0).EQ(10)}, Comment: "AF_INET6"},
			{Syscalls: []string{"clone"}, Action: allow, Conds: []compiler.Cond{compiler.Arg(0).MaskedEQ(0x7e020000, 0)}, Comment: "no namespaces"},
			{Syscalls: []string{"personality"}, Action: allow, Conds: []compiler.Cond{compiler.Arg(0).Low32().EQ(0xffffffff)}},
			{Syscalls: []string{"clone3"}, Action: enosys},
		},
	}},
	{"multi_abi", compiler.Policy{
		Arches: []string{"x86_64", "i386", "x32"}, Default: kill, Hot: []string{"futex"},
		Rules: []compiler.Rule{
			{Syscalls: []string{"read", "write", "futex", "exit_group"}, Action: allow},
			{Syscalls: []string{"ioctl"}, Action: compiler.Errno(25), Conds: []compiler.Cond{compiler.Arg(1).EQ(0x5401)}},
		},
	}},
	{"s390x", compiler.Policy{
		Arches: []string{"s390x"}, Default: eperm,
		Rules: []compiler.Rule{
			{Syscalls: []string{"read", "write"}, Action: allow},
			{Syscalls: []string{"lseek"}, Action: allow, Conds: []compiler.Cond{compiler.Arg(1).LE(0x100000000)}},
		},
	}},
}

func TestGoldenListings(t *testing.T) {
	for _, g := range goldenPolicies {
		t.Run(g.name, func(t *testing.T) {
			prog, err := compiler.Compile(&g.p)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := compiler.Check(&g.p, prog); err != nil {
				t.Fatal(err)
			}
			golden(t, g.name+".golden", prog.String())
			// Disassemble names the same things without provenance.
			plain := compiler.Disassemble(prog.Insns, prog.Arches...)
			for i, line := range strings.Split(strings.TrimSuffix(plain, "\n"), "\n") {
				if strings.Contains(line, "#") {
					t.Errorf("Disassemble line %d has an annotation: %q", i, line)
				}
			}
		})
	}
}

// TestDisassembleForeign lists a libseccomp-shaped program (arch check,
// x32 filter, a jeq chain) for which it knows nothing but the bytes.
func TestDisassembleForeign(t *testing.T) {
	raw, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xc000003e, SkipFalse: 9},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: 0x40000000, SkipTrue: 7},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipTrue: 5},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 41, SkipFalse: 3},
		bpf.LoadAbsolute{Off: 20, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipFalse: 2},
		bpf.RetConstant{Val: 0x7ffc0000},
		bpf.RetConstant{Val: 0x00050001},
		bpf.RetConstant{Val: 0x7fff0000},
		bpf.RetConstant{Val: 0x00010000},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "foreign.golden", compiler.Disassemble(raw))
	// With the arch known only from the caller, numbers are still named.
	x86, _ := arch.Lookup("x86_64")
	unchecked := raw[2:]
	if s := compiler.Disassemble(unchecked, x86); !strings.Contains(s, "if (A == write)") {
		t.Errorf("numbers not named from the given ABI:\n%s", s)
	}
}

func TestMarshalBinary(t *testing.T) {
	prog, err := compiler.Compile(&goldenPolicies[0].p)
	if err != nil {
		t.Fatal(err)
	}
	b, err := prog.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 8*len(prog.Insns) {
		t.Fatalf("%d bytes for %d instructions", len(b), len(prog.Insns))
	}
	// struct sock_filter { __u16 code; __u8 jt, jf; __u32 k; } in host order
	// (this test runs on little-endian machines only).
	if !bytes.Equal(b[:8], []byte{0x20, 0, 0, 0, 4, 0, 0, 0}) {
		t.Errorf("first instruction encodes as % x, want ld [4]", b[:8])
	}
	back, err := compiler.UnmarshalInsns(b)
	if err != nil || !slices.Equal(back, prog.Insns) {
		t.Errorf("round trip: %v", err)
	}
	if _, err := compiler.UnmarshalInsns(b[:13]); err == nil {
		t.Error("13 bytes decoded without an error")
	}
}

func TestGoSource(t *testing.T) {
	prog, err := compiler.Compile(&goldenPolicies[0].p)
	if err != nil {
		t.Fatal(err)
	}
	src := prog.GoSource("sandbox", "filter")
	f, err := parser.ParseFile(token.NewFileSet(), "filter.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("not Go: %v\n%s", err, src)
	}
	if f.Name.Name != "sandbox" || f.Scope.Lookup("filter") == nil {
		t.Errorf("no package sandbox / var filter in\n%s", src)
	}
	if n := bytes.Count(src, []byte("{Op: ")); n != len(prog.Insns) {
		t.Errorf("%d instructions in the source, want %d", n, len(prog.Insns))
	}
	golden(t, "small_x86_64.go.golden", string(src))
}
