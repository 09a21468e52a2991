package profile

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/compiler"
)

// TestRoundTripProfile: Parse → MarshalJSON → Parse keeps every field.
func TestRoundTripProfile(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := Parse(loadable(t, f))
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.MarshalIndent(p, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			q, err := Parse(out)
			if err != nil {
				t.Fatalf("reparse: %v\n%s", err, out)
			}
			normalizeEmpty(p)
			normalizeEmpty(q)
			if !reflect.DeepEqual(p, q) {
				t.Errorf("round trip changed the profile:\n%+v\n%+v", p, q)
			}
		})
	}
}

// roundTripOptions are the evaluations every corpus profile goes through
// for the load → write → load test.
var roundTripOptions = map[string]Options{
	"x86_64":          {Arches: []string{"x86_64"}, Kernel: "6.18"},
	"x86 family":      {Arches: x86, Kernel: "6.18"},
	"x86 old kernel":  {Arches: x86, Kernel: "4.4", Caps: []string{}},
	"x86 all caps":    {Arches: x86, Kernel: "6.18", Caps: []string{"ALL"}, RuncUnknown: true},
	"arm64 arm":       {Arches: []string{"aarch64", "arm"}, Kernel: "6.1"},
	"s390x s390":      {Arches: []string{"s390x", "s390"}, Kernel: "6.1", Caps: PodmanDefaultCaps()},
	"mips64 family":   {Arches: []string{"mips64", "mips", "mips64n32"}, Kernel: "6.1"},
	"mipsel64n32":     {Arches: []string{"mipsel64n32", "mipsel", "mipsel64"}, Kernel: "6.1"},
	"ppc64le":         {Arches: []string{"ppc64le"}, Kernel: "6.1"},
	"riscv64 loong64": {Arches: []string{"riscv64", "loong64"}, Kernel: "6.1"},
	"host amd64":      {Arches: x86, Kernel: "6.18", Host: "amd64"},
}

// TestRoundTripPolicy: load → Policy → FromPolicy → JSON → load → Policy
// gives the same rules, for every corpus profile and several targets.
func TestRoundTripPolicy(t *testing.T) {
	for _, f := range corpusFiles(t) {
		p, err := Parse(loadable(t, f))
		if err != nil {
			t.Fatal(err)
		}
		for name, o := range roundTripOptions {
			t.Run(filepath.Base(f)+"/"+name, func(t *testing.T) {
				pol, _, err := p.Policy(o)
				if err != nil {
					t.Fatal(err)
				}
				back, err := FromPolicy(pol)
				if err != nil {
					t.Fatal(err)
				}
				data, err := json.Marshal(back)
				if err != nil {
					t.Fatal(err)
				}
				q, err := Parse(data)
				if err != nil {
					t.Fatalf("reparse: %v\n%s", err, data)
				}
				// The written profile names its ABIs and holds no caps or
				// kernel conditions any more; only RuncUnknown still matters.
				pol2, _, err := q.Policy(Options{Arches: pol.Arches, RuncUnknown: o.RuncUnknown})
				if err != nil {
					t.Fatal(err)
				}
				if a, b := structure(pol), structure(pol2); a != b {
					t.Errorf("round trip changed the policy:\n%s\n%s", diffLines(a, b), data)
				}
				if len(pol.Arches) > 1 && len(q.ArchMap) != len(pol.Arches) {
					t.Errorf("%d ABIs written as %d archMap entries", len(pol.Arches), len(q.ArchMap))
				}
			})
		}
	}
}

