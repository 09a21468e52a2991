package main

import (
	"errors"
	"fmt"
)

// errNotAvailable is returned by subcommands whose library has not landed.
var errNotAvailable = errors.New("not available yet")

func init() {
	for _, c := range []*command{
		{name: "compile", summary: "compile a profile into a BPF program (raw, text, go, json)", help: compileHelp,
			synopsis: "compile (--profile FILE | --builtin NAME) [--arch LIST] [--caps LIST] [--kernel X.Y]\n[--unknown enosys|default] [--format raw|text|go|json] [-o FILE]"},
		{name: "disasm", summary: "print a raw BPF program as an annotated listing", help: disasmHelp,
			synopsis: "disasm FILE.bpf [--arch NAME]"},
		{name: "verify", summary: "check a raw BPF program with the kernel's load-time rules", help: verifyHelp,
			synopsis: "verify FILE.bpf"},
		{name: "eval", summary: "print the action for one syscall", help: evalHelp,
			synopsis: "eval (--profile FILE | --builtin NAME | --bpf FILE) --arch NAME\n--syscall NAME|NUMBER [--args A0,A1,...] [--trace]"},
		{name: "stats", summary: "program size, cost per syscall, cached syscalls, warnings", help: statsHelp,
			synopsis: "stats (--profile FILE | --builtin NAME) [--arch LIST] [-v]"},
		{name: "diff", summary: "which syscalls and argument ranges change action", help: diffHelp,
			synopsis: "diff A.json B.json [--arch NAME]"},
		{name: "run", summary: "run a command under a profile", help: runHelp,
			synopsis: "run (--profile FILE | --builtin NAME) [--log] -- COMMAND [ARG...]"},
		{name: "record", summary: "record a command's syscalls and write its profile", help: recordHelp,
			synopsis: "record [-o FILE] [--backend ebpf|ptrace|notify] -- COMMAND [ARG...]"},
	} {
		c.run = runStub
		register(c)
	}
}

func runStub(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	if _, err := parse(e, c, fs, args, true); err != nil {
		if errors.Is(err, errHelp) {
			return nil
		}
		return err
	}
	return fmt.Errorf("%s: %w", c.name, errNotAvailable)
}
