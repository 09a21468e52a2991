package seccomp

import (
	"strings"
	"testing"
)

// FuzzHelperSpec: the helper's argv is parsed in init of every binary that
// imports this package (when argv[0] is the helper's); bad input must be
// an error, never a panic, and a good spec must round-trip.
func FuzzHelperSpec(f *testing.F) {
	f.Add(helperSpec{flags: NewListener, nnp: true, statusFD: 4, insns: allowAllForFuzz, godebug: "0"}.String())
	f.Add(helperSpec{flags: Log | SpecAllow, statusFD: -1, insns: allowAllForFuzz}.String())
	f.Add("v1:8:1:3:1bWFkdmRvbnRuZWVkPTE:BgAAAAAA/38=")
	f.Add("v1:0:1:3:-:")
	f.Add("v1::::::")
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := parseHelperSpec(spec)
		if err != nil {
			return
		}
		again, err := parseHelperSpec(s.String())
		if err != nil {
			t.Fatalf("%q parsed, but its String %q does not: %v", spec, s.String(), err)
		}
		if again.String() != s.String() {
			t.Fatalf("round trip: %q != %q", again.String(), s.String())
		}
	})
}

// FuzzExpand: any list of names expands without panicking; group names
// either resolve or give an error naming the known groups.
func FuzzExpand(f *testing.F) {
	for _, seed := range []string{"@basic-io,openat", "@system-service", "@known", "@nonesuch", "read,@@", "@go-runtime,@default"} {
		f.Add(seed, "amd64")
	}
	f.Add("@basic-io", "arm64,386")
	f.Add("@file-system", "SCMP_ARCH_X32")
	f.Fuzz(func(t *testing.T, names, arches string) {
		var abis []string
		if arches != "" {
			abis = strings.Split(arches, ",")
		}
		got, err := Expand(strings.Split(names, ","), abis...)
		if err != nil {
			return
		}
		for _, n := range got {
			if strings.HasPrefix(n, "@") {
				t.Fatalf("unexpanded group %q", n)
			}
		}
	})
}

var allowAllForFuzz = denyProgram(nil)
