package profile

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParse: arbitrary bytes never panic Parse or Policy; what Parse
// accepts is valid JSON, writes back to the same profile, and evaluates to
// a policy that FromPolicy writes and Policy reads back unchanged.
func FuzzParse(f *testing.F) {
	for _, file := range corpusFiles(f) {
		f.Add(loadable(f, file))
	}
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"defaultAction": "SCMP_ACT_ALLOW"}`,
		`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}, {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]}`,
		`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS", "syscalls": [{"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errno": "EPERM", "includes": {"arches": ["amd64"], "caps": ["CAP_SYS_ADMIN"], "minKernel": "5.3"}}]}`,
		`{"kind": "SeccompProfile", "spec": {"defaultAction": "SCMP_ACT_LOG"}}`,
		`{"linux": {"seccomp": {"defaultAction": "SCMP_ACT_KILL"}}}`,
		`{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is no *Error: %v", err, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Parse accepted invalid JSON %q", data)
		}
		out, err := p.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON of a parsed profile: %v", err)
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("reparse: %v\n%s", err, out)
		}
		normalizeEmpty(p)
		normalizeEmpty(q)
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("write/read changed the profile:\n%+v\n%+v", p, q)
		}
		for _, o := range []Options{
			{Arches: []string{"x86_64", "i386", "x32"}, Kernel: "5.4"},
			{Arches: []string{"mips64", "mips"}, Kernel: "4.4", Caps: []string{"ALL"}},
		} {
			pol, _, err := p.Policy(o)
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("Policy error %T is no *Error: %v", err, err)
				}
				continue
			}
			back, err := FromPolicy(pol)
			if err != nil {
				t.Fatalf("FromPolicy of an evaluated profile: %v", err)
			}
			data2, err := back.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			pol2, _, err := mustParse(t, string(data2)).Policy(Options{Arches: pol.Arches, RuncUnknown: o.RuncUnknown})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := structure(pol), structure(pol2); a != b {
				t.Fatalf("load/write/load changed the policy:\n%s", diffLines(a, b))
			}
		}
	})
}
