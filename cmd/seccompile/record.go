package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"slices"
	"syscall"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/record"
)

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
	out := fs.String("o", "", "")
	backend := enumFlag{allowed: []string{"ebpf", "ptrace", "notify"}}
	fs.Var(&backend, "backend", "")
	argv, err := parse(e, c, fs, args, false)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return usagef(c, "no command given: seccompile record -o FILE -- COMMAND [ARG...]")
	}
	if backend.value == "ptrace" {
		return fmt.Errorf("record: the ptrace backend is not available in this build; use --backend ebpf (root) or notify")
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rec, err := record.Run(ctx, argv, record.Options{
		Backend: backend.value,
		Stdin:   e.stdin,
		Stdout:  e.stdout,
		Stderr:  e.stderr,
	})
	if err != nil {
		if errors.Is(err, record.ErrUnavailable) {
			return fmt.Errorf("record: %w (record.Available lists why each backend cannot run)", err)
		}
		return fmt.Errorf("record: %w", err)
	}
	p := recordedProfile(rec)
	data, err := p.MarshalJSON()
	if err == nil {
		data, err = indentJSON(data)
	}
	if err != nil {
		return err
	}
	if err := writeOutput(e, *out, data); err != nil {
		return err
	}
	n := 0
	for _, a := range rec.Arches() {
		n += len(rec.Names(a.Name))
	}
	where := "stdout"
	if *out != "" && *out != "-" {
		where = *out
	}
	fmt.Fprintf(e.stderr, "seccompile: recorded %d syscalls with the %s backend in %v; profile written to %s\n",
		n, rec.Backend, rec.Duration.Round(1e6), where)
	if rec.Lost > 0 {
		fmt.Fprintf(e.stderr, "seccompile: warning: %d events were lost; the profile may miss syscalls\n", rec.Lost)
	}
	if rec.ExitCode != 0 {
		if rec.ExitCode < 0 {
			fmt.Fprintf(e.stderr, "seccompile: %s was killed by a signal\n", argv[0])
			return exitStatus(1)
		}
		return exitStatus(rec.ExitCode)
	}
	return nil
}

// recordedProfile is the smallest profile that lets the command do what it
// did: ERRNO(EPERM) for everything else, one ALLOW rule per ABI seen. execve
// is always allowed, because "seccompile run" installs the filter before it
// executes the command, as runc does.
func recordedProfile(rec *record.Recording) *profile.Profile {
	eperm := uint(1)
	p := &profile.Profile{DefaultAction: "SCMP_ACT_ERRNO", DefaultErrnoRet: &eperm}
	arches := rec.Arches()
	if len(arches) == 0 {
		arches = append(arches, arch.Native())
	}
	for _, a := range arches {
		p.Architectures = append(p.Architectures, a.OCI)
		names := rec.Names(a.Name)
		if !slices.Contains(names, "execve") {
			names = append(names, "execve")
			slices.Sort(names)
		}
		s := profile.Syscall{Names: names, Action: "SCMP_ACT_ALLOW", Comment: "recorded: " + argvString(rec.Command)}
		if len(arches) > 1 {
			s.Includes = &profile.Filter{Arches: []string{a.Name}}
		}
		p.Syscalls = append(p.Syscalls, s)
	}
	return p
}

func argvString(argv []string) string {
	s := ""
	for i, a := range argv {
		if i > 0 {
			s += " "
		}
		s += a
	}
	return s
}
