package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// newFlagSet returns a flag set that reports errors to us instead of
// printing them, so that every usage error looks the same.
func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// errHelp is returned by parse when the user asked for --help; the caller
// returns nil after the help was printed.
var errHelp = errors.New("help requested")

// parse parses args with fs. The standard flag package stops at the first
// positional argument; with intermixed it goes on, so that
// "disasm prog.bpf --arch arm64" works as well as "disasm --arch arm64
// prog.bpf". After "--" everything is positional. It returns the positional
// arguments in order.
//
// Without intermixed (run, record), parsing stops at "--" or at the first
// positional argument, and the rest is the command to run, untouched: its
// own flags are not ours.
func parse(e *env, c *command, fs *flag.FlagSet, args []string, intermixed bool) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(e.stdout, c.longHelp())
				return nil, errHelp
			}
			return nil, usagef(c, "%s", flagErrorText(err))
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		consumed := len(args) - len(rest)
		if !intermixed || (consumed > 0 && args[consumed-1] == "--") {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// flagErrorText turns the flag package's messages into ours: it spells flags
// with two dashes, as our help does.
func flagErrorText(err error) string {
	s := err.Error()
	for _, pre := range []string{"defined: -", "argument: -", "for flag -", "value for -"} {
		s = strings.Replace(s, pre, pre+"-", 1)
	}
	return s
}

// listFlag is a comma-separated list flag. It records whether it was set at
// all, so that an empty --caps= (no capabilities) differs from no --caps (the
// default set).
type listFlag struct {
	set  bool
	list []string
}

func (l *listFlag) String() string { return strings.Join(l.list, ",") }

func (l *listFlag) Set(s string) error {
	l.set = true
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			l.list = append(l.list, f)
		}
	}
	return nil
}

// enumFlag accepts one of a fixed set of words.
type enumFlag struct {
	value   string
	allowed []string
}

func (f *enumFlag) String() string { return f.value }

func (f *enumFlag) Set(s string) error {
	for _, a := range f.allowed {
		if strings.EqualFold(s, a) {
			f.value = a
			return nil
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(f.allowed, ", "))
}

// parseUint64 reads a number the way the CLI documents it: decimal, or hex
// with 0x. A leading zero is decimal (no octal surprise), and a negative
// decimal is its 64-bit two's complement, so "-100" is AT_FDCWD.
func parseUint64(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty number")
	}
	if strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X") {
		return strconv.ParseUint(t[2:], 16, 64)
	}
	if strings.HasPrefix(t, "-") {
		n, err := strconv.ParseInt(t, 10, 64)
		return uint64(n), err
	}
	return strconv.ParseUint(t, 10, 64)
}

// parseArgs reads --args: up to six comma-separated numbers.
func parseArgs(s string) ([6]uint64, error) {
	var a [6]uint64
	if strings.TrimSpace(s) == "" {
		return a, nil
	}
	fields := strings.Split(s, ",")
	if len(fields) > 6 {
		return a, fmt.Errorf("%d values given, a syscall has at most 6 arguments", len(fields))
	}
	for i, f := range fields {
		v, err := parseUint64(f)
		if err != nil {
			return a, fmt.Errorf("argument %d (%q): want a decimal or 0x-hex 64-bit number", i, strings.TrimSpace(f))
		}
		a[i] = v
	}
	return a, nil
}
