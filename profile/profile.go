package profile

import (
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Profile is a seccomp profile as written in JSON: the union of the OCI
// runtime-spec, Docker and Podman schemas. Strings hold the file's spellings
// ("SCMP_ACT_ERRNO", "SCMP_ARCH_X86_64"); Parse checks them, and Policy
// checks them again for profiles built in Go.
type Profile struct {
	// DefaultAction is the action for syscalls no rule matches (REQUIRED).
	DefaultAction string
	// DefaultErrnoRet is the errno of an ERRNO or TRACE default action;
	// nil means EPERM.
	DefaultErrnoRet *uint
	// DefaultErrno is Podman's errno name ("ENOSYS") for the default
	// action; it wins over DefaultErrnoRet.
	DefaultErrno string
	// Architectures lists the ABIs (SCMP_ARCH_*) the profile covers. It
	// cannot be used together with ArchMap.
	Architectures []string
	// ArchMap is Docker's per-host form: the entry whose Arch is the
	// host's native ABI contributes that ABI and its SubArches.
	ArchMap []ArchMap
	// Flags are SECCOMP_FILTER_FLAG_* names for seccomp(2). Policy does not
	// use them; pass them to the installer.
	Flags []string
	// ListenerPath is the UNIX socket that receives the notify fd when an
	// action is SCMP_ACT_NOTIFY.
	ListenerPath string
	// ListenerMetadata is passed to the listener as is; it requires
	// ListenerPath.
	ListenerMetadata string
	// Syscalls are the rules, in file order.
	Syscalls []Syscall
}

// ArchMap is one entry of Docker's archMap.
type ArchMap struct {
	Arch      string   // "architecture": the host's native ABI, SCMP_ARCH_*
	SubArches []string // "subArchitectures": the ABIs added with it
}

// Syscall is one entry of a profile's syscalls list: an action for some
// syscalls when the argument conditions hold.
type Syscall struct {
	// Names are the syscall names.
	Names []string
	// Name is the old singular form (Docker before 2017); it cannot be
	// used together with Names.
	Name string
	// Action is an SCMP_ACT_* name.
	Action string
	// ErrnoRet is the errno of an ERRNO or TRACE action; nil means EPERM.
	ErrnoRet *uint
	// Errno is Podman's errno name; it wins over ErrnoRet.
	Errno string
	// Args are the argument conditions.
	Args []Arg
	// Comment is Docker's free-form note.
	Comment string
	// Includes and Excludes are Docker's conditions for the entry to apply.
	Includes *Filter
	Excludes *Filter
}

// Arg is a condition on one syscall argument.
type Arg struct {
	Index    uint   // argument index, 0..5
	Value    uint64 // compared value; the mask for SCMP_CMP_MASKED_EQ
	ValueTwo uint64 // the expected value for SCMP_CMP_MASKED_EQ
	Op       string // SCMP_CMP_*
}

// Filter is a Docker include or exclude condition.
type Filter struct {
	// Caps are capability names ("CAP_SYS_ADMIN"). Includes need all of
	// them; excludes apply when any is held.
	Caps []string
	// Arches are ABI names as Docker spells them ("amd64", "x86", "arm64").
	Arches []string
	// MinKernel is a "major.minor" kernel version, nil for none. As in
	// Docker, an explicit "" is version 0.0, which every kernel reaches: an
	// exclude with it always applies.
	MinKernel *KernelVersion
}

// KernelVersion is a kernel's major and minor version, as Docker compares
// them: "5.10.0-8-amd64" is 5.10.
type KernelVersion struct {
	Major, Minor uint64
}

// IsZero reports whether v is unset.
func (v KernelVersion) IsZero() bool { return v.Major == 0 && v.Minor == 0 }

// String returns "major.minor", or "" when v is unset.
func (v KernelVersion) String() string {
	if v.IsZero() {
		return ""
	}
	return strconv.FormatUint(v.Major, 10) + "." + strconv.FormatUint(v.Minor, 10)
}

// Less reports whether v is an older version than w.
func (v KernelVersion) Less(w KernelVersion) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	return v.Minor < w.Minor
}

// names returns the entry's syscall names, from Names or the old Name.
func (s *Syscall) names() []string {
	if len(s.Names) == 0 && s.Name != "" {
		return []string{s.Name}
	}
	return s.Names
}

// FromOCI returns the profile a runtime-spec LinuxSeccomp describes, or nil
// for nil. The values are not checked here; Policy checks them.
func FromOCI(s *specs.LinuxSeccomp) *Profile {
	if s == nil {
		return nil
	}
	p := &Profile{
		DefaultAction:    string(s.DefaultAction),
		DefaultErrnoRet:  cloneUint(s.DefaultErrnoRet),
		ListenerPath:     s.ListenerPath,
		ListenerMetadata: s.ListenerMetadata,
	}
	for _, a := range s.Architectures {
		p.Architectures = append(p.Architectures, string(a))
	}
	for _, f := range s.Flags {
		p.Flags = append(p.Flags, string(f))
	}
	for _, sc := range s.Syscalls {
		p.Syscalls = append(p.Syscalls, syscallFromOCI(&sc))
	}
	return p
}

func syscallFromOCI(sc *specs.LinuxSyscall) Syscall {
	e := Syscall{
		Names:    append([]string(nil), sc.Names...),
		Action:   string(sc.Action),
		ErrnoRet: cloneUint(sc.ErrnoRet),
	}
	for _, a := range sc.Args {
		e.Args = append(e.Args, Arg{Index: a.Index, Value: a.Value, ValueTwo: a.ValueTwo, Op: string(a.Op)})
	}
	return e
}

func cloneUint(p *uint) *uint {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
