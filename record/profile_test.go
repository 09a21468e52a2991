package record

import (
	"bytes"
	"errors"
	"go/parser"
	"go/token"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/vm"
)

// call is one recorded call: ABI, name, and the value of the argument
// Options.Args records, if any.
type call struct {
	abi, name string
	arg       int
	val       uint64
	hasVal    bool
}

// fakeRecording builds a Recording as a backend would fill it.
func fakeRecording(t testing.TB, calls ...call) *Recording {
	t.Helper()
	r := &Recording{Command: []string{"prog", "--flag", "it's"}, Backend: "test", Counts: map[Key]uint64{}, ArgValues: map[ArgKey]map[uint64]uint64{}}
	for _, c := range calls {
		a, err := arch.Lookup(c.abi)
		if err != nil {
			t.Fatal(err)
		}
		nr, ok := a.Syscall(c.name)
		if !ok {
			t.Fatalf("%s has no %s", c.abi, c.name)
		}
		k := Key{Arch: a.Name, Nr: nr, Name: c.name}
		r.add(k, 1)
		if c.hasVal {
			r.addArg(ArgKey{Key: k, Arg: c.arg}, c.val, 1)
		}
	}
	return r
}

func plain(abi string, names ...string) []call {
	var cs []call
	for _, n := range names {
		cs = append(cs, call{abi: abi, name: n})
	}
	return cs
}

func withArg(abi, name string, arg int, vals ...uint64) []call {
	var cs []call
	for _, v := range vals {
		cs = append(cs, call{abi: abi, name: name, arg: arg, val: v, hasVal: true})
	}
	return cs
}

// evalProfile evaluates p as a runtime would (after a JSON round trip) and
// returns the action for name on abi with argument arg = val.
func evalProfile(t testing.TB, p *profile.Profile, abis []string) func(abi, name string, arg int, val uint64) compiler.Action {
	t.Helper()
	js, err := p.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	back, err := profile.Parse(js)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, js)
	}
	pol, _, err := back.Policy(profile.Options{Arches: abis})
	if err != nil {
		t.Fatalf("Policy: %v\n%s", err, js)
	}
	return evalPolicy(t, pol)
}

func evalPolicy(t testing.TB, pol *compiler.Policy) func(abi, name string, arg int, val uint64) compiler.Action {
	return func(abi, name string, arg int, val uint64) compiler.Action {
		a, err := arch.Lookup(abi)
		if err != nil {
			t.Fatal(err)
		}
		nr, ok := a.Syscall(name)
		if !ok {
			t.Fatalf("%s has no %s", abi, name)
		}
		d := vm.Data{Nr: nr, Arch: a.AuditArch}
		d.Args[arg] = val
		return pol.Eval(a, d)
	}
}

var eperm = compiler.Errno(1)

