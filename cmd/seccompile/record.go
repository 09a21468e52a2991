package main

import "fmt"

func init() {
	register(&command{
		name:     "record",
		summary:  "record a command's syscalls and write its profile",
		synopsis: "record [-o FILE] [--backend ebpf|ptrace|notify] -- COMMAND [ARG...]",
		help:     recordHelp,
		run:      runRecord,
	})
}

func runRecord(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	_ = fs.String("o", "", "")
	backend := enumFlag{value: "ebpf", allowed: []string{"ebpf", "ptrace", "notify"}}
	fs.Var(&backend, "backend", "")
	argv, err := parse(e, c, fs, args, false)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return usagef(c, "no command given: seccompile record -o FILE -- COMMAND [ARG...]")
	}
	// The recorder (package record) has not landed yet.
	return fmt.Errorf("record: not available yet")
}
