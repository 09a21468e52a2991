// Command seccompile compiles, inspects, tests, compares and applies Linux
// seccomp profiles (OCI, Docker and Podman JSON) without libseccomp.
//
// Usage:
//
//	seccompile compile  (--profile FILE | --builtin NAME) [--arch LIST] [--caps LIST] [--kernel X.Y]
//	                    [--unknown enosys|default] [--format raw|text|go|json] [-o FILE]
//	seccompile disasm   FILE.bpf [--arch NAME]
//	seccompile verify   FILE.bpf
//	seccompile eval     (--profile FILE | --builtin NAME | --bpf FILE) --arch NAME
//	                    --syscall NAME|NUMBER [--args A0,A1,...] [--trace]
//	seccompile stats    (--profile FILE | --builtin NAME) [--arch LIST] [-v]
//	seccompile diff     A.json B.json [--arch NAME]
//	seccompile run      (--profile FILE | --builtin NAME) [--log] -- COMMAND [ARG...]
//	seccompile record   [-o FILE] [--backend ebpf|ptrace|notify] -- COMMAND [ARG...]
//
// Flags may come before or after the positional arguments, except for run
// and record, where everything after "--" (or after the first argument that
// is not a flag) is the command.
//
// Exit status: 0 success; 1 bad input, a failed check, or (diff) profiles
// that differ; 2 a usage error. Every error is one line on stderr that starts
// with "seccompile: ", so a caller of diff tells "different" (exit 1, the
// differences on stdout, nothing on stderr) from "error" (exit 1, a
// "seccompile: " line on stderr). run exits with the command's status, or
// 128+signal when the command was killed by a signal.
//
// See docs/cli.md for a walkthrough with real output.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"
)

// env is what a subcommand may touch of the outside world, so that tests and
// main use the same code.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name     string
	synopsis string // the usage lines, without the leading "seccompile "
	summary  string // one line for the command list
	help     string // the long help text; ends with an example
	run      func(e *env, cmd *command, args []string) error
}

// commands is filled by each subcommand's file in an init function, so that
// a subcommand lives entirely in its own file.
var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}
	os.Exit(run(e, os.Args[1:]))
}

// run executes the command line args and returns the exit status.
func run(e *env, args []string) (status int) {
	defer func() {
		// A panic is a bug in seccompile, never the user's fault: say so in
		// one line instead of a stack trace, and keep the trace for a report
		// only when asked.
		if r := recover(); r != nil {
			fmt.Fprintf(e.stderr, "seccompile: internal error: %v (please report this bug)\n", r)
			if os.Getenv("SECCOMPILE_DEBUG") != "" {
				e.stderr.Write(debug.Stack())
			}
			status = 1
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(e.stderr, mainUsage())
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if name == "help" && len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				return report(e, usagef(nil, "unknown command %q", args[1]))
			}
			fmt.Fprint(e.stdout, c.longHelp())
			return 0
		}
		fmt.Fprint(e.stdout, mainUsage())
		return 0
	}
	c, ok := commands[name]
	if !ok {
		return report(e, usagef(nil, "unknown command %q", name))
	}
	return report(e, c.run(e, c, args[1:]))
}

// report prints err the way every subcommand reports errors and turns it
// into the exit status.
func report(e *env, err error) int {
	if err == nil || errors.Is(err, errHelp) {
		return 0
	}
	var ex exitStatus
	if errors.As(err, &ex) {
		return int(ex)
	}
	var se *statusError
	if errors.As(err, &se) {
		fmt.Fprintf(e.stderr, "seccompile: %v\n", se.err)
		return se.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.cmd != nil {
			fmt.Fprintf(e.stderr, "seccompile: %s: %s\nusage: %s\nRun 'seccompile help %s' for details.\n",
				ue.cmd.name, ue.msg, indentSynopsis(ue.cmd.synopsis), ue.cmd.name)
		} else {
			fmt.Fprintf(e.stderr, "seccompile: %s\nRun 'seccompile help' for the list of commands.\n", ue.msg)
		}
		return 2
	}
	fmt.Fprintf(e.stderr, "seccompile: %v\n", err)
	return 1
}

// usageError is a command line the tool cannot make sense of: exit status 2.
type usageError struct {
	cmd *command
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usagef(c *command, format string, args ...any) error {
	return &usageError{cmd: c, msg: fmt.Sprintf(format, args...)}
}

// statusError is an error reported with an exit status of its own, as
// run's 126 and 127 for a command that cannot be executed or found.
type statusError struct {
	code int
	err  error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// exitStatus ends the program with that status and prints nothing: the
// subcommand has already said what there is to say (diff's differences, the
// status of the command run).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func mainUsage() string {
	var b strings.Builder
	b.WriteString("seccompile compiles, inspects, compares and applies Linux seccomp profiles.\n\nUsage:\n\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return commandOrder(names[i]) < commandOrder(names[j]) })
	for _, n := range names {
		fmt.Fprintf(&b, "  %-8s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun 'seccompile help COMMAND' or 'seccompile COMMAND --help' for a command's flags and an example.\n")
	b.WriteString("Exit status: 0 ok, 1 bad input or a failed check (diff: the profiles differ), 2 usage error.\n")
	return b.String()
}

// commandOrder lists the subcommands in the order a user meets them.
func commandOrder(name string) int {
	for i, n := range []string{"compile", "disasm", "verify", "eval", "stats", "diff", "run", "record"} {
		if n == name {
			return i
		}
	}
	return 100
}

func (c *command) longHelp() string {
	return "usage: " + indentSynopsis(c.synopsis) + "\n\n" + strings.TrimLeft(c.help, "\n")
}

// indentSynopsis lines continuation lines up under the first flag, after
// "usage: seccompile NAME ".
func indentSynopsis(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	indent := ""
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
		if i == 0 {
			name, _, _ := strings.Cut(lines[0], " ")
			indent = strings.Repeat(" ", len("usage: seccompile ")+len(name)+1)
			lines[i] = "seccompile " + lines[i]
		} else {
			lines[i] = indent + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}