func TestProfileShape(t *testing.T) {
	var calls []call
	calls = append(calls, plain("x86_64", "read", "write", "openat", "execve", "exit_group", "read")...)
	calls = append(calls, plain("i386", "write", "exit")...)
	calls = append(calls, withArg("x86_64", "ioctl", 1, 0x5401, 0x5413, 0x5401)...)
	calls = append(calls, withArg("x86_64", "socket", 0, 2)...)
	r := fakeRecording(t, calls...)
	p, err := r.Profile(ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.DefaultAction != profile.ActErrno || (p.DefaultErrnoRet != nil && *p.DefaultErrnoRet != 1) {
		t.Errorf("default = %s %v, want SCMP_ACT_ERRNO with EPERM", p.DefaultAction, p.DefaultErrnoRet)
	}
	if want := []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}; !slices.Equal(p.Architectures, want) {
		t.Errorf("architectures = %v, want %v", p.Architectures, want)
	}
	wantNames := []string{"execve", "exit", "exit_group", "openat", "read", "write"}
	wantEntries := []profile.Syscall{
		{Names: wantNames, Action: profile.ActAllow},
		{Names: []string{"ioctl"}, Action: profile.ActAllow, Args: []profile.Arg{{Index: 1, Value: 0x5401, Op: profile.OpEqualTo}}},
		{Names: []string{"ioctl"}, Action: profile.ActAllow, Args: []profile.Arg{{Index: 1, Value: 0x5413, Op: profile.OpEqualTo}}},
		{Names: []string{"socket"}, Action: profile.ActAllow, Args: []profile.Arg{{Index: 0, Value: 2, Op: profile.OpEqualTo}}},
	}
	if !reflect.DeepEqual(p.Syscalls, wantEntries) {
		t.Errorf("syscalls =\n%+v\nwant\n%+v", p.Syscalls, wantEntries)
	}

	// What the profile means, read back as a runtime would.
	eval := evalProfile(t, p, nil)
	tests := []struct {
		abi, name string
		arg       int
		val       uint64
		want      compiler.Action
	}{
		{"x86_64", "read", 0, 0, compiler.Allow},
		{"x86_64", "exit", 0, 0, compiler.Allow}, // recorded on i386 only: names are merged across ABIs
		{"i386", "write", 0, 0, compiler.Allow},
		{"x86_64", "ioctl", 1, 0x5401, compiler.Allow},
		{"x86_64", "ioctl", 1, 0x5413, compiler.Allow},
		{"x86_64", "ioctl", 1, 0x5402, eperm},
		{"x86_64", "socket", 0, 2, compiler.Allow},
		{"x86_64", "socket", 0, 1, eperm},
		{"x86_64", "ptrace", 0, 0, eperm},
		{"i386", "ptrace", 0, 0, eperm},
	}
	for _, tt := range tests {
		if got := eval(tt.abi, tt.name, tt.arg, tt.val); got != tt.want {
			t.Errorf("%s %s a%d=%#x: %v, want %v", tt.abi, tt.name, tt.arg, tt.val, got, tt.want)
		}
	}

	// Policy says the same as the profile.
	pol, err := r.Policy(ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	peval := evalPolicy(t, pol)
	for _, tt := range tests {
		if got, want := peval(tt.abi, tt.name, tt.arg, tt.val), eval(tt.abi, tt.name, tt.arg, tt.val); got != want {
			t.Errorf("Policy: %s %s a%d=%#x: %v, profile says %v", tt.abi, tt.name, tt.arg, tt.val, got, want)
		}
	}

	// IgnoreArgs allows the names whatever the arguments.
	loose, err := r.Profile(ProfileOptions{IgnoreArgs: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(loose.Syscalls) != 1 || !slices.Contains(loose.Syscalls[0].Names, "ioctl") {
		t.Errorf("IgnoreArgs: syscalls = %+v, want one entry naming ioctl", loose.Syscalls)
	}
}

func TestProfileDefault(t *testing.T) {
	r := fakeRecording(t, plain("x86_64", "read")...)
	tests := []struct {
		def     compiler.Action
		action  string
		errno   uint
		wantErr bool
	}{
		{compiler.Action{}, profile.ActErrno, 1, false},
		{compiler.Errno(38), profile.ActErrno, 38, false},
		{compiler.KillProcess, profile.ActKillProcess, 0, false},
		{compiler.Log, profile.ActLog, 0, false},
		{compiler.Allow, "", 0, true},
		{compiler.UserNotif, "", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.def.String(), func(t *testing.T) {
			p, err := r.Profile(ProfileOptions{Default: tt.def})
			if tt.wantErr {
				if err == nil {
					t.Fatalf("Profile(default %v) succeeded", tt.def)
				}
				if _, err := r.Policy(ProfileOptions{Default: tt.def}); err == nil {
					t.Errorf("Policy(default %v) succeeded", tt.def)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var errno uint
			if p.DefaultErrnoRet != nil {
				errno = *p.DefaultErrnoRet
			} else if p.DefaultAction == profile.ActErrno {
				errno = 1
			}
			if p.DefaultAction != tt.action || errno != tt.errno {
				t.Errorf("default = %s(%d), want %s(%d)", p.DefaultAction, errno, tt.action, tt.errno)
			}
		})
	}
}

func TestProfileEmpty(t *testing.T) {
	r := &Recording{Counts: map[Key]uint64{{Arch: "x86_64", Nr: 999}: 3}}
	if _, err := r.Profile(ProfileOptions{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("Profile of an unnamed-only recording = %v, want ErrEmpty", err)
	}
	if _, err := r.Policy(ProfileOptions{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("Policy = %v, want ErrEmpty", err)
	}
	if got := r.Unnamed(); len(got) != 1 || got[0].Nr != 999 {
		t.Errorf("Unnamed = %v", got)
	}
}

func TestMerge(t *testing.T) {
	u := func(v uint) *uint { return &v }
	own := func(calls ...call) *profile.Profile {
		p, err := fakeRecording(t, calls...).Profile(ProfileOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		existing  *profile.Profile
		rec       []call
		wantWarn  []string // substrings, one per warning
		kept      []string // recorded names the merged profile may still deny
		check     func(t *testing.T, p *profile.Profile)
		wantAlloc []call // calls (beyond the recorded ones) that must be allowed
		wantDeny  []call // calls that must still be denied
	}{
		{
			name:     "union of two recordings",
			existing: own(append(plain("x86_64", "read", "write"), withArg("x86_64", "ioctl", 1, 0x5401)...)...),
			rec:      append(plain("x86_64", "read", "openat"), withArg("x86_64", "ioctl", 1, 0x5401, 0x5413)...),
			check: func(t *testing.T, p *profile.Profile) {
				if n := len(p.Syscalls); n != 4 {
					t.Errorf("%d entries, want 4 (names, ioctl 0x5401, names added, ioctl 0x5413): %+v", n, p.Syscalls)
				}
			},
			wantAlloc: plain("x86_64", "write"),
			wantDeny:  append(plain("x86_64", "ptrace"), withArg("x86_64", "ioctl", 1, 0x1234)...),
		},
		{
			name: "a deliberate errno is kept",
			existing: &profile.Profile{DefaultAction: profile.ActErrno, Architectures: []string{"SCMP_ARCH_X86_64"}, Syscalls: []profile.Syscall{
				{Names: []string{"read"}, Action: profile.ActAllow},
				{Names: []string{"clone3"}, Action: profile.ActErrno, ErrnoRet: u(38)},
			}},
			rec:      plain("x86_64", "read", "clone3", "clone"),
			wantWarn: []string{"clone3: kept syscalls[1]"},
			kept:     []string{"clone3"},
		},
		{
			name: "conditions kept when the recording has no values",
			existing: &profile.Profile{DefaultAction: profile.ActErrno, Syscalls: []profile.Syscall{
				{Names: []string{"clone"}, Action: profile.ActAllow, Args: []profile.Arg{{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: profile.OpMaskedEqual}}},
			}},
			rec:      plain("x86_64", "clone", "exit"),
			wantWarn: []string{"clone: kept the conditions of syscalls[0]"},
			kept:     []string{"clone"},
			wantDeny: withArg("x86_64", "clone", 0, 0x10000000), // CLONE_NEWUSER still refused
		},
		{
			name: "recorded values are added next to conditions",
			existing: &profile.Profile{DefaultAction: profile.ActErrno, Syscalls: []profile.Syscall{
				{Names: []string{"clone"}, Action: profile.ActAllow, Args: []profile.Arg{{Index: 0, Value: 0x7e020000, ValueTwo: 0, Op: profile.OpMaskedEqual}}},
			}},
			rec:       withArg("x86_64", "clone", 0, 0x10000011),
			wantAlloc: withArg("x86_64", "clone", 0, 0x11),
			wantDeny:  withArg("x86_64", "clone", 0, 0x10000000),
		},
		{
			name: "allow-by-default profile needs nothing",
			existing: &profile.Profile{DefaultAction: profile.ActAllow, Syscalls: []profile.Syscall{
				{Names: []string{"ptrace"}, Action: profile.ActErrno},
			}},
			rec: plain("x86_64", "read", "write"),
			check: func(t *testing.T, p *profile.Profile) {
				if len(p.Syscalls) != 1 {
					t.Errorf("entries = %+v, want the one ptrace entry", p.Syscalls)
				}
			},
			wantDeny: plain("x86_64", "ptrace"),
		},
		{
			name:     "no architectures gains the recorded compat ABI",
			existing: &profile.Profile{DefaultAction: profile.ActErrno, Syscalls: []profile.Syscall{{Names: []string{"read"}, Action: profile.ActAllow}}},
			rec:      append(plain("x86_64", "read"), plain("i386", "write")...),
			check: func(t *testing.T, p *profile.Profile) {
				if want := []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}; !slices.Equal(p.Architectures, want) {
					t.Errorf("architectures = %v, want %v", p.Architectures, want)
				}
			},
		},
		{
			name: "archMap: the native entry gains the ABI",
			existing: &profile.Profile{DefaultAction: profile.ActErrno, ArchMap: []profile.ArchMap{
				{Arch: "SCMP_ARCH_AARCH64", SubArches: []string{"SCMP_ARCH_ARM"}},
				{Arch: "SCMP_ARCH_X86_64", SubArches: []string{"SCMP_ARCH_X32"}},
			}},
			rec: append(plain("x86_64", "read"), plain("i386", "write")...),
			check: func(t *testing.T, p *profile.Profile) {
				want := []profile.ArchMap{
					{Arch: "SCMP_ARCH_AARCH64", SubArches: []string{"SCMP_ARCH_ARM"}},
					{Arch: "SCMP_ARCH_X86_64", SubArches: []string{"SCMP_ARCH_X32", "SCMP_ARCH_X86"}},
				}
				if !reflect.DeepEqual(p.ArchMap, want) {
					t.Errorf("archMap = %+v, want %+v", p.ArchMap, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if arch.Native().Name != "x86_64" {
				t.Skip("cases are written for an x86_64 host")
			}
			before, err := tt.existing.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			r := fakeRecording(t, tt.rec...)
			p, warns, err := Merge(tt.existing, r, ProfileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if after, _ := tt.existing.MarshalJSON(); !bytes.Equal(before, after) {
				t.Errorf("Merge changed the existing profile:\n%s\n%s", before, after)
			}
			if len(warns) != len(tt.wantWarn) {
				t.Errorf("warnings = %q, want %d", warns, len(tt.wantWarn))
			}
			for i, w := range tt.wantWarn {
				if i < len(warns) && !strings.Contains(warns[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, warns[i], w)
				}
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			var abis []string
			for _, a := range r.Arches() {
				abis = append(abis, a.Name)
			}
			eval := evalProfile(t, p, abis)
			for _, c := range append(slices.Clone(tt.rec), tt.wantAlloc...) {
				if slices.Contains(tt.kept, c.name) {
					continue
				}
				if got := eval(c.abi, c.name, c.arg, c.val); got != compiler.Allow {
					t.Errorf("%s %s a%d=%#x: %v, want ALLOW", c.abi, c.name, c.arg, c.val, got)
				}
			}
			for _, c := range tt.wantDeny {
				if got := eval(c.abi, c.name, c.arg, c.val); got == compiler.Allow {
					t.Errorf("%s %s a%d=%#x: ALLOW, want it denied", c.abi, c.name, c.arg, c.val)
				}
			}
			// Merging the same recording again changes nothing.
			again, _, err := Merge(p, r, ProfileOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, p) {
				t.Errorf("second Merge changed the profile:\n%+v\n%+v", p, again)
			}
		})
	}
	if _, _, err := Merge(nil, fakeRecording(t), ProfileOptions{}); err == nil {
		t.Error("Merge(nil profile) succeeded")
	}
	if _, _, err := Merge(&profile.Profile{DefaultAction: profile.ActErrno}, nil, ProfileOptions{}); err == nil {
		t.Error("Merge(nil recording) succeeded")
	}
}

func TestGoSource(t *testing.T) {
	r := fakeRecording(t, append(plain("x86_64", "read", "write", "openat", "close", "mmap", "munmap", "futex", "exit_group"), withArg("x86_64", "ioctl", 1, 0x5401)...)...)
	src, err := r.GoSource("sandbox", ProfileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "policy.go", src, parser.ParseComments)
	if err != nil {
		t.Fatalf("generated source does not parse: %v\n%s", err, src)
	}
	if f.Name.Name != "sandbox" {
		t.Errorf("package %s, want sandbox", f.Name.Name)
	}
	for _, want := range []string{
		`// Recorded: prog --flag 'it'\''s'`,
		`Arches:  []string{"x86_64"},`,
		`Default: compiler.Errno(1),`,
		`"exit_group", "futex", "mmap", "munmap", "openat", "read", "write"`,
		`{Action: compiler.Allow, Syscalls: []string{"ioctl"}, Conds: []compiler.Cond{compiler.Arg(1).EQ(0x5401)}},`,
		`_, err := seccomp.Install(Policy)`,
	} {
		if !bytes.Contains(src, []byte(want)) {
			t.Errorf("generated source lacks %q:\n%s", want, src)
		}
	}
	if _, err := r.GoSource("not a name", ProfileOptions{}); err == nil {
		t.Error("GoSource with a bad package name succeeded")
	}
}

func TestSummary(t *testing.T) {
	r := fakeRecording(t, append(plain("x86_64", "read", "read", "read", "write"), withArg("x86_64", "ioctl", 1, 0x5413, 0x5401)...)...)
	r.Counts[Key{Arch: "x86_64", Nr: 999}] = 2
	var b bytes.Buffer
	if err := r.Summary(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"recorded: prog --flag 'it'\\''s'\n",
		"backend test, exit status 0, 4 syscalls on 1 ABI(s), 8 calls",
		"not in the syscall tables (a profile cannot name them): x86_64:#999",
		"x86_64:ioctl a1: 0x5401 (1), 0x5413 (1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	// Most frequent first.
	if i, j := strings.Index(out, " read "), strings.Index(out, " write "); i < 0 || j < 0 || i > j {
		t.Errorf("read (3 calls) should come before write (1):\n%s", out)
	}
}

func TestKeyOf(t *testing.T) {
	tests := []struct {
		audit, nr uint32
		want      Key
	}{
		{0xc000003e, 0, Key{Arch: "x86_64", Nr: 0, Name: "read"}},
		{0xc000003e, 0x40000000, Key{Arch: "x32", Nr: 0x40000000, Name: "read"}},
		{0xc000003e, 0x40000000 | 512, Key{Arch: "x32", Nr: 0x40000000 | 512, Name: "rt_sigaction"}},
		{0x40000003, 11, Key{Arch: "i386", Nr: 11, Name: "execve"}},
		{0xc000003e, 5000, Key{Arch: "x86_64", Nr: 5000}},
		{0x12345678, 1, Key{Arch: "audit:0x12345678", Nr: 1}},
	}
	for _, tt := range tests {
		if got := keyOf(tt.audit, tt.nr); got != tt.want {
			t.Errorf("keyOf(%#x, %#x) = %+v, want %+v", tt.audit, tt.nr, got, tt.want)
		}
	}
}
