package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/seccompile/seccompile/compiler"
)

// DiffGroup is a set of probes on which two programs answer differently,
// grouped by what the probes are and what each program answered.
type DiffGroup struct {
	Kind    ProbeKind
	Subject string // syscall name, or a class of numbers
	A, B    uint32 // the two answers (vm.Effective)
	Count   int
	Example string
	Probe   Probe // the example
}

func retName(r uint32) string {
	a, ok := compiler.ActionFromRet(r)
	if !ok {
		return fmt.Sprintf("%#x", r)
	}
	return a.String()
}

// subject names what a probe is about, coarsely enough that differences
// group: the syscall for table numbers and argument probes, a class for
// the rest.
func subject(p Probe) string {
	switch p.Kind {
	case BadArch:
		return fmt.Sprintf("arch %#x", p.Data.Arch)
	case Edge:
		if p.ABI != nil && p.ABI.Name == "x86_64" && p.Data.Nr >= 0x40000000 && p.Data.Nr < 0x40001000 {
			return "x32 numbers"
		}
		return fmt.Sprintf("nr %#x", p.Data.Nr)
	}
	if p.ABI != nil {
		if n, ok := p.ABI.SyscallName(p.Data.Nr); ok {
			return p.ABI.Name + " " + n
		}
		return p.ABI.Name + " unassigned numbers"
	}
	return fmt.Sprintf("nr %#x", p.Data.Nr)
}

// compareRets groups the probes where a and b differ.
func compareRets(probes []Probe, a, b []uint32) []DiffGroup {
	type key struct {
		kind ProbeKind
		subj string
		a, b uint32
	}
	groups := map[key]*DiffGroup{}
	var order []key
	for i, p := range probes {
		if a[i] == b[i] {
			continue
		}
		k := key{p.Kind, subject(p), a[i], b[i]}
		g := groups[k]
		if g == nil {
			g = &DiffGroup{Kind: k.kind, Subject: k.subj, A: k.a, B: k.b, Example: p.Label(), Probe: p}
			groups[k] = g
			order = append(order, k)
		}
		g.Count++
	}
	out := make([]DiffGroup, 0, len(order))
	for _, k := range order {
		out = append(out, *groups[k])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

// countDiffs is the number of probes where a and b differ.
func countDiffs(a, b []uint32) int {
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

// diffMarkdown lists difference groups, at most limit of them.
func diffMarkdown(nameA, nameB string, gs []DiffGroup, limit int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| probes | kind | what | %s | %s | example |\n|---:|---|---|---|---|---|\n", nameA, nameB)
	for i, g := range gs {
		if i == limit {
			rest := 0
			for _, h := range gs[i:] {
				rest += h.Count
			}
			fmt.Fprintf(&b, "| %d | … | %d more groups | | | |\n", rest, len(gs)-i)
			break
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %s | `%s` |\n", g.Count, g.Kind, g.Subject, retName(g.A), retName(g.B), g.Example)
	}
	return b.String()
}
