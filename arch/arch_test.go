package arch

import (
	"cmp"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func mustLookup(t testing.TB, name string) *Arch {
	t.Helper()
	a, err := Lookup(name)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", name, err)
	}
	return a
}

// TestMetadata pins every ABI's description to the values in the kernel's
// include/uapi/linux/audit.h and the runtime-spec/libseccomp names.
func TestMetadata(t *testing.T) {
	tests := []struct {
		name       string
		audit      uint32
		bigEndian  bool
		bits       int
		syscallBit uint32
		goarch     string
		oci        string
		libseccomp string
	}{
		{"x86_64", 0xc000003e, false, 64, 0, "amd64", "SCMP_ARCH_X86_64", "x86_64"},
		{"i386", 0x40000003, false, 32, 0, "386", "SCMP_ARCH_X86", "x86"},
		{"x32", 0xc000003e, false, 32, 0x40000000, "", "SCMP_ARCH_X32", "x32"},
		{"aarch64", 0xc00000b7, false, 64, 0, "arm64", "SCMP_ARCH_AARCH64", "aarch64"},
		{"arm", 0x40000028, false, 32, 0, "arm", "SCMP_ARCH_ARM", "arm"},
		{"riscv64", 0xc00000f3, false, 64, 0, "riscv64", "SCMP_ARCH_RISCV64", "riscv64"},
		{"ppc64le", 0xc0000015, false, 64, 0, "ppc64le", "SCMP_ARCH_PPC64LE", "ppc64le"},
		{"ppc64", 0x80000015, true, 64, 0, "ppc64", "SCMP_ARCH_PPC64", "ppc64"},
		{"ppc", 0x14, true, 32, 0, "", "SCMP_ARCH_PPC", "ppc"},
		{"s390x", 0x80000016, true, 64, 0, "s390x", "SCMP_ARCH_S390X", "s390x"},
		{"s390", 0x16, true, 32, 0, "", "SCMP_ARCH_S390", "s390"},
		{"mips", 0x8, true, 32, 0, "mips", "SCMP_ARCH_MIPS", "mips"},
		{"mipsel", 0x40000008, false, 32, 0, "mipsle", "SCMP_ARCH_MIPSEL", "mipsel"},
		{"mips64", 0x80000008, true, 64, 0, "mips64", "SCMP_ARCH_MIPS64", "mips64"},
		{"mipsel64", 0xc0000008, false, 64, 0, "mips64le", "SCMP_ARCH_MIPSEL64", "mipsel64"},
		{"mips64n32", 0xa0000008, true, 32, 0, "", "SCMP_ARCH_MIPS64N32", "mips64n32"},
		{"mipsel64n32", 0xe0000008, false, 32, 0, "", "SCMP_ARCH_MIPSEL64N32", "mipsel64n32"},
		{"loongarch64", 0xc0000102, false, 64, 0, "loong64", "SCMP_ARCH_LOONGARCH64", "loongarch64"},
	}
	var names []string
	for _, a := range All() {
		names = append(names, a.Name)
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.name)
	}
	if !slices.Equal(names, want) {
		t.Fatalf("All() = %v, want %v", names, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := mustLookup(t, tt.name)
			if a.Name != tt.name || a.String() != tt.name {
				t.Errorf("Name %q String %q, want %q", a.Name, a.String(), tt.name)
			}
			if a.AuditArch != tt.audit {
				t.Errorf("AuditArch = %#x, want %#x", a.AuditArch, tt.audit)
			}
			if a.BigEndian != tt.bigEndian {
				t.Errorf("BigEndian = %v, want %v", a.BigEndian, tt.bigEndian)
			}
			// __AUDIT_ARCH_LE must agree with the byte order.
			if le := a.AuditArch&0x40000000 != 0; le == a.BigEndian {
				t.Errorf("AUDIT_ARCH LE bit %v but BigEndian %v", le, a.BigEndian)
			}
			if a.Bits != tt.bits {
				t.Errorf("Bits = %d, want %d", a.Bits, tt.bits)
			}
			if a.SyscallBit != tt.syscallBit {
				t.Errorf("SyscallBit = %#x, want %#x", a.SyscallBit, tt.syscallBit)
			}
			if a.GOARCH != tt.goarch || a.OCI != tt.oci || a.Libseccomp != tt.libseccomp {
				t.Errorf("names %q %q %q, want %q %q %q", a.GOARCH, a.OCI, a.Libseccomp, tt.goarch, tt.oci, tt.libseccomp)
			}
			if len(a.Syscalls()) < 300 {
				t.Errorf("only %d syscalls", len(a.Syscalls()))
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for an error
		err  error
	}{
		{"x86_64", "x86_64", nil},
		{"amd64", "x86_64", nil},
		{"AMD64", "x86_64", nil},
		{"SCMP_ARCH_X86_64", "x86_64", nil},
		{"scmp_arch_x86_64", "x86_64", nil},
		{" x86_64 ", "x86_64", nil},
		{"386", "i386", nil},
		{"i386", "i386", nil},
		{"i686", "i386", nil},
		{"x86", "i386", nil},
		{"SCMP_ARCH_X86", "i386", nil},
		{"x32", "x32", nil},
		{"SCMP_ARCH_X32", "x32", nil},
		{"arm64", "aarch64", nil},
		{"aarch64", "aarch64", nil},
		{"SCMP_ARCH_AARCH64", "aarch64", nil},
		{"arm", "arm", nil},
		{"armv7l", "arm", nil},
		{"SCMP_ARCH_ARM", "arm", nil},
		{"riscv64", "riscv64", nil},
		{"SCMP_ARCH_RISCV64", "riscv64", nil},
		{"ppc64le", "ppc64le", nil},
		{"SCMP_ARCH_PPC64LE", "ppc64le", nil},
		{"ppc64", "ppc64", nil},
		{"ppc", "ppc", nil},
		{"SCMP_ARCH_PPC", "ppc", nil},
		{"s390x", "s390x", nil},
		{"s390", "s390", nil},
		{"SCMP_ARCH_S390", "s390", nil},
		{"mips", "mips", nil},
		{"mipsle", "mipsel", nil},
		{"mipsel", "mipsel", nil},
		{"mips64", "mips64", nil},
		{"mips64le", "mipsel64", nil},
		{"mipsel64", "mipsel64", nil},
		{"SCMP_ARCH_MIPSEL64", "mipsel64", nil},
		{"mips64n32", "mips64n32", nil},
		{"SCMP_ARCH_MIPS64N32", "mips64n32", nil},
		{"mipsel64n32", "mipsel64n32", nil},
		{"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", nil},
		{"loong64", "loongarch64", nil},
		{"loongarch64", "loongarch64", nil},
		{"SCMP_ARCH_LOONGARCH64", "loongarch64", nil},

		{"SCMP_ARCH_PARISC", "", ErrUnsupportedArch},
		{"SCMP_ARCH_PARISC64", "", ErrUnsupportedArch},
		{"SCMP_ARCH_M68K", "", ErrUnsupportedArch},
		{"SCMP_ARCH_SH", "", ErrUnsupportedArch},
		{"SCMP_ARCH_SHEB", "", ErrUnsupportedArch},
		{"SCMP_ARCH_RISCV32", "", ErrUnsupportedArch},
		{"parisc", "", ErrUnsupportedArch},
		{"sparc64", "", ErrUnsupportedArch},
		{"riscv32", "", ErrUnsupportedArch},

		{"", "", ErrUnknownArch},
		{"vax", "", ErrUnknownArch},
		{"SCMP_ARCH_VAX", "", ErrUnknownArch},
		{"wasm", "", ErrUnknownArch},
		{"amd64p32", "", ErrUnknownArch},
		{"x86_64\x00", "", ErrUnknownArch},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := Lookup(tt.in)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Lookup(%q) = %v, %v; want error %v", tt.in, a, err, tt.err)
				}
				other := ErrUnknownArch
				if tt.err == ErrUnknownArch {
					other = ErrUnsupportedArch
				}
				if errors.Is(err, other) {
					t.Errorf("error %v also matches %v", err, other)
				}
				var e *Error
				if !errors.As(err, &e) || e.Name != tt.in {
					t.Errorf("error %v: want *Error naming %q", err, tt.in)
				}
				if !strings.Contains(err.Error(), "arch") {
					t.Errorf("error %q does not say what failed", err)
				}
				return
			}
			if err != nil || a.Name != tt.want {
				t.Fatalf("Lookup(%q) = %v, %v; want %s", tt.in, a, err, tt.want)
			}
		})
	}
}

