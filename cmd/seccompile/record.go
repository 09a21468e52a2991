package main

import (
	"context"
	"errors"
	"fmt"
	"go/token"
	"os/signal"
	"syscall"

	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/record"
)

func init() {
	register(&command{
		name:     "record",
		summary:  "record a command's syscalls and write its profile",
		synopsis: "record [-o FILE] [--backend ebpf|notify] [--args] [--merge FILE] [--format json|go] [--summary] -- COMMAND [ARG...]",
		help:     recordHelp,
		run:      runRecord,
	})
}

func runRecord(e *env, c *command, args []string) error {
	fs := newFlagSet(c)
	out := fs.String("o", "", "")
	backend := enumFlag{allowed: []string{"ebpf", "notify", "ptrace"}}
	fs.Var(&backend, "backend", "")
	withArgs := fs.Bool("args", false, "")
	merge := fs.String("merge", "", "")
	format := enumFlag{value: "json", allowed: []string{"json", "go"}}
	fs.Var(&format, "format", "")
	pkg := fs.String("package", "sandbox", "")
	summary := fs.Bool("summary", false, "")
	argv, err := parse(e, c, fs, args, false)
	if err != nil {
		return err
	}
	if len(argv) == 0 {
		return usagef(c, "no command given: seccompile record -o FILE -- COMMAND [ARG...]")
	}
	if backend.value == "ptrace" {
		// DESIGN.md's contract names ptrace; the unprivileged backend we
		// ship is seccomp user notification (record's package doc says why).
		return usagef(c, "--backend ptrace: there is no ptrace backend; the unprivileged backend is notify")
	}
	if format.value == "go" && *merge != "" {
		return usagef(c, "--merge writes a JSON profile; it does not go with --format go")
	}
	if format.value == "go" && !token.IsIdentifier(*pkg) {
		return usagef(c, "--package %q is not a Go package name", *pkg)
	}
	var base *profile.Profile
	if *merge != "" {
		if base, err = loadProfile(e, *merge); err != nil {
			return fmt.Errorf("record: --merge: %w", err)
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rec, err := record.Run(ctx, argv, record.Options{
		Backend: backend.value,
		Args:    *withArgs,
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
	data, warns, err := recordOutput(rec, format.value, *pkg, base)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if err := writeOutput(e, *out, data); err != nil {
		return err
	}
	for _, w := range warns {
		fmt.Fprintf(e.stderr, "seccompile: warning: %s\n", w)
	}
	if *summary {
		if err := rec.Summary(e.stderr); err != nil {
			return err
		}
	}
	n := len(rec.Syscalls())
	where := "stdout"
	if *out != "" && *out != "-" {
		where = *out
	}
	what := "profile"
	if format.value == "go" {
		what = "Go source"
	}
	fmt.Fprintf(e.stderr, "seccompile: recorded %d syscalls with the %s backend in %v; %s written to %s\n",
		n, rec.Backend, rec.Duration.Round(1e6), what, where)
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

// recordOutput renders a recording: Go source, or an indented JSON profile,
// merged into base when there is one (with Merge's warnings).
func recordOutput(rec *record.Recording, format, pkg string, base *profile.Profile) ([]byte, []string, error) {
	if format == "go" {
		data, err := rec.GoSource(pkg, record.ProfileOptions{})
		return data, nil, err
	}
	var p *profile.Profile
	var warns []string
	var err error
	if base != nil {
		p, warns, err = record.Merge(base, rec, record.ProfileOptions{})
	} else {
		p, err = rec.Profile(record.ProfileOptions{})
	}
	if err != nil {
		return nil, nil, err
	}
	data, err := p.MarshalJSON()
	if err == nil {
		data, err = indentJSON(data)
	}
	return data, warns, err
}
