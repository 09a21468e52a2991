package profile

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	moby "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/seccompile/seccompile/arch"
)

// TestParseAgreesWithEncodingJSON reads every corpus file twice, with
// Parse and with encoding/json into moby's own types, and wants the same
// profile: the token-walking decoder must not lose or invent anything.
func TestParseAgreesWithEncodingJSON(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := loadable(t, f)
			got, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			var m moby.Seccomp
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			want := fromMoby(&m)
			// Podman's fields are not in moby's types.
			got = cloneProfile(got)
			got.DefaultErrno = ""
			for i := range got.Syscalls {
				got.Syscalls[i].Errno = ""
			}
			normalizeEmpty(got)
			normalizeEmpty(want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Parse and encoding/json differ:\nParse: %+v\njson:  %+v", got, want)
			}
		})
	}
}

// TestPolicyAgreesWithMoby evaluates the Docker-format profiles of the
// corpus with moby/profiles' own setupSeccomp (for this host's GOARCH and
// the running kernel) and with Policy, for several capability sets, and
// wants the same meaning on every ABI.
func TestPolicyAgreesWithMoby(t *testing.T) {
	if arch.Native() == nil {
		t.Skip("no native ABI")
	}
	capSets := map[string][]string{
		"docker-default": DockerDefaultCaps(),
		"none":           {},
		"sys-admin":      append(DockerDefaultCaps(), "CAP_SYS_ADMIN"),
		"ptrace-bpf":     append(DockerDefaultCaps(), "CAP_SYS_PTRACE", "CAP_BPF", "CAP_PERFMON"),
		"all":            AllCaps(),
	}
	files := []string{
		"docker-default.json", "docker-default-moby-2025-07.json", "moby-fixture-conditional-include.json",
		"moby-fixture-default-old-format.json", "podman-fixture-example.json",
	}
	for _, name := range files {
		data := readCorpus(t, name)
		for capName, caps := range capSets {
			t.Run(name+"/"+capName, func(t *testing.T) {
				spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
				oci, err := moby.LoadProfile(string(data), spec)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := mustPolicy(t, FromOCI(oci), Options{})
				got, _ := mustPolicy(t, mustParse(t, string(data)), Options{Caps: caps, Host: runtime.GOARCH})
				if w, g := meaning(t, want), meaning(t, got); w != g {
					t.Errorf("moby and Policy differ (- moby, + Policy):\n%s", diffLines(w, g))
				}
			})
		}
	}
}

// TestDockerDefaultIsMobys checks DockerDefault against moby's own
// GetDefaultProfile, which evaluates the same Go value for this host.
func TestDockerDefaultIsMobys(t *testing.T) {
	if arch.Native() == nil {
		t.Skip("no native ABI")
	}
	for _, caps := range [][]string{DockerDefaultCaps(), AllCaps(), {}} {
		spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
		oci, err := moby.GetDefaultProfile(spec)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := mustPolicy(t, FromOCI(oci), Options{})
		got, _ := mustPolicy(t, DockerDefault(), Options{Caps: caps, Host: runtime.GOARCH})
		if w, g := meaning(t, want), meaning(t, got); w != g {
			t.Errorf("caps %v: GetDefaultProfile and DockerDefault().Policy differ (- moby, + ours):\n%s", caps, diffLines(w, g))
		}
	}
	// The JSON moby generates from the same value reads back the same.
	j, err := json.Marshal(moby.DefaultProfile())
	if err != nil {
		t.Fatal(err)
	}
	fromJSON, _ := mustPolicy(t, mustParse(t, string(j)), Options{})
	direct, _ := mustPolicy(t, DockerDefault(), Options{})
	if a, b := structure(fromJSON), structure(direct); a != b {
		t.Errorf("DockerDefault differs from its JSON:\n%s", diffLines(a, b))
	}
	if runtime.GOARCH == "amd64" {
		if want := []string{"x86_64", "i386", "x32"}; !reflect.DeepEqual(direct.Arches, want) {
			t.Errorf("arches %v, want %v (archMap entry for SCMP_ARCH_X86_64)", direct.Arches, want)
		}
	}
}

// TestPerABIMatching: without Options.Host each target ABI is matched on
// its own, which differs from dockerd on an amd64 host in one place only:
// arch_prctl, listed for [amd64, x32], exists on i386 too since Linux 4.12
// (nr 384), and dockerd allows it there because it matches the host.
func TestPerABIMatching(t *testing.T) {
	data := readCorpus(t, "docker-default.json")
	p := mustParse(t, string(data))
	o := Options{Arches: []string{"x86_64", "i386", "x32"}, Kernel: "6.18"}
	perABI, _ := mustPolicy(t, p, o)
	o.Host = "amd64"
	docker, _ := mustPolicy(t, p, o)
	got := diffLines(meaning(t, docker), meaning(t, perABI))
	if want := "- i386 arch_prctl: ALLOW if "; got != want {
		t.Errorf("per-ABI vs Docker host matching:\n%s\nwant:\n%s", got, want)
	}
}

// TestDockerDefaultFile: the corpus copy is moby/profiles' default.json of
// a given commit; the module may be newer. Both must evaluate without
// error, and their ALLOW lists of unconditional names must agree, since the
// differences between versions were in argument rules.
func TestDockerDefaultFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(corpusDir, "docker-default.json"))
	if err != nil {
		t.Skip(err)
	}
	file := mustParse(t, string(data))
	mod := DockerDefault()
	if !reflect.DeepEqual(file.Syscalls[0].Names, mod.Syscalls[0].Names) {
		t.Errorf("group 0 differs between corpus and module:\nfile %v\nmod  %v", file.Syscalls[0].Names, mod.Syscalls[0].Names)
	}
}
