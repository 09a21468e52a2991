package record

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
)

// FuzzMerge merges a fixed recording into any profile Parse accepts, and
// checks that the result is a valid profile, that merging again changes
// nothing, and that every recorded call is allowed unless a warning says the
// existing profile keeps deciding it. Seeded with the real profiles in
// shared/profiles.
func FuzzMerge(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "profiles", "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":21505,"op":"SCMP_CMP_EQ"}]}]}`))
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_LOG","architectures":["SCMP_ARCH_X86"]}`))
	if arch.Native().Name != "x86_64" {
		f.Skip("the recording is an x86_64 one")
	}
	var calls []call
	calls = append(calls, plain("x86_64", "read", "write", "openat", "clone3", "ptrace", "mkdir")...)
	calls = append(calls, withArg("x86_64", "ioctl", 1, 0x5401, 0x5413)...)
	calls = append(calls, withArg("x86_64", "clone", 0, 0x1200011)...)
	calls = append(calls, plain("i386", "write", "socketcall")...)
	rec := fakeRecording(f, calls...)
	f.Fuzz(func(t *testing.T, data []byte) {
		existing, err := profile.Parse(data)
		if err != nil {
			return
		}
		merged, warns, err := Merge(existing, rec, ProfileOptions{})
		if err != nil {
			t.Fatalf("Merge: %v", err)
		}
		js, err := merged.MarshalJSON()
		if err != nil {
			t.Fatalf("merged profile does not marshal: %v", err)
		}
		back, err := profile.Parse(js)
		if err != nil {
			t.Fatalf("merged profile does not parse: %v\n%s", err, js)
		}
		again, _, err := Merge(merged, rec, ProfileOptions{})
		if err != nil || !reflect.DeepEqual(again, merged) {
			t.Fatalf("second Merge changed the profile (err %v)", err)
		}
		kept := map[string]bool{}
		for _, w := range warns {
			kept[strings.SplitN(w, ":", 2)[0]] = true
		}
		pol, _, err := back.Policy(profile.Options{Arches: []string{"x86_64", "i386"}, Caps: profile.AllCaps()})
		if err != nil {
			return // the existing profile itself does not evaluate (an unsupported ABI, say)
		}
		eval := evalPolicy(t, pol)
		for _, c := range calls {
			if kept[c.name] {
				continue
			}
			if got := eval(c.abi, c.name, c.arg, c.val); got != compiler.Allow {
				t.Errorf("%s %s a%d=%#x: %v after Merge, want ALLOW\n%s", c.abi, c.name, c.arg, c.val, got, js)
			}
		}
	})
}
