package profile

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
)

func TestParseCorpus(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			p, err := Parse(loadable(t, f))
			if err != nil {
				t.Fatal(err)
			}
			if p.DefaultAction == "" {
				t.Error("no default action")
			}
		})
	}
}

// TestParseErrnoFixture: moby's example.json asks for errno 12345, which
// the kernel would clamp to 4095; Parse refuses it and says where.
func TestParseErrnoFixture(t *testing.T) {
	_, err := Parse(readCorpus(t, errnoFixture))
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrErrnoRange) {
		t.Fatalf("err = %v, want *Error wrapping ErrErrnoRange", err)
	}
	if e.Field != "syscalls[3].errnoRet" || e.Entry != 3 || e.Line != 30 || e.Column != 25 {
		t.Errorf("error at %q entry %d line %d:%d, want syscalls[3].errnoRet entry 3 line 30:25", e.Field, e.Entry, e.Line, e.Column)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		src        string
		field      string
		entry      int
		at         string // the input at the error's position starts with this
		is         error
		msgContain string
	}{
		{"empty", ``, "", -1, ``, ErrSyntax, "unexpected end"},
		{"truncated", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [`, "syscalls", -1, ``, ErrSyntax, "unexpected end"},
		{"bad token", "{\n  \"defaultAction\": SCMP_ACT_ALLOW}", "defaultAction", -1, "SCMP_ACT_ALLOW}", ErrSyntax, "invalid character"},
		{"trailing comma", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",}", "", -1, "}", ErrSyntax, ""},
		{"trailing data", `{"defaultAction": "SCMP_ACT_ALLOW"} {}`, "", -1, "{}", ErrSyntax, "after the top-level"},
		{"not an object", `[1]`, "", -1, "[1]", ErrType, "want object, got array"},
		{"null", `null`, "", -1, "null", ErrType, "got null"},
		{"missing default", `{"syscalls": []}`, "defaultAction", -1, `{"syscalls"`, ErrMissing, ""},
		{"default type", `{"defaultAction": 1}`, "defaultAction", -1, "1}", ErrType, "want string, got number"},
		{"unknown default", `{"defaultAction": "SCMP_ACT_FOO"}`, "defaultAction", -1, `"SCMP_ACT_FOO"`, ErrUnknownAction, `"SCMP_ACT_FOO"`},
		{"lower-case action", `{"defaultAction": "scmp_act_allow"}`, "defaultAction", -1, `"scmp_act_allow"`, ErrUnknownAction, ""},
		{"default errno range", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 4096}`, "defaultErrnoRet", -1, "4096", ErrErrnoRange, "4096"},
		{"default errno negative", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": -1}`, "defaultErrnoRet", -1, "-1", ErrType, "unsigned"},
		{"default errno float", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1.5}`, "defaultErrnoRet", -1, "1.5", ErrType, ""},
		{"default errno on allow", `{"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}`, "defaultErrnoRet", -1, "1}", ErrErrnoAction, ""},
		{"default errno name", `{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOPE"}`, "defaultErrno", -1, `"ENOPE"`, ErrUnknownErrno, `"ENOPE"`},
		{"unknown arch", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_VAX"]}`, "architectures[1]", -1, `"SCMP_ARCH_VAX"`, arch.ErrUnknownArch, `"SCMP_ARCH_VAX"`},
		{"arch type", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": "SCMP_ARCH_X86_64"}`, "architectures", -1, `"SCMP_ARCH_X86_64"}`, ErrType, "want array, got string"},
		{"archMap and architectures", `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}`, "archMap", -1, `[{"architecture"`, ErrArchMapAndList, ""},
		{"archMap sub arch", `{"defaultAction": "SCMP_ACT_ALLOW", "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["x86"]}]}`, "archMap[0].subArchitectures[0]", -1, `"x86"`, arch.ErrUnknownArch, ""},
		{"unknown flag", `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_FOO"]}`, "flags[1]", -1, `"SECCOMP_FILTER_FLAG_FOO"`, ErrUnknownFlag, `"SECCOMP_FILTER_FLAG_FOO"`},
		{"metadata without path", `{"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}`, "listenerMetadata", -1, `"x"`, ErrListener, ""},
		{"syscalls type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}`, "syscalls", -1, "{}}", ErrType, "want array, got object"},
		{"null entry", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [null]}`, "syscalls[0]", 0, "null]", ErrType, "got null"},
		{"name and names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": ["write"], "action": "SCMP_ACT_ERRNO"}]}`, "syscalls[0].name", 0, `"read"`, ErrNameAndNames, ""},
		{"no names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ERRNO"}]}`, "syscalls[0].names", 0, `{"action"`, ErrMissing, ""},
		{"empty names", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}`, "syscalls[0].names", 0, "[]", ErrMissing, ""},
		{"name type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read", 7], "action": "SCMP_ACT_ERRNO"}]}`, "syscalls[0].names[1]", 0, "7]", ErrType, "want string, got number"},
		{"no action", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"]}]}`, "syscalls[0].action", 0, `{"names"`, ErrMissing, ""},
		{"unknown action", "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n{\"names\": [\"read\"], \"action\": \"SCMP_ACT_DENY\"}]}", "syscalls[0].action", 0, `"SCMP_ACT_DENY"`, ErrUnknownAction, `"SCMP_ACT_DENY"`},
		{"errnoRet range", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 65536}]}`, "syscalls[0].errnoRet", 0, "65536", ErrErrnoRange, "65536"},
		{"errnoRet huge", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errnoRet": 18446744073709551616}]}`, "syscalls[0].errnoRet", 0, "18446744073709551616", ErrType, ""},
		{"errno name", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "EFOO"}]}`, "syscalls[0].errno", 0, `"EFOO"`, ErrUnknownErrno, `"EFOO"`},
		{"errno number range", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "errno": "5000"}]}`, "syscalls[0].errno", 0, `"5000"`, ErrErrnoRange, ""},
		{"args type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": {}}]}`, "syscalls[0].args", 0, "{}", ErrType, "want array, got object"},
		{"arg index", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "syscalls[0].args[0].index", 0, "6,", ErrArgIndex, ": 6"},
		{"arg index string", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": "0", "value": 1, "op": "SCMP_CMP_EQ"}]}]}`, "syscalls[0].args[0].index", 0, `"0",`, ErrType, "want unsigned integer, got string"},
		{"arg value negative", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}`, "syscalls[0].args[0].value", 0, "-1,", ErrType, ""},
		{"arg value 2^64", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 18446744073709551616, "op": "SCMP_CMP_EQ"}]}]}`, "syscalls[0].args[0].value", 0, "18446744073709551616,", ErrType, ""},
		{"empty entry", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO"}, {}]}`, "syscalls[1].names", 1, "{}]", ErrMissing, ""},
		{"unknown op 12", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [` + strings.Repeat(`{"names": ["read"], "action": "SCMP_ACT_ALLOW"}, `, 12) + "\n" + `{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 1, "op": "SCMP_CMP_FOO"}]}]}`, "syscalls[12].args[1].op", 12, `"SCMP_CMP_FOO"`, ErrUnknownOp, `syscalls[12].args[1].op: unknown operator "SCMP_CMP_FOO"`},
		{"missing op", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1}]}]}`, "syscalls[0].args[0].op", 0, `{"index": 0`, ErrMissing, ""},
		{"includes type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": []}]}`, "syscalls[0].includes", 0, "[]", ErrType, "want object, got array"},
		{"minKernel", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"minKernel": "4"}}]}`, "syscalls[0].includes.minKernel", 0, `"4"`, ErrKernelVersion, `"4"`},
		{"minKernel three parts", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "excludes": {"minKernel": "4.8.1"}}]}`, "syscalls[0].excludes.minKernel", 0, `"4.8.1"`, ErrKernelVersion, ""},
		{"minKernel zero", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "excludes": {"minKernel": "0.0"}}]}`, "syscalls[0].excludes.minKernel", 0, `"0.0"`, ErrKernelVersion, ""},
		{"caps type", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "includes": {"caps": "CAP_SYS_ADMIN"}}]}`, "syscalls[0].includes.caps", 0, `"CAP_SYS_ADMIN"`, ErrType, ""},
		{"duplicate key", `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "Names": ["write"]}]}`, "syscalls[0].Names", 0, `"Names"`, ErrDuplicate, `duplicate key "Names"`},
		{"duplicate top key", `{"defaultAction": "SCMP_ACT_ALLOW", "defaultAction": "SCMP_ACT_LOG"}`, "defaultAction", -1, `"defaultAction": "SCMP_ACT_LOG"`, ErrDuplicate, ""},
		{"wrapped spec", `{"kind": "SeccompProfile", "spec": {"defaultAction": "SCMP_ACT_NOPE"}}`, "spec.defaultAction", -1, `"SCMP_ACT_NOPE"`, ErrUnknownAction, ""},
		{"wrapped oci config", `{"ociVersion": "1.2.0", "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["x"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 9, "value": 0, "op": "SCMP_CMP_EQ"}]}]}}}`, "linux.seccomp.syscalls[0].args[0].index", 0, "9,", ErrArgIndex, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse([]byte(tc.src))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", p)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T %v is no *Error", err, err)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("err %v does not wrap %v", err, tc.is)
			}
			if e.Field != tc.field || e.Entry != tc.entry {
				t.Errorf("field %q entry %d, want %q entry %d (%v)", e.Field, e.Entry, tc.field, tc.entry, err)
			}
			if e.Offset < 0 || e.Offset > int64(len(tc.src)) {
				t.Fatalf("offset %d outside the input (%v)", e.Offset, err)
			}
			if rest := tc.src[e.Offset:]; !strings.HasPrefix(rest, tc.at) || (tc.at == "" && rest != "") {
				t.Errorf("error at %q, want at %q (%v)", rest, tc.at, err)
			}
			before := tc.src[:e.Offset]
			line := strings.Count(before, "\n") + 1
			col := len([]rune(before[strings.LastIndexByte(before, '\n')+1:])) + 1
			if e.Line != line || e.Column != col {
				t.Errorf("line %d:%d, want %d:%d for offset %d", e.Line, e.Column, line, col, e.Offset)
			}
			if !strings.Contains(err.Error(), tc.msgContain) {
				t.Errorf("message %q lacks %q", err, tc.msgContain)
			}
		})
	}
}

