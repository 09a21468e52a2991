package main

import (
	"testing"
)

// BenchmarkBuild is the compile time of every compiler from the evaluated
// policy to the program (go test -run '^$' -bench Build), the same figure
// the runner's "compile time" column reports.
func BenchmarkBuild(b *testing.B) {
	cs, _, err := cases()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cs {
		for _, comp := range compilersAll() {
			if !comp.MultiArch && len(c.ABIs) > 1 {
				continue
			}
			pol := c.Policy
			if comp.Ours {
				pol = c.Ours
			}
			if _, err := comp.Build(pol); err != nil {
				continue // too long for the kernel, or not expressible
			}
			b.Run(c.Profile+"/"+c.ABISet()+"/"+comp.Name, func(b *testing.B) {
				b.ReportAllocs()
				var insns int
				for b.Loop() {
					built, err := comp.Build(pol)
					if err != nil {
						b.Fatal(err)
					}
					insns = len(built.Insns)
				}
				b.ReportMetric(float64(insns), "insns")
			})
		}
	}
}
