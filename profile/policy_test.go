package profile

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

var x86 = []string{"x86_64", "i386", "x32"}

// TestDockerDefaultFacts checks which rule groups of the corpus's Docker
// default apply on several hosts, against the numbers worked out by hand in
// shared/reference/profiles.md §2 ("Effective OCI output").
func TestDockerDefaultFacts(t *testing.T) {
	p := mustParse(t, string(readCorpus(t, "docker-default.json")))
	span := func(a, b int, more ...int) []int {
		var out []int
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
		return append(out, more...)
	}
	for _, tc := range []struct {
		name string
		o    Options
		want []int
	}{
		{"amd64", Options{Arches: []string{"amd64"}, Kernel: "4.8"}, span(0, 9, 12, 13, 18, 20, 22)},
		{"amd64 x86 x32", Options{Arches: x86, Kernel: "6.18"}, span(0, 9, 12, 13, 18, 20, 22)},
		{"amd64 kernel 4.4", Options{Arches: []string{"amd64"}, Kernel: "4.4"}, append([]int{0}, span(2, 9, 12, 13, 18, 20, 22)...)},
		{"amd64 SYS_ADMIN", Options{Arches: []string{"amd64"}, Kernel: "5.4", Caps: append(DockerDefaultCaps(), "CAP_SYS_ADMIN")}, span(0, 9, 12, 13, 17, 22)},
		// Group 11 holds ARM compat calls only (arm_fadvise64_64,
		// breakpoint...): no name of it exists on aarch64 itself.
		{"arm64", Options{Arches: []string{"arm64"}, Kernel: "5.4"}, span(0, 9, 18, 20, 22)},
		{"arm64 arm", Options{Arches: []string{"arm64", "arm"}, Kernel: "5.4"}, span(0, 9, 11, 18, 20, 22)},
		{"s390x", Options{Arches: []string{"s390x"}, Kernel: "5.4"}, span(0, 9, 14, 19, 20, 22)},
		{"ppc64le", Options{Arches: []string{"ppc64le"}, Kernel: "5.4"}, span(0, 10, 18, 20, 22)},
		{"riscv64", Options{Arches: []string{"riscv64"}, Kernel: "5.4"}, span(0, 9, 15, 18, 20, 22)},
		{"no caps", Options{Arches: []string{"amd64"}, Kernel: "5.4", Caps: []string{}}, span(0, 9, 12, 13, 18, 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, _ := mustPolicy(t, p, tc.o)
			if got := entries(t, pol); !slices.Equal(got, tc.want) {
				t.Errorf("groups %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDockerDefaultArchSpecific(t *testing.T) {
	p := mustParse(t, string(readCorpus(t, "docker-default.json")))
	pol, _ := mustPolicy(t, p, Options{Arches: x86, Kernel: "6.18"})
	arches := map[string][]string{}
	for _, r := range pol.Rules {
		arches[strings.Join(r.Syscalls, ",")] = r.Arches
	}
	// includes.arches [amd64, x32] → x86_64 and x32; [amd64, x32, x86] → all three.
	if got := arches["arch_prctl"]; !reflect.DeepEqual(got, []string{"x86_64", "x32"}) {
		t.Errorf("arch_prctl arches %v", got)
	}
	if got, ok := arches["modify_ldt"]; !ok || got != nil {
		t.Errorf("modify_ldt arches %v (present %v), want nil: every target ABI", got, ok)
	}
	// clone: arg0 MASKED_EQ with valueTwo omitted is (a0 & 0x7e020000) == 0.
	for _, r := range pol.Rules {
		if slices.Equal(r.Syscalls, []string{"clone"}) {
			want := []compiler.Cond{{Arg: 0, Op: compiler.OpMaskedEQ, Mask: 0x7e020000, Value: 0}}
			if !reflect.DeepEqual(r.Conds, want) {
				t.Errorf("clone conds %v, want %v", r.Conds, want)
			}
		}
		if slices.Equal(r.Syscalls, []string{"clone3"}) && r.Action != compiler.Errno(38) {
			t.Errorf("clone3 action %v, want ERRNO(38)", r.Action)
		}
	}
	if pol.Default != compiler.Errno(1) {
		t.Errorf("default %v", pol.Default)
	}
}

func TestRuncSemantics(t *testing.T) {
	const head = `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [`
	eq := func(i int, v uint64) compiler.Cond { return compiler.Cond{Arg: i, Op: compiler.OpEQ, Value: v} }
	for _, tc := range []struct {
		name  string
		rules string
		want  []compiler.Rule // Comment ignored
	}{
		{"no args", `{"names": ["read", "write", "read"], "action": "SCMP_ACT_ALLOW"}`,
			[]compiler.Rule{{Syscalls: []string{"read", "write"}, Action: compiler.Allow}}},
		{"old name form", `{"name": "read", "action": "SCMP_ACT_ALLOW", "args": []}`,
			[]compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow}}},
		{"different indexes AND", `{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [
			{"index": 0, "value": 16, "op": "SCMP_CMP_EQ"}, {"index": 2, "value": 9, "op": "SCMP_CMP_NE"}]}`,
			[]compiler.Rule{{Syscalls: []string{"socket"}, Action: compiler.Allow, Conds: []compiler.Cond{eq(0, 16), {Arg: 2, Op: compiler.OpNE, Value: 9}}}}},
		{"same index OR", `{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [
			{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}`,
			[]compiler.Rule{
				{Syscalls: []string{"personality"}, Action: compiler.Allow, Conds: []compiler.Cond{eq(0, 0)}},
				{Syscalls: []string{"personality"}, Action: compiler.Allow, Conds: []compiler.Cond{eq(0, 8)}}}},
		{"same index splits every condition", `{"names": ["getpid"], "action": "SCMP_ACT_LOG", "args": [
			{"index": 1, "value": 3, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}`,
			[]compiler.Rule{
				{Syscalls: []string{"getpid"}, Action: compiler.Log, Conds: []compiler.Cond{eq(1, 3)}},
				{Syscalls: []string{"getpid"}, Action: compiler.Log, Conds: []compiler.Cond{eq(0, 1)}},
				{Syscalls: []string{"getpid"}, Action: compiler.Log, Conds: []compiler.Cond{eq(0, 2)}}}},
		{"all operators", `{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [
			{"index": 0, "value": 1, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 2, "op": "SCMP_CMP_LT"},
			{"index": 2, "value": 3, "op": "SCMP_CMP_LE"}, {"index": 3, "value": 4, "op": "SCMP_CMP_GE"},
			{"index": 4, "value": 5, "op": "SCMP_CMP_GT"}, {"index": 5, "value": 240, "valueTwo": 16, "op": "SCMP_CMP_MASKED_EQ"}]}`,
			[]compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow, Conds: []compiler.Cond{
				{Arg: 0, Op: compiler.OpNE, Value: 1}, {Arg: 1, Op: compiler.OpLT, Value: 2}, {Arg: 2, Op: compiler.OpLE, Value: 3},
				{Arg: 3, Op: compiler.OpGE, Value: 4}, {Arg: 4, Op: compiler.OpGT, Value: 5}, {Arg: 5, Op: compiler.OpMaskedEQ, Mask: 240, Value: 16}}}}},
		{"64-bit value", `{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"}]}`,
			[]compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow, Conds: []compiler.Cond{eq(0, 1<<64-1)}}}},
		{"actions", `{"names": ["read"], "action": "SCMP_ACT_KILL"}, {"names": ["write"], "action": "SCMP_ACT_KILL_THREAD"},
			{"names": ["open"], "action": "SCMP_ACT_KILL_PROCESS"}, {"names": ["close"], "action": "SCMP_ACT_TRAP"},
			{"names": ["stat"], "action": "SCMP_ACT_TRACE"}, {"names": ["fstat"], "action": "SCMP_ACT_TRACE", "errnoRet": 7},
			{"names": ["lstat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}, {"names": ["poll"], "action": "SCMP_ACT_LOG"},
			{"names": ["lseek"], "action": "SCMP_ACT_NOTIFY"}, {"names": ["mmap"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["mprotect"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0}`,
			[]compiler.Rule{
				{Syscalls: []string{"read"}, Action: compiler.KillThread}, {Syscalls: []string{"write"}, Action: compiler.KillThread},
				{Syscalls: []string{"open"}, Action: compiler.KillProcess}, {Syscalls: []string{"close"}, Action: compiler.Trap(0)},
				{Syscalls: []string{"stat"}, Action: compiler.Trace(1)}, {Syscalls: []string{"fstat"}, Action: compiler.Trace(7)},
				{Syscalls: []string{"lstat"}, Action: compiler.Errno(38)}, {Syscalls: []string{"poll"}, Action: compiler.Log},
				{Syscalls: []string{"lseek"}, Action: compiler.UserNotif}, {Syscalls: []string{"mmap"}, Action: compiler.Allow},
				{Syscalls: []string{"mprotect"}, Action: compiler.Errno(0)}}},
		{"default action dropped", `{"names": ["read"], "action": "SCMP_ACT_ERRNO"}, {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
			{"names": ["open"], "action": "SCMP_ACT_ERRNO", "errnoRet": 2}`,
			[]compiler.Rule{{Syscalls: []string{"open"}, Action: compiler.Errno(2)}}},
		{"errnoRet ignored on allow", `{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5}`,
			[]compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow}}},
		{"podman errno wins", `{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "errno": "EINVAL"}, {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errno": "12"}`,
			[]compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Errno(22)}, {Syscalls: []string{"write"}, Action: compiler.Errno(12)}}},
		{"unknown names skipped", `{"names": ["read", "no_such_call", "_llseek"], "action": "SCMP_ACT_ALLOW"}, {"names": ["no_such_call"], "action": "SCMP_ACT_ALLOW"}`,
			[]compiler.Rule{{Syscalls: []string{"read"}, Action: compiler.Allow}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, head+tc.rules+`]}`)
			pol, _ := mustPolicy(t, p, Options{Arches: []string{"x86_64"}})
			for i := range pol.Rules {
				pol.Rules[i].Comment = ""
			}
			if !reflect.DeepEqual(pol.Rules, tc.want) {
				t.Errorf("rules\n got %+v\nwant %+v", pol.Rules, tc.want)
			}
			if pol.Default != compiler.Errno(1) || pol.Unknown.IsSet() {
				t.Errorf("default %v unknown %v, want ERRNO(1) and unset", pol.Default, pol.Unknown)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["read", "no_such_call", "_llseek"], "action": "SCMP_ACT_ALLOW"},
		{"names": ["read"], "action": "SCMP_ACT_ALLOW", "errnoRet": 5, "args": [{"index": 0, "value": 1, "valueTwo": 2, "op": "SCMP_CMP_EQ"}]},
		{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86_64", "vax"], "caps": ["sys_admin"]}}
	]}`)
	_, w, err := p.Policy(Options{Arches: []string{"x86_64", "i386"}, Caps: []string{"CAP_FOO"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range w {
		got = append(got, x.String())
	}
	want := []string{
		`Options.Caps: unknown capabilities CAP_FOO`,
		`syscalls[0].names: x86_64: unknown syscalls skipped: no_such_call, _llseek`,
		`syscalls[0].names: i386: unknown syscalls skipped: no_such_call`,
		`syscalls[1].errnoRet: ignored for SCMP_ACT_ALLOW, as runc does`,
		`syscalls[1].args[0].valueTwo: ignored for SCMP_CMP_EQ, as libseccomp does`,
		`syscalls[2].includes.arches: "x86_64" is not Docker's spelling ("amd64"): it matches x86_64 here but never in Docker`,
		`syscalls[2].includes.arches: unknown architecture "vax" never matches`,
		`syscalls[2].includes.caps: capability "sys_admin" is not a Linux capability name (CAP_...) and never matches`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w[1].Entry != 0 || w[1].Arch != "x86_64" || w[0].Entry != -1 {
		t.Errorf("warning fields: %+v %+v", w[0], w[1])
	}
}

