package main

import (
	"errors"
	"fmt"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/net/bpf"
)

// mobyEvaluate is Docker's own evaluation of a profile: moby/profiles'
// LoadProfile applies archMap, includes and excludes (caps, arches,
// minKernel on the running kernel) for this host, and returns the OCI
// form that dockerd hands to runc. Podman's extensions (errno names) are
// not read; its numeric errnoRet fields are.
func mobyEvaluate(data []byte, caps []string) (*specs.LinuxSeccomp, error) {
	spec := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	return mobyseccomp.LoadProfile(string(data), spec)
}

// RuncBuild is the program runc would load for an OCI seccomp config, for
// the native ABI only, before runc's ENOSYS stub (patchbpf) is prepended.
type RuncBuild struct {
	Insns   []bpf.RawInstruction
	Skipped []string // names libseccomp does not resolve (runc ignores them)
	Opt     int      // libseccomp optimize level runc chose
}

func runcAction(act specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	code := func(a libseccomp.ScmpAction) libseccomp.ScmpAction {
		if errnoRet != nil {
			return a.SetReturnCode(int16(*errnoRet))
		}
		return a.SetReturnCode(1) // EPERM
	}
	switch act {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return code(libseccomp.ActErrno), nil
	case specs.ActTrace:
		return code(libseccomp.ActTrace), nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	case specs.ActNotify:
		return libseccomp.ActNotify, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("unknown action %q", act)
}

var runcOps = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpEqualTo:      libseccomp.CompareEqual,
	specs.OpNotEqual:     libseccomp.CompareNotEqual,
	specs.OpGreaterThan:  libseccomp.CompareGreater,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual,
	specs.OpLessThan:     libseccomp.CompareLess,
	specs.OpLessEqual:    libseccomp.CompareLessOrEqual,
	specs.OpMaskedEqual:  libseccomp.CompareMaskedEqual,
}

// runcProgram applies an OCI seccomp config the way runc's
// libcontainer/seccomp does (read in its source; written anew here): the
// default action with defaultErrnoRet (else EPERM), KILL as KILL_THREAD, one
// libseccomp rule per name, rules whose action equals the default skipped,
// names libseccomp cannot resolve skipped, several conditions on one
// argument index made separate rules (OR), otherwise one AND rule, the
// binary tree (optimize 2) when there are more than 32 names, and the
// bad-arch action left at libseccomp's default (KILL_THREAD). Only the
// native ABI is targeted: the config's architectures are not added.
func runcProgram(s *specs.LinuxSeccomp) (*RuncBuild, error) {
	def, err := runcAction(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("defaultAction: %w", err)
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	b := &RuncBuild{Opt: 1}
	names := 0
	for _, sc := range s.Syscalls {
		names += len(sc.Names)
	}
	if names > 32 {
		b.Opt = 2
		if err := f.SetOptimize(2); err != nil {
			return nil, err
		}
	}
	for i, sc := range s.Syscalls {
		act, err := runcAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		if act == def {
			continue
		}
		var conds []libseccomp.ScmpCondition
		perArg := map[uint]int{}
		for j, a := range sc.Args {
			op, ok := runcOps[a.Op]
			if !ok {
				return nil, fmt.Errorf("syscalls[%d].args[%d]: unknown operator %q", i, j, a.Op)
			}
			c, err := libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
			if err != nil {
				return nil, fmt.Errorf("syscalls[%d].args[%d]: %w", i, j, err)
			}
			perArg[a.Index]++
			conds = append(conds, c)
		}
		separate := false
		for _, n := range perArg {
			separate = separate || n > 1
		}
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				b.Skipped = append(b.Skipped, name)
				continue
			}
			switch {
			case len(conds) == 0:
				err = f.AddRule(nr, act)
			case separate:
				for _, c := range conds {
					if err = f.AddRuleConditional(nr, act, []libseccomp.ScmpCondition{c}); err != nil {
						break
					}
				}
			default:
				err = f.AddRuleConditional(nr, act, conds)
			}
			if err != nil {
				return nil, fmt.Errorf("syscalls[%d] %s: seccomp_rule_add: %w (runc would refuse the profile)", i, name, err)
			}
		}
	}
	b.Insns, err = exportLibseccomp(f)
	return b, err
}

// runcReference evaluates a profile file as dockerd + runc would on this
// host with the given capabilities; nil when the profile disables seccomp.
func runcReference(data []byte, caps []string) (*RuncBuild, *specs.LinuxSeccomp, error) {
	s, err := mobyEvaluate(data, caps)
	if err != nil {
		return nil, nil, fmt.Errorf("moby LoadProfile: %w", err)
	}
	if s == nil {
		return nil, nil, errors.New("profile disables seccomp")
	}
	b, err := runcProgram(s)
	return b, s, err
}