func TestParseFields(t *testing.T) {
	src := `{
	"DefaultAction": "SCMP_ACT_ERRNO",
	"defaultErrnoRet": 38,
	"defaultErrno": "ENOSYS",
	"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_PARISC", "SCMP_ARCH_NATIVE"],
	"flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
	"listenerPath": "/run/notify.sock",
	"listenerMetadata": "meta",
	"unknownTopLevel": {"nested": [1, 2, {"x": null}]},
	"syscalls": [
		{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": null, "comment": "c", "includes": {}, "excludes": null},
		{"name": "open", "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "errno": "EACCES",
		 "args": [{"index": 5, "value": 18446744073709551615, "valueTwo": 9223372036854775808, "op": "SCMP_CMP_MASKED_EQ"}],
		 "includes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["amd64"], "minKernel": "5.10"},
		 "excludes": {"caps": ["CAP_BPF"], "arches": ["x86"], "minKernel": "6.1"}, "extra": true}
	]
}`
	errno := func(v uint) *uint { return &v }
	want := &Profile{
		DefaultAction:    "SCMP_ACT_ERRNO",
		DefaultErrnoRet:  errno(38),
		DefaultErrno:     "ENOSYS",
		Architectures:    []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_PARISC", "SCMP_ARCH_NATIVE"},
		Flags:            []string{FlagTsync, FlagLog, FlagSpecAllow, FlagWaitKillableRecv},
		ListenerPath:     "/run/notify.sock",
		ListenerMetadata: "meta",
		Syscalls: []Syscall{
			{Names: []string{"read", "write"}, Action: ActAllow, Comment: "c", Includes: &Filter{}},
			{Name: "open", Action: ActErrno, ErrnoRet: errno(13), Errno: "EACCES",
				Args:     []Arg{{Index: 5, Value: 1<<64 - 1, ValueTwo: 1 << 63, Op: OpMaskedEqual}},
				Includes: &Filter{Caps: []string{"CAP_SYS_ADMIN"}, Arches: []string{"amd64"}, MinKernel: &KernelVersion{5, 10}},
				Excludes: &Filter{Caps: []string{"CAP_BPF"}, Arches: []string{"x86"}, MinKernel: &KernelVersion{6, 1}}},
		},
	}
	got := mustParse(t, src)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse:\n got %+v\nwant %+v", got, want)
	}
}