func TestFromPolicyJSON(t *testing.T) {
	pol := &compiler.Policy{
		Arches:  []string{"amd64"},
		Default: compiler.Errno(1),
		Rules: []compiler.Rule{
			{Syscalls: []string{"read", "write"}, Action: compiler.Allow},
			{Syscalls: []string{"socket"}, Action: compiler.Allow, Conds: []compiler.Cond{
				compiler.Arg(0).EQ(1), compiler.Arg(1).Low32().EQ(0x1_0000_0002), compiler.Arg(2).MaskedEQ(0xf0, 0x10)}},
			{Syscalls: []string{"clone3"}, Action: compiler.Errno(38), Comment: "syscalls[20]: glibc falls back to clone"},
			{Syscalls: []string{"ptrace"}, Action: compiler.Trace(0), Arches: []string{"x86_64"}},
			{Syscalls: []string{"kill"}, Action: compiler.KillProcess, Arches: []string{"aarch64"}},
		},
	}
	p, err := FromPolicy(pol)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],"syscalls":[` +
		`{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},` +
		`{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"SCMP_CMP_EQ"},` +
		`{"index":1,"value":4294967295,"valueTwo":2,"op":"SCMP_CMP_MASKED_EQ"},{"index":2,"value":240,"valueTwo":16,"op":"SCMP_CMP_MASKED_EQ"}]},` +
		`{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"comment":"glibc falls back to clone"},` +
		`{"names":["ptrace"],"action":"SCMP_ACT_TRACE","errnoRet":0}]}`
	if string(got) != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}

func TestFromPolicyArchMap(t *testing.T) {
	pol := &compiler.Policy{
		Arches:  x86,
		Default: compiler.KillProcess,
		Rules: []compiler.Rule{
			{Syscalls: []string{"arch_prctl"}, Action: compiler.Allow, Arches: []string{"x86_64", "x32"}},
			// Number 0 is read on x86_64, restart_syscall on i386, and
			// nothing on x32 (whose numbers carry bit 30).
			{Numbers: []uint32{0}, Action: compiler.Log, Arches: []string{"x86_64", "i386"}},
			{Numbers: []uint32{0x40000000}, Action: compiler.Log, Arches: []string{"x32"}},
		},
	}
	p, err := FromPolicy(pol)
	if err != nil {
		t.Fatal(err)
	}
	wantMap := []ArchMap{
		{Arch: "SCMP_ARCH_X86_64", SubArches: []string{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
		{Arch: "SCMP_ARCH_X86", SubArches: []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X32"}},
		{Arch: "SCMP_ARCH_X32", SubArches: []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}},
	}
	if !reflect.DeepEqual(p.ArchMap, wantMap) || p.Architectures != nil {
		t.Errorf("archMap %+v architectures %v", p.ArchMap, p.Architectures)
	}
	var got []string
	for _, s := range p.Syscalls {
		got = append(got, strings.Join(s.Names, ",")+" "+strings.Join(s.Includes.Arches, ","))
	}
	want := []string{"arch_prctl amd64,x32", "read amd64", "restart_syscall x86", "read x32"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	// Read back, it means the same as the policy.
	data, err := p.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	pol2, _ := mustPolicy(t, mustParse(t, string(data)), Options{Arches: x86})
	if a, b := meaning(t, pol), meaning(t, pol2); a != b {
		t.Errorf("meaning changed:\n%s", diffLines(a, b))
	}
}

func TestFromPolicyErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		pol  *compiler.Policy
		err  error
	}{
		{"nil", nil, ErrMissing},
		{"trap data", &compiler.Policy{Default: compiler.Trap(3)}, ErrNotRepresentable},
		{"trap data rule", &compiler.Policy{Rules: []compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Trap(1)}}}, ErrNotRepresentable},
		{"two conds one arg", &compiler.Policy{Rules: []compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow,
			Conds: []compiler.Cond{compiler.Arg(0).GE(5), compiler.Arg(0).LE(10)}}}}, ErrNotRepresentable},
		{"low32 order on 64-bit", &compiler.Policy{Arches: []string{"x86_64", "i386"}, Rules: []compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow,
			Conds: []compiler.Cond{compiler.Arg(0).Low32().LT(5)}}}}, ErrNotRepresentable},
		{"arg index", &compiler.Policy{Rules: []compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow,
			Conds: []compiler.Cond{{Arg: 6, Op: compiler.OpEQ}}}}}, ErrArgIndex},
		{"unknown number", &compiler.Policy{Arches: []string{"x86_64"}, Rules: []compiler.Rule{{Numbers: []uint32{9999}, Action: compiler.Allow}}}, ErrNotRepresentable},
		{"numbers differ on one ABI list", &compiler.Policy{Arches: []string{"x86_64"}, Rules: []compiler.Rule{{Numbers: []uint32{0}, Action: compiler.Allow}}}, nil},
		{"bad arch", &compiler.Policy{Arches: []string{"vax"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromPolicy(tc.pol)
			switch {
			case tc.err == nil && tc.name == "bad arch":
				if err == nil {
					t.Error("no error")
				}
			case tc.err == nil:
				if err != nil {
					t.Error(err)
				}
			case !errors.Is(err, tc.err):
				t.Errorf("err %v, want %v", err, tc.err)
			}
		})
	}
	// Low32 orderings are fine where every ABI is 32-bit anyway, and
	// identical conditions collapse.
	p, err := FromPolicy(&compiler.Policy{Arches: []string{"i386"}, Rules: []compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow,
		Conds: []compiler.Cond{compiler.Arg(0).Low32().LT(5), compiler.Arg(0).Low32().LT(5)}}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Arg{{Index: 0, Value: 5, Op: OpLessThan}}; !reflect.DeepEqual(p.Syscalls[0].Args, want) {
		t.Errorf("args %+v, want %+v", p.Syscalls[0].Args, want)
	}
}

func TestMarshalChecks(t *testing.T) {
	p := &Profile{DefaultAction: "SCMP_ACT_NOPE"}
	if _, err := json.Marshal(p); !errors.Is(err, ErrUnknownAction) {
		t.Errorf("marshal of a bad profile: %v", err)
	}
	var q Profile
	if err := json.Unmarshal([]byte(`{"defaultAction": "SCMP_ACT_LOG", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}`), &q); err != nil {
		t.Fatal(err)
	}
	if q.DefaultAction != ActLog || len(q.Syscalls) != 1 {
		t.Errorf("UnmarshalJSON: %+v", q)
	}
	if err := json.Unmarshal([]byte(`{"defaultAction": "SCMP_ACT_LOG", "flags": ["x"]}`), &q); !errors.Is(err, ErrUnknownFlag) {
		t.Errorf("UnmarshalJSON of a bad profile: %v", err)
	}
}
