package seccomp

import (
	"slices"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
)

// TestGroupsResolve: every member of every group exists on at least one
// ABI, every nested group exists, there are no cycles, and each ABI
// resolves each group to names it has.
func TestGroupsResolve(t *testing.T) {
	known := map[string][]string{} // name → ABIs that have it
	for _, a := range arch.All() {
		for _, s := range a.Syscalls() {
			known[s.Name] = append(known[s.Name], a.Name)
		}
	}
	for _, g := range Groups() {
		t.Run(g.Name, func(t *testing.T) {
			if g.Help == "" {
				t.Error("no help text")
			}
			if g.Name != "@known" && len(g.Members) == 0 {
				t.Error("empty group")
			}
			seen := map[string]bool{}
			for _, m := range g.Members {
				if seen[m] {
					t.Errorf("%s listed twice", m)
				}
				seen[m] = true
				if strings.HasPrefix(m, "@") {
					if _, err := Group(m); err != nil {
						t.Error(err)
					}
					continue
				}
				if len(known[m]) == 0 {
					t.Errorf("%s exists on no ABI", m)
				}
			}
			all := g.All()
			for _, a := range arch.All() {
				got := g.Syscalls(a)
				for _, name := range got {
					if _, ok := a.Syscall(name); !ok {
						t.Errorf("%s: resolved %s, which it does not have", a.Name, name)
					}
					if !slices.Contains(all, name) {
						t.Errorf("%s: %s not in All()", a.Name, name)
					}
				}
				if len(got) == 0 && g.Name != "@cpu-emulation" && g.Name != "@raw-io" && g.Name != "@debug" && g.Name != "@obsolete" {
					t.Errorf("%s: resolves to nothing", a.Name)
				}
			}
		})
	}
}

func TestGroupNesting(t *testing.T) {
	svc, err := Group("@system-service")
	if err != nil {
		t.Fatal(err)
	}
	x86 := arch.Native()
	if x86 == nil || x86.Name != "x86_64" {
		x86, _ = arch.Lookup("x86_64")
	}
	got := svc.Syscalls(x86)
	for _, sub := range []string{"@basic-io", "@file-system", "@network-io", "@timer", "@default"} {
		g, _ := Group(sub)
		for _, n := range g.Syscalls(x86) {
			if !slices.Contains(got, n) {
				t.Errorf("@system-service lacks %s of %s", n, sub)
			}
		}
	}
	for _, n := range []string{"mount", "reboot", "init_module", "ptrace", "bpf"} {
		if slices.Contains(got, n) {
			t.Errorf("@system-service has %s", n)
		}
	}
	// mmap2 is i386's, not x86_64's.
	if slices.Contains(got, "mmap2") {
		t.Error("x86_64 resolved mmap2")
	}
	i386, _ := arch.Lookup("i386")
	if !slices.Contains(svc.Syscalls(i386), "mmap2") {
		t.Error("i386 did not resolve mmap2")
	}
	known, _ := Group("known")
	if n := len(known.Syscalls(x86)); n != len(x86.Syscalls()) {
		t.Errorf("@known on x86_64: %d names, table has %d", n, len(x86.Syscalls()))
	}
}

func TestExpand(t *testing.T) {
	got, err := Expand([]string{"@basic-io", "openat", "typo_call"}, "amd64")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"read", "write", "close", "openat", "typo_call", "pwritev2"} {
		if !slices.Contains(got, want) {
			t.Errorf("missing %s in %v", want, got)
		}
	}
	if slices.Contains(got, "_llseek") {
		t.Errorf("_llseek is not x86_64's: %v", got)
	}
	got32, err := Expand([]string{"@basic-io"}, "x86_64", "i386")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(got32, "_llseek") {
		t.Errorf("x86_64+i386 lacks _llseek: %v", got32)
	}
	if !slices.IsSorted(got) {
		t.Error("not sorted")
	}
	if _, err := Expand([]string{"@nonesuch"}); err == nil || !strings.Contains(err.Error(), "@basic-io") {
		t.Errorf("unknown group: %v", err)
	}
	if _, err := Expand([]string{"@basic-io"}, "vax"); err == nil {
		t.Error("unknown arch accepted")
	}
}
