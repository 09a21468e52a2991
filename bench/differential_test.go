package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/vm"
)

var update = flag.Bool("update", false, "rewrite testdata/docker-default-libseccomp-x86_64.bpf")

// corpus lists the profile files of ../shared/profiles (the repository
// root's sibling), top level and k8s/.
func corpus(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"profiles/*.json", "profiles/k8s/*.json"} {
		m, err := filepath.Glob(filepath.Join(sharedDir(), pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no profiles under %s (the shared corpus is absent)", filepath.Join(sharedDir(), "profiles"))
	}
	sort.Strings(files)
	return files
}

// deliberate is a class of probes on which our program may differ from
// runc + libseccomp, with the reason.
type deliberate struct {
	name, why string
	match     func(c *diffCtx) bool
}

// diffCtx is one differing probe.
type diffCtx struct {
	probe      Probe
	ours, runc uint32
	policy     *compiler.Policy
	sys        string
}

var deliberateDiffs = []deliberate{
	{"name unknown to libseccomp",
		"libseccomp 2.5.4 cannot resolve the name (newer than its tables); runc skips it, so the call gets the default action; our tables know it",
		func(c *diffCtx) bool {
			return c.sys != "" && !libseccompKnows(c.sys, c.probe.ABI) && c.runc == vm.Effective(c.policy.DefaultAction().Ret())
		}},
	{"bad-arch action",
		"runc leaves libseccomp's bad-arch action at its default, KILL_THREAD; ours is KILL_PROCESS (a killed thread hangs a Go process; DESIGN.md)",
		func(c *diffCtx) bool {
			foreign := c.probe.Kind == BadArch || (c.probe.Kind == Edge && c.probe.Data.Nr >= 0x40000000 && c.probe.Data.Nr != 0xffffffff)
			return foreign && c.ours == compiler.RetKillProcess && c.runc == compiler.RetKillThread
		}},
	{"syscall -1",
		"libseccomp lets nr -1 (a tracer's way to skip a call since Linux 4.8) past its x32 guard to the default action; we give every number ≥ 0x40000000 on an x86_64-only filter the bad-arch action",
		func(c *diffCtx) bool {
			return c.probe.Data.Nr == 0xffffffff && c.ours == compiler.RetKillProcess && c.runc == vm.Effective(c.policy.DefaultAction().Ret())
		}},
	{"overlapping rules",
		"two rules with different actions match: we take the most restrictive (DESIGN.md), libseccomp keeps one by its own merge rules",
		func(c *diffCtx) bool {
			return overlapping(c.policy, c.probe) && c.ours == vm.Effective(mostRestrictive(c.policy, c.probe).Ret())
		}},
}

// mostRestrictive is the action our semantics give a probe that several
// rules match.
func mostRestrictive(p *compiler.Policy, pr Probe) compiler.Action {
	return p.Eval(pr.ABI, pr.Data)
}

// TestRuncDifferential is issue 5's proof: every corpus profile, evaluated
// by Docker's own code (moby/profiles LoadProfile) and compiled by
// libseccomp the way runc does, against the same profile through our
// profile package (RuncUnknown, x86_64) and compiler, on every syscall
// number and the argument boundary values of every condition. Every
// difference must belong to a deliberate class above. Separately, our
// default (ERRNO(ENOSYS) for numbers the table does not know) may differ
// from RuncUnknown only on exactly those numbers.
func TestRuncDifferential(t *testing.T) {
	caps := profile.DockerDefaultCaps()
	x86, err := arch.Lookup("x86_64")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range corpus(t) {
		name := strings.TrimPrefix(file, filepath.Join(sharedDir(), "profiles")+"/")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			opts := profile.Options{Arches: []string{"x86_64"}, Caps: caps, Host: "amd64", RuncUnknown: true}
			ref, _, refErr := runcReference(data, caps)
			pr, err := profile.Parse(data)
			var pol *compiler.Policy
			if err == nil {
				pol, _, err = pr.Policy(opts)
			}
			if err == nil {
				_, err = compiler.Compile(pol)
			}
			switch {
			case refErr != nil && err != nil:
				// e.g. errnoRet 12345: libseccomp refuses ERRNO data over
				// 4095 (EINVAL), so runc fails; we reject it too.
				t.Logf("both refuse the profile: runc: %v; ours: %v", refErr, err)
				return
			case refErr != nil:
				t.Fatalf("runc refuses the profile (%v), we accept it", refErr)
			case err != nil:
				t.Fatalf("we refuse the profile (%v), runc accepts it", err)
			}
			ours := compileOrFatal(t, pol)
			opts.RuncUnknown = false
			polENOSYS, _, err := pr.Policy(opts)
			if err != nil {
				t.Fatalf("Policy: %v", err)
			}
			oursENOSYS := compileOrFatal(t, polENOSYS)
			runcProg, err := vm.Load(ref.Insns)
			if err != nil {
				t.Fatalf("libseccomp's program does not verify: %v", err)
			}
			probes, err := Probes(pol)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			examples := map[string]string{}
			unexplained := 0
			for _, p := range probes {
				o, r := vm.Effective(ours.Run(p.Data)), vm.Effective(runcProg.Run(p.Data))
				if o != r {
					c := &diffCtx{probe: p, ours: o, runc: r, policy: pol}
					if p.ABI != nil {
						c.sys, _ = p.ABI.SyscallName(p.Data.Nr)
					}
					class := ""
					for _, d := range deliberateDiffs {
						if d.match(c) {
							class = d.name
							break
						}
					}
					if class == "" {
						unexplained++
						if unexplained <= 10 {
							t.Errorf("%s: ours %s, runc+libseccomp %s: no deliberate reason", p.Label(), retName(o), retName(r))
						}
						continue
					}
					counts[class]++
					if _, ok := examples[class]; !ok {
						examples[class] = fmt.Sprintf("%s: ours %s, runc %s", p.Label(), retName(o), retName(r))
					}
				}
				// ENOSYS: our default differs from RuncUnknown exactly on
				// numbers the ABI's table does not know.
				e := vm.Effective(oursENOSYS.Run(p.Data))
				_, known := x86.SyscallName(p.Data.Nr)
				unknownNr := p.ABI == x86 && !known && p.Data.Nr < 0x40000000
				enosys := vm.Effective(compiler.Errno(38).Ret())
				switch {
				case unknownNr && e != enosys:
					t.Errorf("%s: unknown number, our default gives %s, want ERRNO(38)", p.Label(), retName(e))
				case !unknownNr && e != o:
					t.Errorf("%s: known number or foreign call, ENOSYS build %s differs from RuncUnknown build %s", p.Label(), retName(e), retName(o))
				case unknownNr && e != o:
					counts["ENOSYS for unknown numbers (our default, not compared with runc)"]++
				}
			}
			if unexplained > 10 {
				t.Errorf("%d unexplained differences in all", unexplained)
			}
			t.Logf("%d probes; runc: optimize %d, %d insns, %d names skipped (%s); ours: %d insns (%d with ENOSYS)",
				len(probes), ref.Opt, len(ref.Insns), len(ref.Skipped), strings.Join(ref.Skipped, " "), ours.Len(), oursENOSYS.Len())
			for _, d := range deliberateDiffs {
				if counts[d.name] > 0 {
					t.Logf("deliberate: %d × %s (%s), e.g. %s", counts[d.name], d.name, d.why, examples[d.name])
				}
			}
			for k, n := range counts {
				if strings.HasPrefix(k, "ENOSYS") {
					t.Logf("%d probes: %s", n, k)
				}
			}
		})
	}
}

