// Command bench compares seccompile's compiler with libseccomp, gVisor's
// pkg/seccomp and elastic/go-seccomp-bpf on real profiles: program length,
// instructions executed per syscall, the kernel's action cache, compile time
// and the kernel's cost per call; it checks that every program gives the same
// verdicts as the policy, and compares our syscall tables with libseccomp's.
//
// Run it from this directory (bench/ is a module of its own, with cgo for
// libseccomp):
//
//	cd bench && go run .
//
// It prints the markdown table and writes RESULTS.md and chart.svg. The
// kernel-cost part needs root (it installs filters in child processes);
// -kernel=false skips it.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func main() {
	testing.Init()
	out := flag.String("out", ".", "directory for RESULTS.md and chart.svg")
	kernel := flag.Bool("kernel", true, "measure the kernel's cost per call in filtered child processes (root)")
	timing := flag.Bool("timing", true, "measure compile times with testing.Benchmark")
	benchtime := flag.String("benchtime", "100ms", "testing.Benchmark time per compile-time run (the fastest of five runs is reported)")
	rounds := flag.Int("rounds", 15, "kernel cost: rounds over all filters (each figure is the fastest)")
	calls := flag.Int("calls", 100000, "kernel cost: calls per measurement")
	flag.Parse()
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fatal(err)
	}
	r, err := run(options{kernel: *kernel, timing: *timing, rounds: *rounds, calls: *calls})
	if err != nil {
		fatal(err)
	}
	md := r.markdown()
	if err := os.WriteFile(filepath.Join(*out, "RESULTS.md"), []byte(md), 0o644); err != nil {
		fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*out, "chart.svg"), r.chart(), 0o644); err != nil {
		fatal(err)
	}
	fmt.Print(r.mainTable())
	fmt.Fprintf(os.Stderr, "wrote %s and %s\n", filepath.Join(*out, "RESULTS.md"), filepath.Join(*out, "chart.svg"))
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
