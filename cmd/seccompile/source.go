package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
)

// profileFlags are the flags every subcommand that reads a profile takes
// (compile, eval, stats, diff, run): where the profile comes from and how it
// is evaluated.
type profileFlags struct {
	file    string
	builtin string
	arches  listFlag
	caps    listFlag
	kernel  string
	unknown enumFlag
}

// register adds the flags to fs. withSource adds --profile and --builtin
// (diff takes its profiles as arguments); withArch adds --arch as a list
// (eval and diff define their own single --arch).
func (pf *profileFlags) register(fs *flag.FlagSet, withSource, withArch bool) {
	if withSource {
		fs.StringVar(&pf.file, "profile", "", "")
		fs.StringVar(&pf.builtin, "builtin", "", "")
	}
	if withArch {
		fs.Var(&pf.arches, "arch", "")
	}
	fs.Var(&pf.caps, "caps", "")
	fs.StringVar(&pf.kernel, "kernel", "", "")
	pf.unknown = enumFlag{value: "enosys", allowed: []string{"enosys", "default"}}
	fs.Var(&pf.unknown, "unknown", "")
}

// check validates the flag values; needSource says whether exactly one of
// --profile and --builtin is required.
func (pf *profileFlags) check(c *command, needSource bool) error {
	if needSource {
		switch {
		case pf.file == "" && pf.builtin == "":
			return usagef(c, "a profile is required: --profile FILE or --builtin docker")
		case pf.file != "" && pf.builtin != "":
			return usagef(c, "--profile and --builtin cannot be used together")
		}
	}
	if pf.builtin != "" && !strings.EqualFold(pf.builtin, "docker") {
		return usagef(c, "--builtin %q: the built-in profiles are: docker", pf.builtin)
	}
	for _, a := range pf.arches.list {
		if _, err := arch.Lookup(a); err != nil {
			return usagef(c, "--arch: %v", err)
		}
	}
	if pf.arches.set && len(pf.arches.list) == 0 {
		return usagef(c, "--arch: empty list")
	}
	if pf.kernel != "" {
		// "X.Y", or a release string as uname -r prints it, of which
		// Docker compares X.Y only.
		if _, err := profile.ParseKernelVersion(pf.kernel); err != nil {
			return usagef(c, "--kernel %q: want a version like 5.10", pf.kernel)
		}
	}
	caps, err := normalizeCaps(pf.caps.list)
	if err != nil {
		return usagef(c, "--caps: %v", err)
	}
	pf.caps.list = caps
	return nil
}

// source names the profile in messages: the file name, or "builtin docker".
func (pf *profileFlags) source() string {
	if pf.builtin != "" {
		return "builtin " + strings.ToLower(pf.builtin)
	}
	if pf.file == "-" {
		return "stdin"
	}
	return pf.file
}

// load reads the profile the flags name.
func (pf *profileFlags) load(e *env) (*profile.Profile, error) {
	if pf.builtin != "" {
		return profile.DockerDefault(), nil
	}
	return loadProfile(e, pf.file)
}

// loadProfile reads and parses a JSON profile; "-" is stdin. Errors name the
// file, and profile errors add the line, column and field.
func loadProfile(e *env, file string) (*profile.Profile, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(e.stdin)
		file = "stdin"
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, err
	}
	p, err := profile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// options returns the evaluation options the flags ask for, targeting the
// given ABIs (nil: the profile's own).
func (pf *profileFlags) options(arches []string) profile.Options {
	o := profile.Options{
		Arches:      arches,
		Kernel:      pf.kernel,
		RuncUnknown: pf.unknown.value == "default",
	}
	if pf.caps.set {
		o.Caps = append([]string{}, pf.caps.list...)
	}
	return o
}

// policy loads the profile and evaluates it for the --arch list.
func (pf *profileFlags) policy(e *env) (*compiler.Policy, []profile.Warning, error) {
	p, err := pf.load(e)
	if err != nil {
		return nil, nil, err
	}
	return evaluate(p, pf.source(), pf.options(pf.arches.list))
}

// evaluate turns a profile into a policy, naming the source in errors.
func evaluate(p *profile.Profile, source string, o profile.Options) (*compiler.Policy, []profile.Warning, error) {
	pol, warns, err := p.Policy(o)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", source, err)
	}
	return pol, warns, nil
}

// normalizeCaps spells capabilities as profiles do (CAP_ prefix, upper
// case), expands ALL, and rejects names Linux does not have, so that a typo
// is an error rather than a silently missing capability.
func normalizeCaps(in []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	add := func(c string) {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	for _, c := range in {
		u := strings.ToUpper(strings.TrimSpace(c))
		if u == "ALL" || u == "CAP_ALL" {
			for _, n := range profile.AllCaps() {
				add(n)
			}
			continue
		}
		if !strings.HasPrefix(u, "CAP_") {
			u = "CAP_" + u
		}
		if !slices.Contains(profile.AllCaps(), u) {
			return nil, fmt.Errorf("unknown capability %q", c)
		}
		add(u)
	}
	return out, nil
}

// lookupArch resolves one --arch value.
func lookupArch(c *command, name string) (*arch.Arch, error) {
	a, err := arch.Lookup(name)
	if err != nil {
		return nil, usagef(c, "--arch: %v", err)
	}
	return a, nil
}

// noArgs rejects positional arguments for commands that take none.
func noArgs(c *command, pos []string) error {
	if len(pos) > 0 {
		return usagef(c, "unexpected argument %q", pos[0])
	}
	return nil
}