func TestNotifyWarnings(t *testing.T) {
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_NOTIFY", "syscalls": [{"names": ["write", "read"], "action": "SCMP_ACT_NOTIFY"}]}`)
	_, w, err := p.Policy(Options{Arches: []string{"x86_64"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range w {
		got = append(got, x.String())
	}
	want := []string{
		"defaultAction: runc refuses SCMP_ACT_NOTIFY as the default action",
		"syscalls[0].names: runc refuses SCMP_ACT_NOTIFY for write",
		"listenerPath: SCMP_ACT_NOTIFY is used but no listenerPath is set: a runtime has nobody to pass the notify fd to",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
	p.ListenerPath, p.DefaultAction = "/run/x.sock", ActAllow
	p.Syscalls[0].Names = []string{"read"}
	if _, w, _ := p.Policy(Options{Arches: []string{"x86_64"}}); len(w) != 0 {
		t.Errorf("warnings %v, want none", w)
	}
}

func TestRuncUnknown(t *testing.T) {
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_KILL_PROCESS"}`)
	pol, _ := mustPolicy(t, p, Options{Arches: []string{"x86_64"}, RuncUnknown: true})
	if pol.Unknown != compiler.KillProcess || pol.Default != compiler.KillProcess {
		t.Errorf("RuncUnknown: unknown %v default %v", pol.Unknown, pol.Default)
	}
	pol, _ = mustPolicy(t, p, Options{Arches: []string{"x86_64"}})
	if pol.Unknown.IsSet() {
		t.Errorf("unknown %v, want unset (the compiler's ERRNO(ENOSYS))", pol.Unknown)
	}
}

func TestTargets(t *testing.T) {
	native := arch.Native()
	const rules = `"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]`
	for _, tc := range []struct {
		name    string
		profile string
		o       Options
		want    []string
		err     error
	}{
		{"explicit", `{"defaultAction": "SCMP_ACT_ERRNO"}`, Options{Arches: []string{"amd64", "386", "SCMP_ARCH_X32", "x86_64"}}, x86, nil},
		{"explicit unknown", `{"defaultAction": "SCMP_ACT_ERRNO"}`, Options{Arches: []string{"vax"}}, nil, arch.ErrUnknownArch},
		{"explicit unsupported", `{"defaultAction": "SCMP_ACT_ERRNO"}`, Options{Arches: []string{"SCMP_ARCH_PARISC"}}, nil, arch.ErrUnsupportedArch},
		{"unsupported not targeted", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_PARISC", "SCMP_ARCH_M68K"], ` + rules + `}`, Options{Arches: []string{"aarch64"}}, []string{"aarch64"}, nil},
		{"unsupported targeted", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_SH"]}`, Options{Host: "amd64"}, nil, arch.ErrUnsupportedArch},
		{"architectures plus host", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86"]}`, Options{Host: "amd64"}, []string{"i386", "x86_64"}, nil},
		{"native keyword", `{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_NATIVE", "SCMP_ARCH_ARM"]}`, Options{Host: "arm64"}, []string{"aarch64", "arm"}, nil},
		{"archMap host entry", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86"]}, {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}]}`, Options{Host: "arm64"}, []string{"aarch64", "arm"}, nil},
		{"archMap null sub", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_RISCV64", "subArchitectures": null}]}`, Options{Host: "riscv64"}, []string{"riscv64"}, nil},
		// Upstream (moby/profiles cd3bed80) mapped loong64 and mipsle hosts to
		// no architectures at all; the archMap entry is meant to apply.
		{"archMap loong64", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_LOONGARCH64", "subArchitectures": null}]}`, Options{Host: "loong64"}, []string{"loongarch64"}, nil},
		{"archMap mipsle", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_MIPSEL", "subArchitectures": null}]}`, Options{Host: "mipsle"}, []string{"mipsel"}, nil},
		{"archMap no entry", `{"defaultAction": "SCMP_ACT_ERRNO", "archMap": [{"architecture": "SCMP_ARCH_S390X", "subArchitectures": ["SCMP_ARCH_S390"]}]}`, Options{Host: "amd64"}, []string{"x86_64"}, nil},
		{"nothing", `{"defaultAction": "SCMP_ACT_ERRNO"}`, Options{Host: "ppc64le"}, []string{"ppc64le"}, nil},
		{"bad host", `{"defaultAction": "SCMP_ACT_ERRNO"}`, Options{Host: "pdp11"}, nil, arch.ErrUnknownArch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol, _, err := mustParse(t, tc.profile).Policy(tc.o)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(pol.Arches, tc.want) {
				t.Errorf("arches %v, want %v", pol.Arches, tc.want)
			}
		})
	}
	if native != nil {
		pol, _ := mustPolicy(t, mustParse(t, `{"defaultAction": "SCMP_ACT_ERRNO"}`), Options{})
		if !slices.Equal(pol.Arches, []string{native.Name}) {
			t.Errorf("no arches anywhere: %v, want the native %s", pol.Arches, native)
		}
	}
}

func TestArchMatching(t *testing.T) {
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["x86"]}},
		{"names": ["write"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["x32"]}},
		{"names": ["close"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["mips3l64n32"]}},
		{"names": ["open"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x86", "x32"]}}
	]}`)
	arches := func(pol *compiler.Policy) map[string][]string {
		m := map[string][]string{}
		for _, r := range pol.Rules {
			m[r.Syscalls[0]] = r.Arches
		}
		return m
	}
	pol, _ := mustPolicy(t, p, Options{Arches: x86})
	want := map[string][]string{"read": {"i386"}, "write": {"x86_64", "i386"}, "open": nil}
	if got := arches(pol); !reflect.DeepEqual(got, want) {
		t.Errorf("per ABI: %v, want %v", got, want)
	}
	// dockerd on an amd64 host: only "amd64" matches, for every ABI.
	pol, _ = mustPolicy(t, p, Options{Arches: x86, Host: "amd64"})
	want = map[string][]string{"write": nil, "open": nil}
	if got := arches(pol); !reflect.DeepEqual(got, want) {
		t.Errorf("host amd64: %v, want %v", got, want)
	}
	pol, _ = mustPolicy(t, p, Options{Arches: []string{"mipsel64", "mipsel64n32"}})
	want = map[string][]string{"write": nil, "close": {"mipsel64n32"}}
	if got := arches(pol); !reflect.DeepEqual(got, want) {
		t.Errorf("mips: %v, want %v", got, want)
	}
}

func TestCapsAndKernel(t *testing.T) {
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["r0"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}},
		{"names": ["r1"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]}},
		{"names": ["r2"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_AUDIT_WRITE"]}},
		{"names": ["r3"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
		{"names": ["r4"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.10"}},
		{"names": ["r5"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": []}, "excludes": {}}
	]}`)
	// The names are not syscalls; look at which entries survive through
	// the warnings, which name every entry that reached name resolution.
	survivors := func(o Options) []int {
		o.Arches = []string{"x86_64"}
		_, w, err := p.Policy(o)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, x := range w {
			if x.Entry >= 0 {
				out = append(out, x.Entry)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		o    Options
		want []int
	}{
		{"docker default caps", Options{Kernel: "5.4"}, []int{1, 2, 3, 4, 5}},
		{"no caps", Options{Kernel: "5.4", Caps: []string{}}, []int{1, 3, 4, 5}},
		{"one of two", Options{Kernel: "5.4", Caps: []string{"sys_admin"}}, []int{3, 4, 5}},
		{"both", Options{Kernel: "5.4", Caps: []string{"CAP_SYS_ADMIN", "bpf"}}, []int{0, 3, 4, 5}},
		{"all", Options{Kernel: "5.4", Caps: []string{"ALL"}}, []int{0, 2, 3, 4, 5}},
		{"old kernel", Options{Kernel: "4.4", Caps: []string{}}, []int{1, 4, 5}},
		{"boundary 4.8", Options{Kernel: "4.8.0-1-generic", Caps: []string{}}, []int{1, 3, 4, 5}},
		{"boundary 5.10", Options{Kernel: "5.10", Caps: []string{}}, []int{1, 3, 5}},
		{"new kernel", Options{Kernel: "10.0", Caps: []string{}}, []int{1, 3, 5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := survivors(tc.o); !slices.Equal(got, tc.want) {
				t.Errorf("entries %v, want %v", got, tc.want)
			}
		})
	}
	if _, _, err := p.Policy(Options{Arches: []string{"x86_64"}, Kernel: "five"}); !errors.Is(err, ErrKernelVersion) {
		t.Errorf("bad Options.Kernel: %v", err)
	}
	if _, _, err := p.Policy(Options{Arches: []string{"x86_64"}}); err != nil {
		t.Errorf("running kernel: %v", err)
	}
}

// TestPodmanErrno: errno names take the target's values; MIPS numbers
// errno its own way.
func TestPodmanErrno(t *testing.T) {
	p := mustParse(t, string(readCorpus(t, "podman-default.json")))
	for _, tc := range []struct {
		arches []string
		enosys uint16
	}{
		{x86, 38}, {[]string{"aarch64", "arm"}, 38}, {[]string{"mips64", "mips", "mips64n32"}, 89}, {[]string{"ppc64le"}, 38},
	} {
		pol, _ := mustPolicy(t, p, Options{Arches: tc.arches, Caps: PodmanDefaultCaps()})
		if pol.Default != compiler.Errno(tc.enosys) {
			t.Errorf("%v: default %v, want ERRNO(%d)", tc.arches, pol.Default, tc.enosys)
		}
		// socket AF_NETLINK/NETLINK_AUDIT gets EINVAL (22 everywhere) without CAP_AUDIT_WRITE.
		found := false
		for _, r := range pol.Rules {
			if slices.Equal(r.Syscalls, []string{"socket"}) && len(r.Conds) == 2 && r.Action == compiler.Errno(22) {
				found = true
			}
		}
		if !found {
			t.Errorf("%v: no socket EINVAL rule", tc.arches)
		}
	}
	if _, _, err := p.Policy(Options{Arches: []string{"x86_64", "mips"}}); !errors.Is(err, ErrMixedErrno) {
		t.Errorf("x86_64 + mips: %v, want ErrMixedErrno", err)
	}
	// A rule's errno name that differs between targets splits the rule.
	q := mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errno": "ENOSYS"}]}`)
	pol, _ := mustPolicy(t, q, Options{Arches: []string{"x86_64", "mips"}})
	want := []compiler.Rule{
		{Syscalls: []string{"clone3"}, Action: compiler.Errno(38), Arches: []string{"x86_64"}, Comment: "syscalls[0]"},
		{Syscalls: []string{"clone3"}, Action: compiler.Errno(89), Arches: []string{"mips"}, Comment: "syscalls[0]"},
	}
	if !reflect.DeepEqual(pol.Rules, want) {
		t.Errorf("rules %+v, want %+v", pol.Rules, want)
	}
	// A name that exists on MIPS only is an error on other targets.
	r := mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EINIT"}]}`)
	if _, _, err := r.Policy(Options{Arches: []string{"mips"}}); err != nil {
		t.Errorf("EINIT on mips: %v", err)
	}
	if _, _, err := r.Policy(Options{Arches: []string{"x86_64"}}); !errors.Is(err, ErrUnknownErrno) {
		t.Errorf("EINIT on x86_64: %v, want ErrUnknownErrno", err)
	}
}

func TestErrno(t *testing.T) {
	for _, tc := range []struct {
		name, abi string
		want      uint16
		ok        bool
	}{
		{"EPERM", "x86_64", 1, true}, {"ENOSYS", "x86_64", 38, true}, {"ENOSYS", "mips64n32", 89, true},
		{"ENOSYS", "SCMP_ARCH_MIPSEL", 89, true}, {"EDQUOT", "mipsel64", 1133, true}, {"EDEADLOCK", "ppc64le", 58, true},
		{"EDEADLOCK", "x86_64", 35, true}, {"EDEADLOCK", "mips", 56, true}, {"EWOULDBLOCK", "aarch64", 11, true},
		{"EOPNOTSUPP", "s390x", 95, true}, {"EHWPOISON", "riscv64", 133, true}, {"EHWPOISON", "mips", 168, true},
		{"42", "mips", 42, true}, {"EINIT", "x86_64", 0, false}, {"enosys", "x86_64", 0, false}, {"", "x86_64", 0, false},
	} {
		got, ok := Errno(tc.name, tc.abi)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Errno(%q, %q) = %d, %v; want %d, %v", tc.name, tc.abi, got, ok, tc.want, tc.ok)
		}
	}
}

// TestProgrammaticProfile: a profile built in Go is checked by Policy as
// Parse would check it.
func TestProgrammaticProfile(t *testing.T) {
	p := &Profile{DefaultAction: ActErrno, Syscalls: []Syscall{{Names: []string{"read"}, Action: ActAllow, Args: []Arg{{Index: 7, Op: OpEqualTo}}}}}
	_, _, err := p.Policy(Options{Arches: []string{"x86_64"}})
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrArgIndex) || e.Field != "syscalls[0].args[0].index" || e.Entry != 0 || e.Line != 0 {
		t.Errorf("err %v (%+v)", err, e)
	}
}
