package main

import (
	"errors"
	"fmt"
	"go/token"

	"github.com/seccompile/seccompile/profile"
)

func init() {
	register(&command{
		name:    "compile",
		summary: "compile a profile into a BPF program (raw, text, go, json)",
		synopsis: `compile (--profile FILE | --builtin NAME) [--arch LIST] [--caps LIST] [--kernel X.Y]
			[--unknown enosys|default] [--format raw|text|go|json] [-o FILE]`,
		help: compileHelp,
		run:  runCompile,
	})
}

func runCompile(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	var pf profileFlags
	pf.register(fs, true, true)
	format := enumFlag{value: "raw", allowed: []string{"raw", "text", "go", "json"}}
	fs.Var(&format, "format", "")
	out := fs.String("o", "", "")
	pkg := fs.String("package", "main", "")
	varName := fs.String("var", "filter", "")
	pos, err := parse(e, c, fs, args, true)
	if err != nil {
		return err
	}
	if err := noArgs(c, pos); err != nil {
		return err
	}
	if err := pf.check(c, true); err != nil {
		return err
	}
	if format.value == "go" {
		if !token.IsIdentifier(*pkg) {
			return usagef(c, "--package %q is not a Go identifier", *pkg)
		}
		if !token.IsIdentifier(*varName) {
			return usagef(c, "--var %q is not a Go identifier", *varName)
		}
	}
	if format.value == "raw" && (*out == "" || *out == "-") && isTerminal(e.stdout) {
		return usagef(c, "refusing to write a raw BPF program to a terminal: use -o FILE, or --format text")
	}

	pol, warns, err := pf.policy(e)
	if err != nil {
		return err
	}
	if format.value == "json" {
		p, err := profile.FromPolicy(pol)
		if err != nil {
			return fmt.Errorf("%s: %w", pf.source(), err)
		}
		data, err := p.MarshalJSON()
		if err == nil {
			data, err = indentJSON(data)
		}
		if err != nil {
			return err
		}
		return writeOutput(e, *out, data)
	}

	prog, _, err := build(pol)
	if err != nil {
		return fmt.Errorf("%s: %w", pf.source(), err)
	}
	var data []byte
	switch format.value {
	case "raw":
		data, err = prog.MarshalBinary()
	case "text":
		data = []byte(prog.String())
	case "go":
		data = prog.GoSource(*pkg, *varName)
	default:
		err = errors.New("unreachable format " + format.value)
	}
	if err != nil {
		return err
	}
	if err := writeOutput(e, *out, data); err != nil {
		return err
	}
	if n := len(warnings(warns, prog)); n > 0 {
		fmt.Fprintf(e.stderr, "seccompile: note: %d warning(s) (syscall names unknown on an ABI, overlapping rules, ...); 'seccompile stats' lists them\n", n)
	}
	return nil
}
