package fuzz

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
)

// profileCorpus returns the JSON files of the shared profile corpus.
func profileCorpus(f *testing.F) [][]byte {
	var out [][]byte
	for _, pat := range []string{"*.json", "k8s/*.json"} {
		files, _ := filepath.Glob(filepath.Join("../../shared/profiles", pat))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
	}
	return out
}

// FuzzProfileAgainstMoby is a differential harness: dockerd reads a
// profile with encoding/json into moby/profiles' types and filters it with
// setupSeccomp; profile.Parse and Policy with Options.Host = GOARCH must
// agree with it on every input both accept, rule for rule. And what Parse
// accepts, moby must accept too (bar kernel versions above 255.255, which
// moby's uint8 parse refuses).
func FuzzProfileAgainstMoby(f *testing.F) {
	if arch.Native() == nil {
		f.Skip("no native ABI")
	}
	for _, data := range profileCorpus(f) {
		f.Add(data, uint64(0))
	}
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8", "arches": ["amd64"]}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]}`), uint64(1<<21))
	// Podman's defaultErrno without defaultErrnoRet: dockerd ignores the
	// name (found by this target).
	f.Add([]byte(`{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrno": "ENOSYS", "syscalls": [{"names": ["swapon"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}`), uint64(0))
	caps := profile.AllCaps()
	f.Fuzz(func(t *testing.T, data []byte, capBits uint64) {
		bounding := []string{} // not nil: nil would mean Docker's default set
		for i, c := range caps {
			if capBits&(1<<i) != 0 {
				bounding = append(bounding, c)
			}
		}
		p, perr := profile.Parse(data)
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: bounding}}}
		oci, merr := moby.LoadProfile(string(data), spec)
		if perr == nil && merr != nil && !strings.Contains(merr.Error(), "kernel version") {
			t.Fatalf("Parse accepted what moby refuses: %v", merr)
		}
		if perr != nil || merr != nil || oci == nil {
			return
		}
		if podmanErrnoNames(p) {
			// Podman's errno names win over the numbers (issue 5, as
			// Podman does); dockerd ignores them, so the two differ by
			// design.
			return
		}
		o := profile.Options{Host: runtime.GOARCH, Caps: bounding}
		ours, _, err1 := p.Policy(o)
		theirs, _, err2 := profile.FromOCI(oci).Policy(profile.Options{Caps: bounding})
		if err1 != nil || err2 != nil {
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("only one side evaluates: ours %v, moby's %v", err1, err2)
			}
			return
		}
		if a, b := rules(ours), rules(theirs); a != b {
			t.Fatalf("Policy and moby's setupSeccomp differ:\nours:\n%s\nmoby:\n%s", a, b)
		}
	})
}

// podmanErrnoNames reports whether p uses Podman's defaultErrno or a
// rule's errno name.
func podmanErrnoNames(p *profile.Profile) bool {
	if p.DefaultErrno != "" {
		return true
	}
	for _, s := range p.Syscalls {
		if s.Errno != "" {
			return true
		}
	}
	return false
}

func rules(p *compiler.Policy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "default %v arches %v\n", p.Default, p.Arches)
	for _, r := range p.Rules {
		fmt.Fprintf(&b, "%v %v %v %v\n", r.Action, r.Syscalls, r.Conds, r.Arches)
	}
	return b.String()
}