// TestLookupEverySpelling checks each ABI is found by each of its own names
// and that no two ABIs claim a spelling.
func TestLookupEverySpelling(t *testing.T) {
	owner := map[string]string{}
	for _, a := range All() {
		for _, s := range []string{a.Name, a.GOARCH, a.OCI, a.Libseccomp, strings.ToUpper(a.Name)} {
			if s == "" {
				continue
			}
			if got := mustLookup(t, s); got != a {
				t.Errorf("Lookup(%q) = %v, want %v", s, got, a)
			}
			k := strings.ToLower(s)
			if o, ok := owner[k]; ok && o != a.Name {
				t.Errorf("spelling %q used by %s and %s", s, o, a.Name)
			}
			owner[k] = a.Name
		}
	}
}

func TestNative(t *testing.T) {
	n := Native()
	if n == nil {
		t.Skipf("GOARCH %s has no seccomp ABI here", runtime.GOARCH)
	}
	if n.GOARCH != runtime.GOARCH {
		t.Errorf("Native() = %v with GOARCH %q, running %q", n, n.GOARCH, runtime.GOARCH)
	}
	if runtime.GOARCH == "amd64" && n.Name != "x86_64" {
		t.Errorf("Native() on amd64 = %v, want x86_64", n)
	}
}

func TestCompat(t *testing.T) {
	tests := map[string][]string{
		"x86_64":   {"i386", "x32"},
		"aarch64":  {"arm"},
		"ppc64":    {"ppc"},
		"s390x":    {"s390"},
		"mips64":   {"mips", "mips64n32"},
		"mipsel64": {"mipsel", "mipsel64n32"},
		"i386":     nil,
		"x32":      nil,
		"arm":      nil,
		"riscv64":  nil,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, c := range mustLookup(t, name).Compat() {
				got = append(got, c.Name)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Compat() = %v, want %v", got, want)
			}
		})
	}
	// A native ABI and its compat ABIs are told apart by AUDIT_ARCH, or for
	// x32 by the syscall bit; nothing else would let one filter serve both.
	for _, a := range All() {
		for _, c := range a.Compat() {
			if c.AuditArch == a.AuditArch && c.SyscallBit == a.SyscallBit {
				t.Errorf("%s and its compat %s are indistinguishable", a, c)
			}
			if c.BigEndian != a.BigEndian {
				t.Errorf("%s and its compat %s differ in byte order", a, c)
			}
		}
	}
}

