package main

import (
	"strings"
	"testing"
)

// TestArchCrossCheck compares our syscall tables with libseccomp's resolver
// on every ABI both know. Names libseccomp 2.5.4 lacks (newer calls, the
// socket calls it maps to socketcall pseudo numbers) are expected; a name
// both know with different numbers, or a number libseccomp names that our
// table lacks, is a failure.
func TestArchCrossCheck(t *testing.T) {
	ds := crossCheckArches()
	compared := 0
	for _, d := range ds {
		if d.Skipped != "" {
			continue
		}
		compared++
		if len(d.Differ) > 0 {
			t.Errorf("%s: numbers differ: %s", d.Arch, strings.Join(d.Differ, "; "))
		}
		if len(d.TheirOnly) > 0 {
			t.Errorf("%s: libseccomp knows, our table lacks: %s", d.Arch, strings.Join(d.TheirOnly, ", "))
		}
		if d.Agree < 250 {
			t.Errorf("%s: only %d names agree", d.Arch, d.Agree)
		}
	}
	if compared < 10 {
		t.Errorf("compared %d ABIs, want at least 10", compared)
	}
	t.Log("\n" + archCheckMarkdown(ds))
}
