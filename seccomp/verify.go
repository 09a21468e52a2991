package seccomp

import (
	"fmt"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/vm"
)

// maxInsns is BPF_MAXINSNS, the kernel's limit on one filter.
const maxInsns = vm.MaxInsns

// verify checks a program with the kernel's own load-time rules (vm.Verify:
// bpf_check_classic and seccomp_check_filter), so that a bad program is
// reported with the instruction at fault instead of a bare EINVAL. The
// error matches ErrProgram and the vm's rule sentinel.
func verify(insns []bpf.RawInstruction) error {
	if err := checkLen(insns); err != nil {
		return err
	}
	err := vm.Verify(insns)
	if ve, ok := err.(*vm.VerifyError); ok && ve == nil {
		// vm.Verify at 13944ac returns a typed nil *VerifyError for valid
		// programs; an untyped nil is what it means.
		err = nil
	}
	if err != nil {
		return fmt.Errorf("seccomp: %w: %w", ErrProgram, err)
	}
	return nil
}

func checkLen(insns []bpf.RawInstruction) error {
	if len(insns) == 0 || len(insns) > maxInsns {
		return fmt.Errorf("seccomp: program has %d instructions, want 1..%d: %w", len(insns), maxInsns, ErrProgram)
	}
	return nil
}
