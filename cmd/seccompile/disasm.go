package main

import (
	"fmt"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

func init() {
	register(&command{
		name:     "disasm",
		summary:  "print a raw BPF program as an annotated listing",
		synopsis: "disasm FILE.bpf [--arch NAME]",
		help:     disasmHelp,
		run:      runDisasm,
	})
}

func runDisasm(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	archName := fs.String("arch", "", "")
	pos, err := parse(e, c, fs, args, true)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef(c, "want one program file, got %d arguments", len(pos))
	}
	var arches []*arch.Arch
	if *archName != "" {
		a, err := lookupArch(c, *archName)
		if err != nil {
			return err
		}
		arches = append(arches, a)
	}
	insns, err := readProgram(e, pos[0])
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(e.stdout, compiler.Disassemble(insns, arches...))
	return err
}
