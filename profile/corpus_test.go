package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// corpusTarget is one evaluation of a corpus profile: a host from its
// archMap, its architectures list, or a single ABI it names.
type corpusTarget struct {
	name string
	o    Options
}

// corpusTargets lists the targets a profile names: each archMap entry as
// dockerd on that host would see it, the architectures list as runc would,
// and each named ABI alone. ABIs without a syscall table in arch are left
// out (and reported).
func corpusTargets(t testing.TB, p *Profile) (out []corpusTarget, skipped []string) {
	named := map[string]bool{}
	var order []string
	note := func(oci string) bool {
		a, err := arch.Lookup(oci)
		if err != nil {
			if !errors.Is(err, arch.ErrUnsupportedArch) {
				t.Fatalf("%s: %v", oci, err)
			}
			skipped = append(skipped, oci)
			return false
		}
		if !named[a.Name] {
			named[a.Name] = true
			order = append(order, a.Name)
		}
		return true
	}
	for _, m := range p.ArchMap {
		ok := note(m.Arch)
		for _, s := range m.SubArches {
			ok = note(s) && ok
		}
		if ok {
			a, _ := arch.Lookup(m.Arch)
			out = append(out, corpusTarget{"host " + a.Name, Options{Host: a.GOARCH}})
			if a.GOARCH == "" {
				out[len(out)-1] = corpusTarget{"archMap " + a.Name, Options{Arches: append([]string{m.Arch}, m.SubArches...)}}
			}
		}
	}
	if len(p.Architectures) > 0 {
		ok := true
		for _, s := range p.Architectures {
			ok = note(s) && ok
		}
		if ok {
			out = append(out, corpusTarget{"architectures", Options{Arches: p.Architectures}})
		}
	}
	if len(order) == 0 {
		order = []string{"x86_64"}
	}
	if len(order) > 1 || len(out) == 0 {
		for _, n := range order {
			out = append(out, corpusTarget{n, Options{Arches: []string{n}}})
		}
	}
	for i := range out {
		out[i].o.Kernel = "6.1"
	}
	return out, skipped
}

// TestCorpusTable loads every corpus profile, evaluates it for each target
// it names, compiles it, proves the program equal to the policy
// (compiler.Check), and checks that writing the policy back out as a
// profile and loading that compiles to the very same instructions. With
// -v it prints the table of program sizes.
func TestCorpusTable(t *testing.T) {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "profile\ttarget\tABIs\trules\tinsns\tchecked\t")
	for _, f := range corpusFiles(t) {
		name := filepath.Base(f)
		p, err := Parse(loadable(t, f))
		if err != nil {
			t.Fatal(err)
		}
		targets, skipped := corpusTargets(t, p)
		if len(skipped) > 0 {
			t.Logf("%s: no syscall tables for %v", name, skipped)
		}
		for _, tg := range targets {
			t.Run(name+"/"+tg.name, func(t *testing.T) {
				pol, _ := mustPolicy(t, p, tg.o)
				if err := pol.Validate(); err != nil {
					t.Fatalf("Validate: %v", err)
				}
				prog, err := compiler.Compile(pol)
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				rep, err := compiler.Check(pol, prog)
				if err != nil {
					t.Fatalf("Check: %v", err)
				}
				checked := "proof"
				if !rep.Exhaustive {
					checked = "masks sampled"
				}
				back, err := FromPolicy(pol)
				if err != nil {
					t.Fatal(err)
				}
				data, err := json.Marshal(back)
				if err != nil {
					t.Fatal(err)
				}
				pol2, _ := mustPolicy(t, mustParse(t, string(data)), Options{Arches: pol.Arches, RuncUnknown: tg.o.RuncUnknown})
				prog2, err := compiler.Compile(pol2)
				if err != nil {
					t.Fatalf("Compile after round trip: %v", err)
				}
				b1, _ := prog.MarshalBinary()
				b2, _ := prog2.MarshalBinary()
				if !bytes.Equal(b1, b2) {
					t.Errorf("round trip compiles differently: %d vs %d instructions", len(prog.Insns), len(prog2.Insns))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t\n", name, tg.name, strings.Join(pol.Arches, ","), len(pol.Rules), len(prog.Insns), checked)
			})
		}
	}
	tw.Flush()
	t.Logf("corpus × target, kernel 6.1, Docker default caps:\n%s", table.String())
}