// TestParseAllNames: every action, operator, flag and SCMP_ARCH_* name of
// the runtime-spec is accepted.
func TestParseAllNames(t *testing.T) {
	for name := range actionKinds {
		mustParse(t, `{"defaultAction": "`+name+`"}`)
	}
	for name := range ops {
		mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 1, "op": "`+name+`"}]}]}`)
	}
	for name := range flags {
		mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["`+name+`"]}`)
	}
	if len(ociArches) != 23 || len(actionKinds) != 9 || len(ops) != 7 || len(flags) != 4 {
		t.Errorf("tables: %d arches, %d actions, %d ops, %d flags; want 23, 9, 7, 4", len(ociArches), len(actionKinds), len(ops), len(flags))
	}
	for name := range ociArches {
		mustParse(t, `{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["`+name+`"]}`)
	}
}

func TestParseWrappers(t *testing.T) {
	for _, tc := range []struct {
		src, want string
	}{
		{`{"apiVersion": "security-profiles-operator.x-k8s.io/v1", "kind": "SeccompProfile", "metadata": {"name": "x"}, "spec": {"defaultAction": "SCMP_ACT_LOG", "baseProfileName": "runc-v1.2.0"}}`, ActLog},
		{`{"ociVersion": "1.2.0", "process": {"args": ["sh"]}, "linux": {"namespaces": [], "seccomp": {"defaultAction": "SCMP_ACT_KILL_PROCESS"}}}`, ActKillProcess},
		// A document with profile keys of its own is the profile.
		{`{"defaultAction": "SCMP_ACT_ALLOW", "spec": {"defaultAction": "SCMP_ACT_LOG"}}`, ActAllow},
	} {
		if got := mustParse(t, tc.src).DefaultAction; got != tc.want {
			t.Errorf("%s: default %s, want %s", tc.src, got, tc.want)
		}
	}
}

