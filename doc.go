// Package seccompile is the root of a cgo-free Go toolchain for Linux seccomp.
//
// It builds classic-BPF seccomp programs from rule structs, verifies them in an
// in-process BPF VM that behaves like the kernel, proves them equal to their
// rules, and installs them with seccomp(2).
//
// Where to start:
//
//   - [github.com/seccompile/seccompile/seccomp]: Install a policy in the
//     running Go process (the friendly front door).
//   - [github.com/seccompile/seccompile/compiler]: the policy model, the
//     compiler, the equivalence check and the annotated disassembly.
//   - [github.com/seccompile/seccompile/profile]: OCI, Docker and Podman JSON
//     profiles in and out.
//   - [github.com/seccompile/seccompile/vm]: the kernel's verifier and
//     interpreter for seccomp classic BPF.
//   - [github.com/seccompile/seccompile/arch]: Linux ABIs and syscall tables.
//   - cmd/seccompile: the command-line tool.
package seccompile