func TestKnownNumbers(t *testing.T) {
	tests := []struct {
		arch string
		name string
		nr   uint32
	}{
		{"x86_64", "read", 0},
		{"x86_64", "openat", 257},
		{"x86_64", "getppid", 110},
		{"x86_64", "rt_sigaction", 13},
		{"x86_64", "seccomp", 317},
		{"x86_64", "clone3", 435},
		{"i386", "getppid", 64},
		{"i386", "socketcall", 102},
		{"i386", "ipc", 117},
		{"i386", "_llseek", 140},
		{"i386", "_newselect", 142},
		{"x32", "getppid", 0x4000006e},
		{"x32", "read", 0x40000000},
		{"x32", "rt_sigaction", 0x40000200}, // 512: x32's own number
		{"x32", "ioctl", 0x40000202},
		{"x32", "pwritev2", 0x40000223}, // 547, the last x32-only row
		{"x32", "openat", 0x40000000 | 257},
		{"aarch64", "openat", 56},
		{"aarch64", "getppid", 173},
		{"arm", "breakpoint", 0xf0001},
		{"arm", "cacheflush", 0xf0002},
		{"arm", "usr26", 0xf0003},
		{"arm", "usr32", 0xf0004},
		{"arm", "set_tls", 0xf0005},
		{"arm", "get_tls", 0xf0006},
		{"arm", "getppid", 64},
		{"arm", "arm_sync_file_range", 341},
		{"arm", "sync_file_range2", 341},
		{"riscv64", "riscv_flush_icache", 259},
		{"ppc", "mmap2", 192},
		{"ppc64", "socketcall", 102},
		{"s390x", "getppid", 64},
		{"s390x", "socketcall", 102},
		{"s390x", "select", 142},
		{"s390", "_newselect", 142},
		{"s390", "getuid32", 199},
		{"s390", "mmap2", 192},
		{"s390", "socketcall", 102},
		{"s390", "ipc", 117},
		{"s390", "fstatat64", 293},
		{"mips", "getppid", 4064},
		{"mips", "syscall", 4000},
		{"mipsel", "getppid", 4064},
		{"mips", "socketcall", 4102},
		{"mips64", "getppid", 5108},
		{"mipsel64", "read", 5000},
		{"mips64n32", "getppid", 6108},
		{"mips64n32", "read", 6000},
		{"mipsel64n32", "fcntl64", 6212},
		{"mips64n32", "clock_gettime64", 6403},
		{"loongarch64", "openat", 56},
	}
	for _, tt := range tests {
		t.Run(tt.arch+"/"+tt.name, func(t *testing.T) {
			a := mustLookup(t, tt.arch)
			nr, ok := a.Syscall(tt.name)
			if !ok || nr != tt.nr {
				t.Fatalf("Syscall(%q) = %#x, %v; want %#x", tt.name, nr, ok, tt.nr)
			}
			if a.MaxSyscall() < nr {
				t.Errorf("MaxSyscall() = %#x < %#x", a.MaxSyscall(), nr)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	tests := []struct{ arch, name string }{
		{"aarch64", "open"},
		{"aarch64", "fork"},
		{"riscv64", "open"},
		{"loongarch64", "stat"},
		{"arm", "socketcall"}, // EABI has the separate calls only
		{"x86_64", "socketcall"},
		{"x86_64", "_llseek"},
		{"x86_64", "set_tls"},
		{"x32", "uselib"}, // a "64" row
		{"x32", "epoll_ctl_old"},
		{"aarch64", "socketcall"},
		{"ppc64", "mmap2"}, // 32-bit ppc only
		{"s390", "select"}, // s390x only; 31-bit has _newselect
		{"s390", "listns"}, // after the 31-bit ABI was removed
		{"mips64n32", "memfd_secret"},
		{"x86_64", ""},
		{"x86_64", "OPENAT"},
		{"x86_64", "SYS_openat"},
		{"x86_64", "syscall_mask"},
		{"arm", "syscall_mask"},
	}
	for _, tt := range tests {
		t.Run(tt.arch+"/"+tt.name, func(t *testing.T) {
			if nr, ok := mustLookup(t, tt.arch).Syscall(tt.name); ok {
				t.Errorf("Syscall(%q) = %d, true; want not found", tt.name, nr)
			}
		})
	}
	for _, a := range All() {
		if name, ok := a.SyscallName(a.MaxSyscall() + 1); ok {
			t.Errorf("%s: SyscallName(max+1) = %q", a, name)
		}
		if name, ok := a.SyscallName(0xffffffff); ok {
			t.Errorf("%s: SyscallName(-1) = %q", a, name)
		}
	}
}

// knownAliases are the numbers the kernel gives two names (documented in
// internal/gen/data). SyscallName returns the first in byte order.
var knownAliases = map[string]map[uint32][]string{
	// include/uapi/asm/unistd.h: #define __NR_sync_file_range2 __NR_arm_sync_file_range
	"arm": {341: {"arm_sync_file_range", "sync_file_range2"}},
}

// TestTables checks every table: sorted, name ↔ number round trips,
// duplicate numbers only where the kernel aliases them, names spelled as the
// kernel spells them, numbers in the ABI's range.
func TestTables(t *testing.T) {
	base := map[string]uint32{"mips": 4000, "mipsel": 4000, "mips64": 5000, "mipsel64": 5000, "mips64n32": 6000, "mipsel64n32": 6000}
	for _, a := range All() {
		t.Run(a.Name, func(t *testing.T) {
			sys := a.Syscalls()
			if !slices.IsSortedFunc(sys, func(x, y Syscall) int { return cmp.Compare(x.Nr, y.Nr) }) {
				t.Fatal("Syscalls() not sorted by number")
			}
			byNr := map[uint32][]string{}
			names := map[string]bool{}
			for _, s := range sys {
				if names[s.Name] {
					t.Errorf("name %q twice", s.Name)
				}
				names[s.Name] = true
				byNr[s.Nr] = append(byNr[s.Nr], s.Name)
				if s.Name == "" || strings.ToLower(s.Name) != s.Name || strings.ContainsAny(s.Name, " \t") {
					t.Errorf("bad name %q", s.Name)
				}
				nr, ok := a.Syscall(s.Name)
				if !ok || nr != s.Nr {
					t.Errorf("Syscall(%q) = %d, %v; want %d", s.Name, nr, ok, s.Nr)
				}
				name, ok := a.SyscallName(s.Nr)
				if !ok {
					t.Errorf("SyscallName(%d) not found", s.Nr)
				} else if name != s.Name && !slices.Contains(knownAliases[a.Name][s.Nr], s.Name) {
					t.Errorf("SyscallName(%d) = %q, want %q", s.Nr, name, s.Name)
				}
				if s.Nr&^0xf0000 < base[a.Name] || s.Nr&a.SyscallBit != a.SyscallBit {
					t.Errorf("%s = %#x outside the ABI's range", s.Name, s.Nr)
				}
			}
			for nr, ns := range byNr {
				if len(ns) > 1 && !slices.Equal(ns, knownAliases[a.Name][nr]) {
					t.Errorf("number %d named %v, not a known alias", nr, ns)
				}
			}
			if got := sys[len(sys)-1].Nr; a.MaxSyscall() != got {
				t.Errorf("MaxSyscall() = %d, want %d", a.MaxSyscall(), got)
			}
			// Syscalls returns a copy: changing it must not change the table.
			sys[0].Name = "changed"
			if a.Syscalls()[0].Name == "changed" {
				t.Error("Syscalls() exposes the table")
			}
		})
	}
}

// TestX32 cross-checks the x32 table, transcribed from the kernel, with
// x86_64's table from x/sys: below 512 x32 has exactly x86_64's "common" rows
// at the same numbers; 512-547 are x32's numbers for the "64" rows.
func TestX32(t *testing.T) {
	x64, x32 := mustLookup(t, "x86_64"), mustLookup(t, "x32")
	own := 0
	for _, s := range x32.Syscalls() {
		n := s.Nr &^ X32SyscallBit
		if n >= 512 && n <= 547 {
			own++
			nr64, ok := x64.Syscall(s.Name)
			if !ok || nr64 == n {
				t.Errorf("x32-only %s (%d): x86_64 has it at %d, %v", s.Name, n, nr64, ok)
			}
			continue
		}
		if nr64, ok := x64.Syscall(s.Name); !ok || nr64 != n {
			t.Errorf("x32 %s = %d, x86_64 has %d, %v", s.Name, n, nr64, ok)
		}
	}
	if own != 36 {
		t.Errorf("%d x32-only rows, want 36 (512-547)", own)
	}
	if d := len(x64.Syscalls()) - (len(x32.Syscalls()) - own); d != 47 {
		t.Errorf("x86_64 has %d rows x32 lacks, want the 47 \"64\" rows", d)
	}
}

// TestS390 cross-checks the 31-bit table with s390x's from x/sys: the
// "common" rows agree; only the documented 32/64 splits differ.
func TestS390(t *testing.T) {
	s64, s31 := mustLookup(t, "s390x"), mustLookup(t, "s390")
	diff := 0
	for _, s := range s31.Syscalls() {
		nr64, ok := s64.Syscall(s.Name)
		if ok && nr64 != s.Nr {
			// setuid and friends: 16-bit uid calls on 31-bit, 32-bit ones at 198-216 on s390x.
			diff++
			continue
		}
		if !ok {
			diff++
		}
	}
	if diff != 75 {
		t.Errorf("%d s390 rows not shared with s390x, want the 75 \"32\" rows", diff)
	}
}

// TestN32 cross-checks n32 with n64: every n32 name but the 32-bit-only
// ones exists in n64.
func TestN32(t *testing.T) {
	n64, n32 := mustLookup(t, "mips64"), mustLookup(t, "mips64n32")
	n32only := map[string]bool{"fcntl64": true, "statfs64": true, "fstatfs64": true, "sendfile64": true}
	for _, s := range n32.Syscalls() {
		if _, ok := n64.Syscall(s.Name); !ok && !n32only[s.Name] && !strings.HasSuffix(s.Name, "64") && !strings.HasSuffix(s.Name, "time64") {
			t.Errorf("n32 %s has no n64 counterpart", s.Name)
		}
	}
	if !slices.Equal(n32.Syscalls(), mustLookup(t, "mipsel64n32").Syscalls()) {
		t.Error("mips64n32 and mipsel64n32 tables differ")
	}
	if !slices.Equal(n64.Syscalls(), mustLookup(t, "mipsel64").Syscalls()) {
		t.Error("mips64 and mipsel64 tables differ")
	}
}

func TestSocketCall(t *testing.T) {
	want := []string{"", "socket", "bind", "connect", "listen", "accept", "getsockname", "getpeername",
		"socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt", "getsockopt",
		"sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg"}
	for i, name := range want {
		if i == 0 {
			continue
		}
		if n, ok := SocketCallNumber(name); !ok || n != i {
			t.Errorf("SocketCallNumber(%q) = %d, %v; want %d", name, n, ok, i)
		}
		if s, ok := SocketCallName(i); !ok || s != name {
			t.Errorf("SocketCallName(%d) = %q, %v; want %q", i, s, ok, name)
		}
	}
	for _, bad := range []string{"", "read", "socketcall"} {
		if n, ok := SocketCallNumber(bad); ok {
			t.Errorf("SocketCallNumber(%q) = %d, true", bad, n)
		}
	}
	for _, bad := range []int{-1, 0, 21, 1 << 30} {
		if s, ok := SocketCallName(bad); ok {
			t.Errorf("SocketCallName(%d) = %q, true", bad, s)
		}
	}
	for name, n := range map[string]int{"semop": 1, "semtimedop": 4, "msgsnd": 11, "shmctl": 24} {
		if got, ok := IPCCallNumber(name); !ok || got != n {
			t.Errorf("IPCCallNumber(%q) = %d, %v; want %d", name, got, ok, n)
		}
	}
	if _, ok := IPCCallNumber("ipc"); ok {
		t.Error("IPCCallNumber(ipc) found")
	}
}

// TestMultiplexers: the ABIs with socketcall and ipc are exactly the ones
// whose kernel tables have them.
func TestMultiplexers(t *testing.T) {
	want := map[string]bool{"i386": true, "arm": false, "ppc": true, "ppc64": true, "ppc64le": true,
		"s390": true, "s390x": true, "mips": true, "mipsel": true, "x86_64": false, "aarch64": false}
	for name, has := range want {
		if _, ok := mustLookup(t, name).Syscall("ipc"); ok != has {
			t.Errorf("%s: has ipc = %v, want %v", name, ok, has)
		}
	}
}

// TestZeroArch: an Arch this package did not make has no table, and its
// methods say so instead of panicking.
func TestZeroArch(t *testing.T) {
	for _, a := range []*Arch{nil, {Name: "custom"}} {
		if _, ok := a.Syscall("read"); ok {
			t.Errorf("%v: Syscall found read", a)
		}
		if _, ok := a.SyscallName(0); ok {
			t.Errorf("%v: SyscallName found 0", a)
		}
		if a.Syscalls() != nil || a.MaxSyscall() != 0 || a.Compat() != nil {
			t.Errorf("%v: has a table", a)
		}
	}
}
