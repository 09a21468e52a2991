package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
)

// Case is one profile evaluated for one set of ABIs.
type Case struct {
	Profile string // "docker-default", ...
	ABIs    []string
	// Policy is the evaluated profile with unknown numbers getting the
	// default action (profile.Options.RuncUnknown), the meaning every peer
	// can express; Ours is our own default (ERRNO(ENOSYS) for numbers the
	// table does not know), compiled by seccompile only.
	Policy, Ours *compiler.Policy
	Warnings     int
}

// ABISet names a case's ABIs for tables.
func (c *Case) ABISet() string {
	if len(c.ABIs) == 1 {
		return c.ABIs[0]
	}
	s := ""
	for i, a := range c.ABIs {
		if i > 0 {
			s += "+"
		}
		s += a
	}
	return s
}

var (
	abisNative = []string{"x86_64"}
	abisDocker = []string{"x86_64", "i386", "x32"} // what Docker loads on amd64 (archMap)
)

// sharedDir is ../shared relative to the repository root (bench/..).
func sharedDir() string { return filepath.Join("..", "..", "shared") }

// errAbsent marks a profile file that is not there.
var errAbsent = errors.New("profile file absent")

// loadProfileFile parses a corpus profile, relative to the repository root.
func loadProfileFile(rel string) (*profile.Profile, error) {
	path := filepath.Join(sharedDir(), rel)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (%v)", path, errAbsent, err)
	}
	p, err := profile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// evaluate turns a profile into the two policies of a Case.
func evaluate(name string, pr *profile.Profile, abis []string) (*Case, error) {
	c := &Case{Profile: name, ABIs: abis}
	var err error
	var warns []profile.Warning
	c.Policy, warns, err = pr.Policy(profile.Options{Arches: abis, RuncUnknown: true})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.Warnings = len(warns)
	c.Ours, _, err = pr.Policy(profile.Options{Arches: abis})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// stressPolicy is the synthetic stress policy: 300 syscalls of x86_64, each
// allowed under three argument conditions (one on each of a0, a1, a2, with
// every operator in turn), the rest ERRNO(EPERM).
func stressPolicy(abis []string, unknownDefault bool) *compiler.Policy {
	x86, _ := arch.Lookup("x86_64")
	p := &compiler.Policy{
		Arches:  abis,
		Default: compiler.Errno(1),
	}
	if unknownDefault {
		p.Unknown = p.Default
	}
	eqs := []compiler.Op{compiler.OpEQ, compiler.OpNE}
	rel := []compiler.Op{compiler.OpLT, compiler.OpLE, compiler.OpGT, compiler.OpGE}
	n := 0
	for _, s := range x86.Syscalls() {
		if n == 300 {
			break
		}
		k := uint64(n)
		p.Rules = append(p.Rules, compiler.Rule{
			Syscalls: []string{s.Name},
			Action:   compiler.Allow,
			Conds: []compiler.Cond{
				{Arg: 0, Op: eqs[n%2], Value: k},
				{Arg: 1, Op: rel[n%4], Value: 0x1000 + k<<12},
				{Arg: 2, Op: compiler.OpMaskedEQ, Mask: 0xff00 | k<<32, Value: 0},
			},
			Comment: fmt.Sprintf("stress %d", n),
		})
		n++
	}
	return p
}

// cases builds every (profile, ABIs) case; absent files are reported in
// skipped, not fatal.
func cases() (out []*Case, skipped []string, err error) {
	type src struct {
		name string
		load func() (*profile.Profile, error)
	}
	srcs := []src{
		{"docker-default", func() (*profile.Profile, error) {
			if p := profile.DockerDefault(); p != nil {
				return p, nil
			}
			return nil, errors.New("profile.DockerDefault is nil on this OS")
		}},
		{"podman-default", func() (*profile.Profile, error) { return loadProfileFile("profiles/podman-default.json") }},
		{"k8s-fine-grained", func() (*profile.Profile, error) { return loadProfileFile("profiles/k8s/fine-grained.json") }},
	}
	for _, s := range srcs {
		pr, err := s.load()
		if errors.Is(err, errAbsent) {
			skipped = append(skipped, fmt.Sprintf("%s: %v", s.name, err))
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		for _, abis := range [][]string{abisNative, abisDocker} {
			c, err := evaluate(s.name, pr, abis)
			if err != nil {
				return nil, nil, err
			}
			out = append(out, c)
		}
	}
	for _, abis := range [][]string{abisNative, abisDocker} {
		out = append(out, &Case{Profile: "stress-300x3", ABIs: abis,
			Policy: stressPolicy(abis, true), Ours: stressPolicy(abis, false)})
	}
	return out, skipped, nil
}
