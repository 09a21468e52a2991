package arch

import (
	"errors"
	"testing"
)

// FuzzLookup: any string gives an ABI or an error wrapping exactly one of the
// two sentinels, never a panic; a found ABI is found again by its own names.
func FuzzLookup(f *testing.F) {
	for _, s := range []string{"amd64", "SCMP_ARCH_X86_64", "x32", "SCMP_ARCH_PARISC", "", "mips64le", "ARMV7L", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		a, err := Lookup(name)
		if err != nil {
			if a != nil {
				t.Fatalf("Lookup(%q) returned %v with error %v", name, a, err)
			}
			if errors.Is(err, ErrUnknownArch) == errors.Is(err, ErrUnsupportedArch) {
				t.Fatalf("Lookup(%q): error %v wraps neither or both sentinels", name, err)
			}
			return
		}
		if b, err := Lookup(a.Name); err != nil || b != a {
			t.Fatalf("Lookup(%q) = %v but Lookup(%q) = %v, %v", name, a, a.Name, b, err)
		}
	})
}

// FuzzSyscall: name and number lookups never panic and agree with each other.
func FuzzSyscall(f *testing.F) {
	f.Add("x86_64", "openat", uint32(257))
	f.Add("x32", "rt_sigaction", uint32(0x40000200))
	f.Add("arm", "set_tls", uint32(0xf0005))
	f.Add("mips", "getppid", uint32(4064))
	f.Add("s390", "", uint32(0xffffffff))
	f.Fuzz(func(t *testing.T, abi, name string, nr uint32) {
		a, err := Lookup(abi)
		if err != nil {
			return
		}
		if got, ok := a.Syscall(name); ok {
			if n, ok := a.SyscallName(got); !ok || (n != name && knownAliases[a.Name][got] == nil) {
				t.Fatalf("%s: Syscall(%q) = %d but SyscallName(%d) = %q, %v", a, name, got, got, n, ok)
			}
		}
		if n, ok := a.SyscallName(nr); ok {
			if got, ok := a.Syscall(n); !ok || got != nr {
				t.Fatalf("%s: SyscallName(%d) = %q but Syscall(%q) = %d, %v", a, nr, n, n, got, ok)
			}
		}
	})
}
