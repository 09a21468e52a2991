package seccomp

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

func TestCheckRuntime(t *testing.T) {
	if arch.Native() == nil {
		t.Skip("no table for this ABI")
	}
	other := "aarch64"
	if arch.Native().Name == "aarch64" {
		other = "x86_64"
	}
	base := RuntimeRules()
	for _, tc := range []struct {
		name   string
		p      compiler.Policy
		denied []string // syscalls the error must name; nil = accepted
	}{
		{name: "deny-list", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"open", "openat", "ptrace"}, Action: compiler.KillProcess}}}},
		{name: "allowlist with RuntimeRules", p: compiler.Policy{Default: compiler.KillProcess, Rules: base}},
		{name: "errno allowlist without them", p: compiler.Policy{Default: compiler.Errno(1)},
			denied: []string{"futex", "mmap", "exit_group", "rt_sigreturn", "read", "write"}},
		{name: "kill allowlist without them", p: compiler.Policy{Default: compiler.KillProcess},
			denied: []string{"futex", "close", "sched_getaffinity", "prctl"}},
		{name: "prctl allowed only for PR_SET_VMA", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"prctl"}, Action: compiler.KillProcess, Conds: []compiler.Cond{compiler.Arg(0).NE(prSetVMA)}}}}},
		{name: "prctl PR_SET_VMA killed", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"prctl"}, Action: compiler.KillProcess, Conds: []compiler.Cond{compiler.Arg(0).EQ(prSetVMA)}}}},
			denied: []string{"prctl"}},
		{name: "errno on a tolerated call", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"prctl", "pread64"}, Action: compiler.Errno(1)}}}},
		{name: "trap on a tolerated call", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"pread64"}, Action: compiler.Trap(1)}}},
			denied: []string{"pread64"}},
		{name: "conditional kill of futex", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"futex"}, Action: compiler.KillProcess,
				Conds: []compiler.Cond{compiler.Arg(1).EQ(99)}}}},
			denied: []string{"futex"}},
		{name: "unconditional allow hides the default", p: compiler.Policy{Default: compiler.KillProcess,
			Rules: append(slices.Clone(base), compiler.Rule{Syscalls: []string{"futex"}, Action: compiler.Log})}},
		{name: "more restrictive conditional rule still counts", p: compiler.Policy{Default: compiler.KillProcess,
			Rules: append(slices.Clone(base), compiler.Rule{Syscalls: []string{"mmap"}, Action: compiler.Errno(12),
				Conds: []compiler.Cond{compiler.Arg(2).EQ(7)}})},
			denied: []string{"mmap"}},
		{name: "rule for another ABI does not count", p: compiler.Policy{Arches: []string{"native", other}, Default: compiler.Allow,
			Rules: []compiler.Rule{{Syscalls: []string{"futex"}, Action: compiler.KillProcess, Arches: []string{other}}}}},
		{name: "by number", p: compiler.Policy{Default: compiler.Allow,
			Rules: []compiler.Rule{{Numbers: []uint32{mustNr(t, "exit_group")}, Action: compiler.Errno(1)}}},
			denied: []string{"exit_group"}},
		{name: "native ABI not listed, bad-arch kills", p: compiler.Policy{Arches: []string{other}, Default: compiler.Allow},
			denied: []string{"futex", "exit_group"}},
		{name: "native ABI not listed, bad-arch allows", p: compiler.Policy{Arches: []string{other}, Default: compiler.Allow, BadArch: compiler.Allow}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			for i, a := range p.Arches {
				if a == "native" {
					p.Arches[i] = runtime.GOARCH
				}
			}
			err := CheckRuntime(&p)
			if tc.denied == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var re *RuntimeError
			if !errors.As(err, &re) || !errors.Is(err, ErrRuntimeDenied) {
				t.Fatalf("want a RuntimeError, got %v", err)
			}
			for _, name := range tc.denied {
				if !strings.Contains(err.Error(), name+"→") {
					t.Errorf("error does not name %s: %v", name, err)
				}
			}
		})
	}
}

func mustNr(t *testing.T, name string) uint32 {
	nr, ok := arch.Native().Syscall(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return nr
}

func TestRuntimeRulesCompile(t *testing.T) {
	// The rules compile for every ABI a Go program can run on, with no
	// names unknown to the ABI (which would be warnings).
	for _, a := range arch.All() {
		if a.GOARCH == "" {
			continue
		}
		t.Run(a.Name, func(t *testing.T) {
			p := &compiler.Policy{Arches: []string{a.Name}, Default: compiler.KillProcess, Rules: RuntimeRules(a.Name)}
			prog, err := compiler.Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range prog.Warnings {
				if w.Kind == compiler.WarnUnknownName {
					t.Errorf("%v", w)
				}
			}
			if _, err := compiler.Check(p, prog); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWithActionFallback(t *testing.T) {
	p := &compiler.Policy{
		BadArch: compiler.KillProcess,
		Rules: []compiler.Rule{
			{Syscalls: []string{"ptrace"}, Action: compiler.KillProcess},
			{Syscalls: []string{"read"}, Action: compiler.Allow},
		},
	}
	q := withActionFallback(p, compiler.KindKillProcess, compiler.KindKillThread)
	if q.Default != compiler.KillThread || q.BadArch != compiler.KillThread || q.Rules[0].Action != compiler.KillThread || q.Rules[1].Action != compiler.Allow {
		t.Fatalf("fallback policy: %+v", q)
	}
	if p.Rules[0].Action != compiler.KillProcess || p.Default.IsSet() {
		t.Fatal("the original policy changed")
	}
	acts := policyActions(p)
	var kinds []string
	for _, a := range acts {
		kinds = append(kinds, a.Kind.String())
	}
	if got := strings.Join(kinds, ","); got != "KILL_PROCESS,ERRNO,ALLOW" {
		t.Fatalf("policyActions = %s", got)
	}
	msg := (&ActionError{Actions: []compiler.Action{compiler.KillProcess, compiler.Log}}).Error()
	if !strings.Contains(msg, "KILL_PROCESS (Linux 4.14)") || !strings.Contains(msg, "WithActionFallback") {
		t.Fatalf("ActionError: %s", msg)
	}
}
