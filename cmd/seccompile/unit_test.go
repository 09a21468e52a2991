package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/compiler"
)

func TestParseUint64(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true},
		{"40", 40, true},
		{"010", 10, true}, // decimal, not octal
		{"0x28", 40, true},
		{"0X7E020000", 0x7e020000, true},
		{"18446744073709551615", 1<<64 - 1, true},
		{"0xffffffffffffffff", 1<<64 - 1, true},
		{"-1", 1<<64 - 1, true},
		{"-100", 1<<64 - 100, true}, // AT_FDCWD
		{"18446744073709551616", 0, false},
		{"0x10000000000000000", 0, false},
		{"0b101", 0, false},
		{"", 0, false},
		{"1e3", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseUint64(tt.in)
			if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
				t.Errorf("parseUint64(%q) = %#x, %v; want %#x, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	got, err := parseArgs("40, 0x1,2,3,4,-1")
	want := [6]uint64{40, 1, 2, 3, 4, 1<<64 - 1}
	if err != nil || got != want {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
	if got, err := parseArgs(""); err != nil || got != ([6]uint64{}) {
		t.Errorf("empty: got %v, %v", got, err)
	}
	for _, bad := range []string{"1,2,3,4,5,6,7", "1,,2", "x"} {
		if _, err := parseArgs(bad); err == nil {
			t.Errorf("parseArgs(%q) succeeded", bad)
		}
	}
}

func TestParseIntermixed(t *testing.T) {
	c := &command{name: "test"}
	tests := []struct {
		name       string
		args       []string
		intermixed bool
		wantPos    []string
		wantArch   string
	}{
		{"flags first", []string{"--arch", "arm64", "a.bpf"}, true, []string{"a.bpf"}, "arm64"},
		{"flags after", []string{"a.bpf", "--arch", "arm64"}, true, []string{"a.bpf"}, "arm64"},
		{"flags between", []string{"a.json", "--arch=arm64", "b.json"}, true, []string{"a.json", "b.json"}, "arm64"},
		{"double dash ends flags", []string{"--arch", "386", "--", "--arch", "x"}, true, []string{"--arch", "x"}, "386"},
		{"stdin dash is positional", []string{"-", "--arch", "386"}, true, []string{"-"}, "386"},
		{"command keeps its flags", []string{"--arch", "386", "--", "ls", "-l", "--arch"}, false, []string{"ls", "-l", "--arch"}, "386"},
		{"command without double dash", []string{"--arch", "386", "ls", "--arch", "x"}, false, []string{"ls", "--arch", "x"}, "386"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := newFlagSet(c)
			a := fs.String("arch", "", "")
			e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
			pos, err := parse(e, c, fs, tt.args, tt.intermixed)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(pos, tt.wantPos) || *a != tt.wantArch {
				t.Errorf("positional %q, --arch %q; want %q, %q", pos, *a, tt.wantPos, tt.wantArch)
			}
		})
	}
}

func TestDescribeRanges(t *testing.T) {
	const max64 = 1<<64 - 1
	tests := []struct {
		rs   [][2]uint64
		max  uint64
		want string
	}{
		{[][2]uint64{{40, 40}}, max64, "a0 == 40"},
		{[][2]uint64{{0, 39}, {41, max64}}, max64, "a0 != 40"},
		{[][2]uint64{{2, 2}, {10, 10}}, max64, "a0 in {2, 10}"},
		{[][2]uint64{{0, 1}, {3, 7}, {9, max64}}, max64, "a0 not in {2, 8}"},
		{[][2]uint64{{0, 8}}, max64, "a0 <= 8"},
		{[][2]uint64{{9, max64}}, max64, "a0 >= 9"},
		{[][2]uint64{{0x1000, 0x1fff}}, max64, "a0 in 0x1000..0x1fff"},
		{[][2]uint64{{0, 2}, {3, 5}}, max64, "a0 <= 5"}, // adjacent ranges merge
		{[][2]uint64{{0, 2}, {7, 10}, {20, max64}}, max64, "(a0 <= 2 || a0 in 7..10 || a0 >= 20)"},
		{[][2]uint64{{0, 0xfffffffe}}, 0xffffffff, "a0 != 0xffffffff"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := describeRanges("a0", tt.rs, tt.max); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCondText(t *testing.T) {
	c := compiler.Arg(2).MaskedEQ(0x7e020000, 0)
	if got := condText(c, 1<<64-1, false); got != "a2 & 0x7e020000 == 0" {
		t.Errorf("got %q", got)
	}
	if got := condText(c, 1<<64-1, true); got != "a2 & 0x7e020000 != 0" {
		t.Errorf("negated: got %q", got)
	}
	if got := condText(compiler.Arg(0).Low32().LT(3), 1<<64-1, true); got != "a0.lo >= 3" {
		t.Errorf("negated LT: got %q", got)
	}
}

// logPolicy must keep every call's outcome class: TRAP and ALLOW stay, the
// rest reaches the supervisor.
func TestLogPolicy(t *testing.T) {
	pol := &compiler.Policy{
		Default: compiler.Errno(1),
		Rules: []compiler.Rule{
			{Syscalls: []string{"read"}, Action: compiler.Allow},
			{Syscalls: []string{"getppid"}, Action: compiler.Trap(3)},
			{Syscalls: []string{"getpid"}, Action: compiler.Log},
			{Syscalls: []string{"ptrace"}, Action: compiler.KillProcess},
		},
	}
	lp := logPolicy(pol)
	want := []compiler.Action{compiler.Allow, compiler.Trap(3), compiler.UserNotif, compiler.UserNotif}
	for i, r := range lp.Rules {
		if r.Action != want[i] {
			t.Errorf("rule %d: %v, want %v", i, r.Action, want[i])
		}
	}
	if lp.Default != compiler.UserNotif || lp.BadArch != compiler.UserNotif || lp.Unknown != compiler.UserNotif {
		t.Errorf("default %v, bad arch %v, unknown %v; want USER_NOTIF", lp.Default, lp.BadArch, lp.Unknown)
	}
	if pol.Rules[3].Action != compiler.KillProcess {
		t.Error("logPolicy changed the original policy")
	}
}

func FuzzDecodeProgram(f *testing.F) {
	if b, err := os.ReadFile(libseccomp); err == nil {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x06, 0, 0, 0, 0, 0, 0xff, 0x7f})
	f.Add([]byte("not a program"))
	f.Fuzz(func(t *testing.T, data []byte) {
		insns, err := decodeProgram("fuzz", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz: ") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if len(insns)*8 != len(data) {
			t.Fatalf("%d instructions from %d bytes", len(insns), len(data))
		}
		for i, in := range insns {
			if binary.NativeEndian.Uint32(data[i*8+4:]) != in.K || data[i*8+2] != in.Jt {
				t.Fatalf("instruction %d decoded as %+v", i, in)
			}
		}
	})
}
