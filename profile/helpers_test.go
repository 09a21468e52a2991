package profile

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// corpusDir is the shared profile corpus, beside the module root.
const corpusDir = "../../shared/profiles"

// corpusFiles lists the JSON profiles of the corpus (YAML is out of scope).
func corpusFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.json", "k8s/*.json"} {
		m, err := filepath.Glob(filepath.Join(corpusDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Skipf("no corpus in %s", corpusDir)
	}
	return files
}

func readCorpus(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Skipf("corpus file: %v", err)
	}
	return data
}

// errnoFixture is the one corpus file Parse rejects: moby's example.json has
// errnoRet 12345, above MAX_ERRNO.
const errnoFixture = "moby-fixture-example.json"

// loadable returns the corpus file's bytes in a form Parse accepts: the
// errno fixture gets errnoRet 4095 (what the kernel would clamp 12345 to).
func loadable(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) == errnoFixture {
		data = []byte(strings.Replace(string(data), `"errnoRet": 12345`, `"errnoRet": 4095`, 1))
	}
	return data
}

func mustParse(t testing.TB, src string) *Profile {
	t.Helper()
	p, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return p
}

func mustPolicy(t testing.TB, p *Profile, o Options) (*compiler.Policy, []Warning) {
	t.Helper()
	pol, w, err := p.Policy(o)
	if err != nil {
		t.Fatalf("Policy(%+v): %v", o, err)
	}
	return pol, w
}

// meaning renders what a policy decides, independently of how its rules
// are cut: per ABI, per syscall name the ABI knows, the sorted list of
// "ACTION if conds" of the rules that name it, plus the defaults. Two
// policies with equal meanings compile to equivalent programs.
func meaning(t testing.TB, pol *compiler.Policy) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "default %v unknown %v badarch %v arches %v\n", pol.DefaultAction(), pol.Unknown, pol.BadArchAction(), pol.Arches)
	for _, an := range pol.Arches {
		a, err := arch.Lookup(an)
		if err != nil {
			t.Fatal(err)
		}
		bySys := map[string][]string{}
		for _, r := range pol.Rules {
			if len(r.Arches) > 0 && !slices.ContainsFunc(r.Arches, func(s string) bool {
				b, err := arch.Lookup(s)
				return err == nil && b == a
			}) {
				continue
			}
			var conds []string
			for _, c := range r.Conds {
				conds = append(conds, c.String())
			}
			sort.Strings(conds)
			for _, n := range r.Syscalls {
				if _, ok := a.Syscall(n); ok {
					bySys[n] = append(bySys[n], r.Action.String()+" if "+strings.Join(conds, " && "))
				}
			}
			for _, nr := range r.Numbers {
				n, _ := a.SyscallName(nr)
				bySys[n] = append(bySys[n], r.Action.String()+" if "+strings.Join(conds, " && "))
			}
		}
		names := make([]string, 0, len(bySys))
		for n := range bySys {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			l := bySys[n]
			sort.Strings(l)
			l = slices.Compact(l)
			fmt.Fprintf(&b, "%s %s: %s\n", a.Name, n, strings.Join(l, " | "))
		}
	}
	return b.String()
}

// structure renders a policy's rules without comments, for comparisons that
// must match rule for rule.
func structure(pol *compiler.Policy) string {
	var b strings.Builder
	fmt.Fprintf(&b, "default %v unknown %v arches %v\n", pol.Default, pol.Unknown, pol.Arches)
	for _, r := range pol.Rules {
		fmt.Fprintf(&b, "%v %v %v %v %v\n", r.Action, r.Syscalls, r.Numbers, r.Conds, r.Arches)
	}
	return b.String()
}

// entries returns the syscalls index each rule came from, from the comment
// Policy writes.
func entries(t testing.TB, pol *compiler.Policy) []int {
	t.Helper()
	var out []int
	for _, r := range pol.Rules {
		var i int
		if _, err := fmt.Sscanf(r.Comment, "syscalls[%d]", &i); err != nil {
			t.Fatalf("rule comment %q: %v", r.Comment, err)
		}
		if len(out) == 0 || out[len(out)-1] != i {
			out = append(out, i)
		}
	}
	return out
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			out = append(out, "+ "+l)
		}
	}
	if len(out) > 40 {
		out = append(out[:40], fmt.Sprintf("... %d more", len(out)-40))
	}
	return strings.Join(out, "\n")
}

func cloneProfile(p *Profile) *Profile {
	q := *p
	q.Syscalls = append([]Syscall(nil), p.Syscalls...)
	return &q
}

// normalizeEmpty maps empty slices to nil: moby's types and ours differ in
// which of the two a JSON [] becomes, and no reader tells them apart.
func normalizeEmpty(p *Profile) {
	nz := func(s []string) []string {
		if len(s) == 0 {
			return nil
		}
		return s
	}
	p.Architectures = nz(p.Architectures)
	p.Flags = nz(p.Flags)
	if len(p.ArchMap) == 0 {
		p.ArchMap = nil
	}
	for i := range p.ArchMap {
		p.ArchMap[i].SubArches = nz(p.ArchMap[i].SubArches)
	}
	if len(p.Syscalls) == 0 {
		p.Syscalls = nil
	}
	for i := range p.Syscalls {
		s := &p.Syscalls[i]
		s.Names = nz(s.Names)
		if len(s.Args) == 0 {
			s.Args = nil
		}
		for _, f := range []*Filter{s.Includes, s.Excludes} {
			if f != nil {
				f.Caps, f.Arches = nz(f.Caps), nz(f.Arches)
			}
		}
	}
}
