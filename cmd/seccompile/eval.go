package main

import (
	"fmt"
	"strings"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

func init() {
	register(&command{
		name:    "eval",
		summary: "print the action for one syscall",
		synopsis: `eval (--profile FILE | --builtin NAME | --bpf FILE) --arch NAME
			--syscall NAME|NUMBER [--args A0,A1,...] [--trace]`,
		help: evalHelp,
		run:  runEval,
	})
}

func runEval(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	var pf profileFlags
	pf.register(fs, true, false)
	bpfFile := fs.String("bpf", "", "")
	archName := fs.String("arch", "", "")
	sysName := fs.String("syscall", "", "")
	argList := fs.String("args", "", "")
	trace := fs.Bool("trace", false, "")
	pos, err := parse(e, c, fs, args, true)
	if err != nil {
		return err
	}
	if err := noArgs(c, pos); err != nil {
		return err
	}
	sources := 0
	for _, s := range []string{pf.file, pf.builtin, *bpfFile} {
		if s != "" {
			sources++
		}
	}
	switch {
	case sources == 0:
		return usagef(c, "what to evaluate is required: --profile FILE, --builtin docker or --bpf FILE")
	case sources > 1:
		return usagef(c, "--profile, --builtin and --bpf cannot be used together")
	case *archName == "":
		return usagef(c, "--arch is required: the ABI the call is made from (amd64, 386, x32, arm64, ...)")
	case *sysName == "":
		return usagef(c, "--syscall is required: a name or a number")
	}
	if err := pf.check(c, false); err != nil {
		return err
	}
	a, err := lookupArch(c, *archName)
	if err != nil {
		return err
	}
	callArgs, err := parseArgs(*argList)
	if err != nil {
		return usagef(c, "--args: %v", err)
	}
	nr, err := syscallNumber(c, a, *sysName)
	if err != nil {
		return err
	}
	d := vm.Data{Nr: nr, Arch: a.AuditArch, Args: callArgs}

	var (
		insns   []bpf.RawInstruction
		listing []string // per instruction, for --trace
		pol     *compiler.Policy
	)
	if *bpfFile != "" {
		if insns, err = readProgram(e, *bpfFile); err != nil {
			return err
		}
		if err := vm.Verify(insns); err != nil {
			return fmt.Errorf("%s: the kernel would reject this program: %w", *bpfFile, err)
		}
		if *trace {
			listing = listingLines(compiler.Disassemble(insns, a), len(insns))
		}
	} else {
		p, err := pf.load(e)
		if err != nil {
			return err
		}
		// The profile's own ABIs first, so that the program and a --trace
		// are those "compile" writes; an ABI the profile does not name gets
		// a program for that ABI alone, which is what the profile means on
		// a machine of that ABI.
		pol, _, err = evaluate(p, pf.source(), pf.options(nil))
		if err != nil || !policyCovers(pol, a) {
			pol, _, err = evaluate(p, pf.source(), pf.options([]string{a.Name}))
			if err != nil {
				return err
			}
		}
		prog, _, err := build(pol)
		if err != nil {
			return fmt.Errorf("%s: %w", pf.source(), err)
		}
		insns = prog.Insns
		if *trace {
			listing = listingLines(prog.String(), len(insns))
		}
	}

	p, err := vm.Load(insns)
	if err != nil {
		return err
	}
	ret, tr := p.Trace(d)
	act, known := compiler.ActionFromRet(ret)
	if pol != nil {
		// compiler.Check proved this already; a second, independent opinion
		// per call costs nothing.
		if want := pol.Eval(a, d); want != act {
			return fmt.Errorf("internal error: the program returns %v but the profile says %v (please report this bug)", act, want)
		}
	}
	if *trace {
		for _, pc := range tr.Path {
			fmt.Fprintln(e.stdout, listing[pc])
		}
	}
	if !known {
		fmt.Fprintf(e.stderr, "seccompile: note: the program returns %#08x, an action the kernel does not know; it runs as KILL_PROCESS\n", ret)
	}
	if act.Kind == compiler.KindErrno && act.Data > compiler.MaxErrno {
		// __seccomp_filter clamps the errno to MAX_ERRNO.
		fmt.Fprintf(e.stderr, "seccompile: note: the program returns ERRNO(%d); the kernel clamps it to %d\n", act.Data, compiler.MaxErrno)
		act.Data = compiler.MaxErrno
	}
	_, err = fmt.Fprintln(e.stdout, act)
	return err
}

// syscallNumber resolves --syscall: a number is taken as the filter sees it,
// a name is looked up in the ABI's table (x32 names include the x32 bit).
func syscallNumber(c *command, a *arch.Arch, s string) (uint32, error) {
	if s[0] >= '0' && s[0] <= '9' || s[0] == '-' {
		n, err := parseUint64(s)
		if err != nil {
			return 0, usagef(c, "--syscall %q: want a name or a decimal or 0x-hex number", s)
		}
		if neg := int64(n); n > 0xffffffff && (neg >= 0 || neg < -1<<31) {
			return 0, usagef(c, "--syscall %q: a syscall number is 32 bits", s)
		}
		return uint32(n), nil
	}
	nr, ok := a.Syscall(strings.ToLower(s))
	if !ok {
		return 0, fmt.Errorf("--syscall %q: no syscall of that name on %s", s, a.Name)
	}
	return nr, nil
}

// policyCovers reports whether pol accepts calls from ABI a.
func policyCovers(pol *compiler.Policy, a *arch.Arch) bool {
	if len(pol.Arches) == 0 {
		return a == arch.Native()
	}
	for _, name := range pol.Arches {
		if b, err := arch.Lookup(name); err == nil && b == a {
			return true
		}
	}
	return false
}

// listingLines picks the line of each instruction out of a listing, keyed
// by the instruction number at the start of the line.
func listingLines(listing string, n int) []string {
	lines := make([]string, n)
	for _, l := range strings.Split(listing, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		var pc int
		if _, err := fmt.Sscanf(f[0], "%d", &pc); err != nil || pc < 0 || pc >= n || lines[pc] != "" {
			continue
		}
		lines[pc] = l
	}
	for i := range lines {
		if lines[i] == "" {
			lines[i] = fmt.Sprintf(" %04d", i)
		}
	}
	return lines
}
