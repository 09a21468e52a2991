package record

import (
	"fmt"

	"github.com/seccompile/seccompile/arch"
)

// abiOf returns the ABI of a call as seccomp_data shows it: the
// AUDIT_ARCH value and the number (x32 calls carry arch.X32SyscallBit under
// AUDIT_ARCH_X86_64). It returns nil for an AUDIT_ARCH this module has no
// table for.
func abiOf(audit, nr uint32) *arch.Arch {
	var found *arch.Arch
	for _, a := range arch.All() {
		if a.AuditArch != audit {
			continue
		}
		if a.SyscallBit != 0 {
			if nr&a.SyscallBit != 0 {
				return a
			}
			continue
		}
		if found == nil {
			found = a
		}
	}
	return found
}

// keyOf names the call (audit, nr).
func keyOf(audit, nr uint32) Key {
	a := abiOf(audit, nr)
	if a == nil {
		return Key{Arch: fmt.Sprintf("audit:%#08x", audit), Nr: nr}
	}
	name, _ := a.SyscallName(nr)
	return Key{Arch: a.Name, Nr: nr, Name: name}
}

// argSyscalls are the calls whose arguments Options.Args records: the ones
// whose integer argument says what the call does (a socket family, an ioctl
// request, a clone flag set), so that allowing only the values seen narrows
// the profile without breaking the program. clone3 passes its flags in a
// struct in the caller's memory, which a seccomp filter cannot read, so it is
// recorded by name only.
var argSyscalls = []struct {
	name string
	arg  int
}{
	{"socket", 0},      // domain
	{"socketcall", 0},  // the multiplexed call (i386 and others): socket=1 ...
	{"personality", 0}, // persona
	{"clone", 0},       // flags
	{"prctl", 0},       // option
	{"ioctl", 1},       // request
	{"fcntl", 1},       // cmd
	{"fcntl64", 1},     // cmd (32-bit ABIs)
}

// recordedArg returns which argument of syscall name Options.Args records
// on ABI a.
func recordedArg(a *arch.Arch, name string) (int, bool) {
	for _, s := range argSyscalls {
		if s.name != name {
			continue
		}
		// CONFIG_CLONE_BACKWARDS2 (s390): clone(newsp, flags, ...).
		if name == "clone" && (a.Name == "s390" || a.Name == "s390x") {
			return 1, true
		}
		return s.arg, true
	}
	return 0, false
}