// TestEmptyMinKernel: as in Docker, an explicit "" is version 0.0, which
// every kernel reaches.
func TestEmptyMinKernel(t *testing.T) {
	p := mustParse(t, `{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
		{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": ""}},
		{"names": ["write"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": ""}}]}`)
	pol, _ := mustPolicy(t, p, Options{Arches: []string{"x86_64"}, Kernel: "2.6"})
	if len(pol.Rules) != 1 || pol.Rules[0].Syscalls[0] != "read" {
		t.Errorf("rules %+v, want read only", pol.Rules)
	}
}

func TestParseKernelVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want KernelVersion
		ok   bool
	}{
		{"4.8", KernelVersion{4, 8}, true},
		{"6.18.0-rc1-amd64", KernelVersion{6, 18}, true},
		{"3.12-1-amd64", KernelVersion{3, 12}, true},
		{"5.10.0+", KernelVersion{5, 10}, true},
		{"10.0", KernelVersion{10, 0}, true},
		{"", KernelVersion{}, false},
		{"4", KernelVersion{}, false},
		{"0.0", KernelVersion{}, false},
		{"a.b", KernelVersion{}, false},
		{"4.", KernelVersion{}, false},
		{"-4.8", KernelVersion{}, false},
		{"99999999999.1", KernelVersion{}, false},
	} {
		got, err := ParseKernelVersion(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseKernelVersion(%q) = %v, %v; want %v ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrKernelVersion) {
			t.Errorf("ParseKernelVersion(%q): %v does not wrap ErrKernelVersion", tc.in, err)
		}
	}
}

func TestFromOCINil(t *testing.T) {
	if FromOCI(nil) != nil {
		t.Error("FromOCI(nil) != nil")
	}
	var p *Profile
	if _, _, err := p.Policy(Options{}); !errors.Is(err, ErrMissing) {
		t.Errorf("nil profile: %v", err)
	}
}
