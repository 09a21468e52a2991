package main

import (
	"fmt"

	"github.com/seccompile/seccompile/vm"
)

func init() {
	register(&command{
		name:     "verify",
		summary:  "check a raw BPF program with the kernel's load-time rules",
		synopsis: "verify FILE.bpf",
		help:     verifyHelp,
		run:      runVerify,
	})
}

// maxInsnsPerPath is the kernel's budget for a chain of stacked filters,
// counted in instructions after conversion to eBPF (MAX_INSNS_PER_PATH in
// kernel/seccomp.c); each filter already in the chain costs 4 more.
const maxInsnsPerPath = 32768

func runVerify(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	pos, err := parse(e, c, fs, args, true)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(c, "want one program file, got %d arguments", len(pos))
	}
	insns, err := readProgram(e, pos[0])
	if err != nil {
		return err
	}
	name := pos[0]
	if name == "-" {
		name = "stdin"
	}
	if err := vm.Verify(insns); err != nil {
		return fmt.Errorf("%s: the kernel would reject this program: %w", name, err)
	}
	conv := vm.ConvertedLen(insns)
	_, err = fmt.Fprintf(e.stdout, "%s: ok: %d instructions, %d after the kernel's conversion to eBPF (budget %d for all stacked filters)\n",
		name, len(insns), conv, maxInsnsPerPath)
	return err
}
