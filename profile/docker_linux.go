package profile

import (
	moby "github.com/moby/profiles/seccomp"
)

// DockerDefault returns Docker's default profile, built from
// github.com/moby/profiles/seccomp (DefaultProfile) at the version this
// module requires. Evaluate it with Policy; Options.Caps nil gives Docker's
// default capabilities. moby/profiles builds the profile only on Linux, so
// on other systems DockerDefault returns nil.
func DockerDefault() *Profile {
	return fromMoby(moby.DefaultProfile())
}

// fromMoby converts moby's types, which embed the runtime-spec ones.
func fromMoby(m *moby.Seccomp) *Profile {
	p := FromOCI(&m.LinuxSeccomp)
	for _, a := range m.ArchMap {
		am := ArchMap{Arch: string(a.Arch)}
		for _, s := range a.SubArches {
			am.SubArches = append(am.SubArches, string(s))
		}
		p.ArchMap = append(p.ArchMap, am)
	}
	for _, s := range m.Syscalls {
		if s == nil {
			continue
		}
		e := syscallFromOCI(&s.LinuxSyscall)
		e.Name = s.Name
		e.Comment = s.Comment
		e.Includes = fromMobyFilter(s.Includes)
		e.Excludes = fromMobyFilter(s.Excludes)
		p.Syscalls = append(p.Syscalls, e)
	}
	return p
}

func fromMobyFilter(f *moby.Filter) *Filter {
	if f == nil {
		return nil
	}
	out := &Filter{
		Caps:   append([]string(nil), f.Caps...),
		Arches: append([]string(nil), f.Arches...),
	}
	if f.MinKernel != nil {
		out.MinKernel = &KernelVersion{Major: f.MinKernel.Kernel, Minor: f.MinKernel.Major}
	}
	return out
}
