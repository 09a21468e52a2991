package compiler_test

import (
	"fmt"
	"testing"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/vm"
)

// dockerPolicy is Docker's default profile evaluated as dockerd would for a
// container with the default capabilities on a 6.18 kernel, for arches.
func dockerPolicy(tb testing.TB, arches ...string) *compiler.Policy {
	tb.Helper()
	d := profile.DockerDefault()
	if d == nil {
		tb.Skip("profile.DockerDefault is not available on this OS")
	}
	p, _, err := d.Policy(profile.Options{Arches: arches, Kernel: "6.18"})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// pathStats runs prog on every syscall number of a (the table's span, gaps
// included) with zero arguments and returns the mean and largest number of
// instructions executed, and the number that costs the most.
func pathStats(tb testing.TB, prog *compiler.Program, a *arch.Arch) (mean float64, worst int, worstNr uint32) {
	tb.Helper()
	vp, err := vm.Load(prog.Insns)
	if err != nil {
		tb.Fatal(err)
	}
	s := a.Syscalls()
	lo, hi := s[0].Nr, a.MaxSyscall()
	if a.Name == "arm" { // the private calls at 0x0f0000 are not part of the span
		hi = lo + 500
	}
	total := 0
	for nr := lo; nr <= hi; nr++ {
		_, tr := vp.Trace(vm.Data{Nr: nr, Arch: a.AuditArch})
		total += tr.Executed
		if tr.Executed > worst {
			worst, worstNr = tr.Executed, nr
		}
	}
	return float64(total) / float64(hi-lo+1), worst, worstNr
}

func cachedAllows(tb testing.TB, p *compiler.Policy, prog *compiler.Program) (allowed, cached int) {
	tb.Helper()
	r, err := compiler.Check(p, prog)
	if err != nil {
		tb.Fatal(err)
	}
	return r.Allowed, r.Cached
}

func benchCompile(b *testing.B, p *compiler.Policy) *compiler.Program {
	prog, err := compiler.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	defer lockThread()()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := threadCPU()
	for b.Loop() {
		prog, err := compiler.Compile(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := prog.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
	cpu := threadCPU() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(prog.Insns)), "insns")
	return prog
}

// BenchmarkCompileDocker is the headline: Docker's default profile
// (default capabilities, x86_64 only), evaluated profile → program.
func BenchmarkCompileDocker(b *testing.B) {
	p := dockerPolicy(b, "x86_64")
	prog := benchCompile(b, p)
	a, _ := arch.Lookup("x86_64")
	mean, worst, _ := pathStats(b, prog, a)
	allowed, cached := cachedAllows(b, p, prog)
	b.ReportMetric(mean, "mean-executed")
	b.ReportMetric(float64(worst), "max-executed")
	b.ReportMetric(float64(allowed), "allowed")
	b.ReportMetric(float64(cached), "cached")
}

// BenchmarkCompileDocker3 is Docker's default for x86_64, i386 and x32.
func BenchmarkCompileDocker3(b *testing.B) {
	p := dockerPolicy(b, "x86_64", "i386", "x32")
	prog := benchCompile(b, p)
	var sum float64
	worst := 0
	for _, name := range []string{"x86_64", "i386", "x32"} {
		a, _ := arch.Lookup(name)
		m, w, _ := pathStats(b, prog, a)
		sum += m
		worst = max(worst, w)
	}
	allowed, cached := cachedAllows(b, p, prog)
	b.ReportMetric(sum/3, "mean-executed")
	b.ReportMetric(float64(worst), "max-executed")
	b.ReportMetric(float64(allowed), "allowed")
	b.ReportMetric(float64(cached), "cached")
}

// BenchmarkCheckDocker is what proving the Docker program costs.
func BenchmarkCheckDocker(b *testing.B) {
	p := dockerPolicy(b, "x86_64")
	prog, err := compiler.Compile(p)
	if err != nil {
		b.Fatal(err)
	}
	var r *compiler.Report
	defer lockThread()()
	b.ReportAllocs()
	cpu0 := threadCPU()
	for b.Loop() {
		if r, err = compiler.Check(p, prog); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((threadCPU()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(r.Inputs), "inputs")
}

func TestDockerStats(t *testing.T) {
	for _, arches := range [][]string{{"x86_64"}, {"x86_64", "i386", "x32"}, {"aarch64", "arm"}, {"s390x", "s390"}} {
		p := dockerPolicy(t, arches...)
		prog, err := compiler.Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := compiler.Check(p, prog)
		if err != nil {
			t.Fatal(err)
		}
		line := fmt.Sprintf("%v: %d insns, allowed %d cached %d, inputs %d, exhaustive %v", arches, len(prog.Insns), r.Allowed, r.Cached, r.Inputs, r.Exhaustive)
		for _, name := range arches {
			a, _ := arch.Lookup(name)
			m, w, nr := pathStats(t, prog, a)
			n, _ := a.SyscallName(nr)
			line += fmt.Sprintf("; %s mean %.2f worst %d (%s %#x)", name, m, w, n, nr)
		}
		t.Log(line)
	}
}