func compileOrFatal(t *testing.T, p *compiler.Policy) *vm.Prog {
	t.Helper()
	prog, err := compiler.Compile(p)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	vp, err := vm.Load(prog.Insns)
	if err != nil {
		t.Fatalf("our program does not verify: %v", err)
	}
	return vp
}

// TestPodmanOverlaps pins down what libseccomp really does with the
// overlapping rules of Podman's default profile under Podman's default
// capabilities, and what we do: setns is in the unconditional ALLOW entry
// and in an ERRNO(EPERM) entry (without CAP_SYS_ADMIN); socket(AF_VSOCK=40,
// …) matches an ERRNO(EPERM) rule (a0 == 40) and an ALLOW rule (a0 != 16,
// without CAP_AUDIT_WRITE).
func TestPodmanOverlaps(t *testing.T) {
	file := filepath.Join(sharedDir(), "profiles", "podman-default.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("%s absent: %v", file, err)
	}
	caps := profile.PodmanDefaultCaps()
	ref, _, err := runcReference(data, caps)
	if err != nil {
		t.Fatal(err)
	}
	pr, err := profile.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	pol, _, err := pr.Policy(profile.Options{Arches: []string{"x86_64"}, Caps: caps, Host: "amd64", RuncUnknown: true})
	if err != nil {
		t.Fatal(err)
	}
	ours := compileOrFatal(t, pol)
	x86, _ := arch.Lookup("x86_64")
	nr := func(name string) uint32 {
		n, ok := x86.Syscall(name)
		if !ok {
			t.Fatalf("no %s on x86_64", name)
		}
		return n
	}
	tests := []struct {
		name       string
		d          vm.Data
		runc, ours compiler.Action
	}{
		// libseccomp: of two unconditional rules the first added wins
		// (the ALLOW entry comes first); ours: the most restrictive.
		{"setns", vm.Data{Nr: nr("setns")}, compiler.Allow, compiler.Errno(1)},
		// Here libseccomp happens to agree: the conditional ERRNO rule
		// on a0 == 40 beats the ALLOW rule on a0 != 16.
		{"socket(AF_VSOCK)", vm.Data{Nr: nr("socket"), Args: [6]uint64{40, 1}}, compiler.Errno(1), compiler.Errno(1)},
		{"socket(AF_NETLINK, NETLINK_AUDIT)", vm.Data{Nr: nr("socket"), Args: [6]uint64{16, 3, 9}}, compiler.Errno(22), compiler.Errno(22)},
		{"socket(AF_INET)", vm.Data{Nr: nr("socket"), Args: [6]uint64{2, 1}}, compiler.Allow, compiler.Allow},
	}
	runcProg, err := vm.Load(ref.Insns)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.d.Arch = x86.AuditArch
			if got := runcProg.Run(tc.d); got != tc.runc.Ret() {
				t.Errorf("runc+libseccomp: %s, want %s", retName(got), tc.runc)
			}
			if got := ours.Run(tc.d); got != tc.ours.Ret() {
				t.Errorf("ours: %s, want %s", retName(got), tc.ours)
			}
		})
	}
}

