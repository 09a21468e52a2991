package main

import (
	"fmt"
	"sort"
	"strings"

	libseccomp "github.com/seccomp/libseccomp-golang"

	"github.com/seccompile/seccompile/arch"
)

// ArchDiff is the comparison of one ABI's syscall table with libseccomp's
// resolver (seccomp_syscall_resolve_name_arch / _num_arch).
type ArchDiff struct {
	Arch      string
	Agree     int      // names both resolve to the same number
	OursOnly  []string // names we know that libseccomp does not (on this ABI)
	Pseudo    []string // names libseccomp maps to a pseudo number (multiplexed through socketcall/ipc on this ABI)
	TheirOnly []string // "name=nr" libseccomp knows that our table lacks
	Differ    []string // "name: ours N, libseccomp M"
	Skipped   string   // why the ABI was not compared
}

// crossCheckArches compares every ABI both know.
func crossCheckArches() []ArchDiff {
	var out []ArchDiff
	for _, a := range arch.All() {
		d := ArchDiff{Arch: a.Name}
		tok, err := libseccompArch(a)
		if err != nil {
			d.Skipped = "libseccomp has no such ABI"
			out = append(out, d)
			continue
		}
		ours := a.Syscalls()
		byName := map[string]uint32{}
		byNr := map[uint32][]string{}
		lo, hi := ^uint32(0), uint32(0)
		for _, s := range ours {
			byName[s.Name] = s.Nr
			byNr[s.Nr] = append(byNr[s.Nr], s.Name)
			lo, hi = min(lo, s.Nr), max(hi, s.Nr)
		}
		for _, s := range ours {
			n, err := libseccomp.GetSyscallFromNameByArch(s.Name, tok)
			switch {
			case err != nil:
				d.OursOnly = append(d.OursOnly, s.Name)
			case n < 0:
				d.Pseudo = append(d.Pseudo, s.Name)
			case uint32(n) != s.Nr:
				d.Differ = append(d.Differ, fmt.Sprintf("%s: ours %d, libseccomp %d", s.Name, s.Nr, n))
			default:
				d.Agree++
			}
		}
		// Numbers libseccomp names that our table lacks; scan a little past
		// both ends of our table to catch newer calls.
		if lo > 64 {
			lo -= 64
		} else {
			lo = 0
		}
		for nr := lo; nr <= hi+64; nr++ {
			name, err := libseccomp.ScmpSyscall(int32(nr)).GetNameByArch(tok)
			if err != nil || name == "" {
				continue
			}
			if _, ok := byName[name]; ok {
				continue // compared above
			}
			d.TheirOnly = append(d.TheirOnly, fmt.Sprintf("%s=%d", name, nr))
		}
		if d.Agree == 0 {
			d = ArchDiff{Arch: a.Name, Skipped: "libseccomp " + libseccompVersion() + " resolves no name on it (no table)"}
		}
		sort.Strings(d.OursOnly)
		sort.Strings(d.TheirOnly)
		out = append(out, d)
	}
	return out
}

// archCheckMarkdown renders the cross-check.
func archCheckMarkdown(ds []ArchDiff) string {
	var b strings.Builder
	fmt.Fprintf(&b, "| ABI | names agreeing | ours only (libseccomp %s lacks) | libseccomp: pseudo number (multiplexed) | libseccomp only | different numbers |\n", libseccompVersion())
	b.WriteString("|---|---:|---|---|---|---|\n")
	for _, d := range ds {
		if d.Skipped != "" {
			fmt.Fprintf(&b, "| %s | – | %s | | | |\n", d.Arch, d.Skipped)
			continue
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s |\n", d.Arch, d.Agree, list(d.OursOnly), list(d.Pseudo), list(d.TheirOnly), list(d.Differ))
	}
	return b.String()
}

func list(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return fmt.Sprintf("%d: %s", len(s), strings.Join(s, ", "))
}