const dockerBPF = "testdata/docker-default-libseccomp-x86_64.bpf"

// TestLibseccompDockerBPF keeps testdata/docker-default-libseccomp-x86_64.bpf,
// the program runc + libseccomp 2.5.4 build from ../shared/profiles/
// docker-default.json on x86_64 (Docker's default capabilities, this kernel),
// for the CLI's disasm test: it must verify, and equal what this machine's
// libseccomp produces when that is 2.5.4 (go test -run LibseccompDockerBPF
// -update rewrites it).
func TestLibseccompDockerBPF(t *testing.T) {
	committed, err := os.ReadFile(dockerBPF)
	if err != nil && !*update {
		t.Fatal(err)
	}
	file := filepath.Join(sharedDir(), "profiles", "docker-default.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Skipf("%s absent: %v", file, err)
	}
	ref, _, err := runcReference(data, profile.DockerDefaultCaps())
	if err != nil {
		t.Fatal(err)
	}
	got := encodeSockFilters(ref.Insns)
	if *update {
		if err := os.WriteFile(dockerBPF, got, 0o644); err != nil {
			t.Fatal(err)
		}
		committed = got
	}
	insns, err := decodeSockFilters(committed)
	if err != nil {
		t.Fatal(err)
	}
	if err := vm.Verify(insns); err != nil {
		t.Fatalf("%s does not verify: %v", dockerBPF, err)
	}
	if a, b, c := libseccomp.GetLibraryVersion(); a != 2 || b != 5 || c != 4 {
		t.Skipf("libseccomp %d.%d.%d here; the file was made with 2.5.4", a, b, c)
	}
	if !bytes.Equal(got, committed) {
		t.Errorf("%s (%d insns) differs from what runc + libseccomp build now (%d insns); rerun with -update if intended", dockerBPF, len(insns), len(ref.Insns))
	}
}
