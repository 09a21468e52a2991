// Package arch describes the Linux system-call ABIs a seccomp filter can see:
// the AUDIT_ARCH value in seccomp_data.arch, byte order, word size, the x32
// syscall bit, the names each ABI goes by (kernel, Go, OCI, libseccomp) and
// its syscall table, name ↔ number.
//
// Numbers are always as the filter sees them in seccomp_data.nr: x32 numbers
// carry X32SyscallBit, MIPS o32 numbers start at 4000, n64 at 5000 and n32 at
// 6000, and the ARM private calls sit at 0xf0000 + n (set_tls is 0xf0005).
// Names are the kernel's, lower case ("openat", "_llseek", "socketcall").
// Where an ABI multiplexes calls through socketcall(2) or ipc(2), its table
// has those entries too, and SocketCallNumber and IPCCallNumber give the
// sub-call numbers a filter finds in args[0].
//
// The tables are generated (go generate) from golang.org/x/sys/unix
// (v0.50.0, up to rseq_slice_yield, 471) and, for the ABIs x/sys does not
// cover (x32, mips n32, s390, the ARM private calls), from the kernel's own
// syscall tables transcribed in internal/gen/data, each with its source.
//
// Users who only want to install a filter do not need this package; the
// compiler resolves names per ABI with it, and Lookup turns the names people
// type (amd64, SCMP_ARCH_X86_64, x86) into an Arch.
package arch

//go:generate go run ./internal/mktables

import (
	"runtime"
	"slices"
	"strings"
	"sync"
)

// AUDIT_ARCH_* building blocks (include/uapi/linux/audit.h).
const (
	audit64   = 0x80000000 // __AUDIT_ARCH_64BIT
	auditLE   = 0x40000000 // __AUDIT_ARCH_LE
	auditN32  = 0x20000000 // __AUDIT_ARCH_CONVENTION_MIPS64_N32
	emI386    = 3
	emMIPS    = 8
	emPPC     = 20
	emPPC64   = 21
	emS390    = 22
	emARM     = 40
	emX86_64  = 62
	emAARCH64 = 183
	emRISCV   = 243
	emLOONG   = 258
)

// X32SyscallBit is __X32_SYSCALL_BIT: the x32 ABI shares AUDIT_ARCH_X86_64
// with x86_64 and is told apart only by this bit in the syscall number
// (arch/x86/include/uapi/asm/unistd.h).
const X32SyscallBit = 0x40000000

// Arch is one Linux system-call ABI as a seccomp filter sees it. Values are
// shared and read-only: compare them by pointer or by Name.
type Arch struct {
	// Name is the canonical name: "x86_64", "i386", "x32", "aarch64", "arm",
	// "riscv64", "ppc64le", "ppc64", "ppc", "s390x", "s390", "mips",
	// "mipsel", "mips64", "mipsel64", "mips64n32", "mipsel64n32",
	// "loongarch64".
	Name string
	// AuditArch is the AUDIT_ARCH_* value the filter sees in
	// seccomp_data.arch (x32: AUDIT_ARCH_X86_64).
	AuditArch uint32
	// BigEndian tells the byte order, and so which 32-bit half of a 64-bit
	// seccomp_data field comes first.
	BigEndian bool
	// Bits is the ABI's word size, 32 or 64 (x32 and mips64n32 are 32).
	Bits int
	// SyscallBit is OR'ed into every syscall number of this ABI as the
	// filter sees it: X32SyscallBit for x32, 0 otherwise.
	SyscallBit uint32
	// GOARCH is Go's GOARCH for this ABI, "" if Go has none.
	GOARCH string
	// OCI is the runtime-spec name, "SCMP_ARCH_X86_64" and so on.
	OCI string
	// Libseccomp is libseccomp's name for the ABI ("x86" for i386).
	Libseccomp string

	compat []string
	table  *table
}

// Syscall is one entry of an ABI's syscall table.
type Syscall struct {
	Name string // as the kernel's syscall table spells it
	Nr   uint32 // as the filter sees it in seccomp_data.nr
}

// table is a generated syscall table, sorted by Nr then Name. Numbers are
// found by binary search; names through a map built on first use, which
// measured 3x faster than a binary search over the names (~15 ns against
// ~45 ns for x86_64).
type table struct {
	byNr []Syscall
	once sync.Once
	m    map[string]uint32
}

func (t *table) names() map[string]uint32 {
	if t == nil {
		return nil
	}
	t.once.Do(func() {
		t.m = make(map[string]uint32, len(t.byNr))
		for _, s := range t.byNr {
			t.m[s.Name] = s.Nr
		}
	})
	return t.m
}

// all is every supported ABI in the fixed order All returns.
var all = []*Arch{
	{Name: "x86_64", AuditArch: audit64 | auditLE | emX86_64, Bits: 64, GOARCH: "amd64", OCI: "SCMP_ARCH_X86_64", Libseccomp: "x86_64", compat: []string{"i386", "x32"}, table: &tableX86_64},
	{Name: "i386", AuditArch: auditLE | emI386, Bits: 32, GOARCH: "386", OCI: "SCMP_ARCH_X86", Libseccomp: "x86", table: &tableI386},
	{Name: "x32", AuditArch: audit64 | auditLE | emX86_64, Bits: 32, SyscallBit: X32SyscallBit, OCI: "SCMP_ARCH_X32", Libseccomp: "x32", table: &tableX32},
	{Name: "aarch64", AuditArch: audit64 | auditLE | emAARCH64, Bits: 64, GOARCH: "arm64", OCI: "SCMP_ARCH_AARCH64", Libseccomp: "aarch64", compat: []string{"arm"}, table: &tableAarch64},
	{Name: "arm", AuditArch: auditLE | emARM, Bits: 32, GOARCH: "arm", OCI: "SCMP_ARCH_ARM", Libseccomp: "arm", table: &tableARM},
	{Name: "riscv64", AuditArch: audit64 | auditLE | emRISCV, Bits: 64, GOARCH: "riscv64", OCI: "SCMP_ARCH_RISCV64", Libseccomp: "riscv64", table: &tableRISCV64},
	{Name: "ppc64le", AuditArch: audit64 | auditLE | emPPC64, Bits: 64, GOARCH: "ppc64le", OCI: "SCMP_ARCH_PPC64LE", Libseccomp: "ppc64le", table: &tablePPC64LE},
	{Name: "ppc64", AuditArch: audit64 | emPPC64, BigEndian: true, Bits: 64, GOARCH: "ppc64", OCI: "SCMP_ARCH_PPC64", Libseccomp: "ppc64", compat: []string{"ppc"}, table: &tablePPC64},
	{Name: "ppc", AuditArch: emPPC, BigEndian: true, Bits: 32, OCI: "SCMP_ARCH_PPC", Libseccomp: "ppc", table: &tablePPC},
	{Name: "s390x", AuditArch: audit64 | emS390, BigEndian: true, Bits: 64, GOARCH: "s390x", OCI: "SCMP_ARCH_S390X", Libseccomp: "s390x", compat: []string{"s390"}, table: &tableS390X},
	{Name: "s390", AuditArch: emS390, BigEndian: true, Bits: 32, OCI: "SCMP_ARCH_S390", Libseccomp: "s390", table: &tableS390},
	{Name: "mips", AuditArch: emMIPS, BigEndian: true, Bits: 32, GOARCH: "mips", OCI: "SCMP_ARCH_MIPS", Libseccomp: "mips", table: &tableMIPS},
	{Name: "mipsel", AuditArch: auditLE | emMIPS, Bits: 32, GOARCH: "mipsle", OCI: "SCMP_ARCH_MIPSEL", Libseccomp: "mipsel", table: &tableMIPSEL},
	{Name: "mips64", AuditArch: audit64 | emMIPS, BigEndian: true, Bits: 64, GOARCH: "mips64", OCI: "SCMP_ARCH_MIPS64", Libseccomp: "mips64", compat: []string{"mips", "mips64n32"}, table: &tableMIPS64},
	{Name: "mipsel64", AuditArch: audit64 | auditLE | emMIPS, Bits: 64, GOARCH: "mips64le", OCI: "SCMP_ARCH_MIPSEL64", Libseccomp: "mipsel64", compat: []string{"mipsel", "mipsel64n32"}, table: &tableMIPSEL64},
	{Name: "mips64n32", AuditArch: audit64 | auditN32 | emMIPS, BigEndian: true, Bits: 32, OCI: "SCMP_ARCH_MIPS64N32", Libseccomp: "mips64n32", table: &tableMIPS64N32},
	{Name: "mipsel64n32", AuditArch: audit64 | auditLE | auditN32 | emMIPS, Bits: 32, OCI: "SCMP_ARCH_MIPSEL64N32", Libseccomp: "mipsel64n32", table: &tableMIPSEL64N32},
	{Name: "loongarch64", AuditArch: audit64 | auditLE | emLOONG, Bits: 64, GOARCH: "loong64", OCI: "SCMP_ARCH_LOONGARCH64", Libseccomp: "loongarch64", table: &tableLoongArch64},
}

// All returns every supported ABI, in a fixed order (x86_64 first). The
// slice is a copy; the *Arch values are shared.
func All() []*Arch { return slices.Clone(all) }

// Native returns the ABI of the running program (runtime.GOARCH), or nil
// if Go's GOARCH has no Linux seccomp ABI here.
func Native() *Arch { return byGOARCH(runtime.GOARCH) }

func byGOARCH(goarch string) *Arch {
	for _, a := range all {
		if a.GOARCH == goarch {
			return a
		}
	}
	return nil
}

// String returns the canonical name.
func (a *Arch) String() string {
	if a == nil {
		return "<nil>"
	}
	return a.Name
}

// Compat returns the other ABIs a kernel whose native ABI is a also runs:
// x86_64 → i386, x32; aarch64 → arm; ppc64 → ppc; s390x → s390;
// mips64 → mips, mips64n32; mipsel64 → mipsel, mipsel64n32. Whether a given
// kernel has them compiled in (CONFIG_IA32_EMULATION, CONFIG_X86_X32_ABI,
// CONFIG_COMPAT; s390 dropped 31-bit compat after v6.18) cannot be known
// from here, so a filter for
// such a kernel must decide what to do with each of them, because a
// process can enter the kernel through any (int $0x80, the x32 bit, a
// compat binary). Non-native ABIs return nil.
func (a *Arch) Compat() []*Arch {
	if a == nil {
		return nil
	}
	var out []*Arch
	for _, n := range a.compat {
		out = append(out, archByName[n])
	}
	return out
}

// Syscall returns the number of the named syscall as the filter sees it in
// seccomp_data.nr (x32 numbers include X32SyscallBit, mips o32 numbers start
// at 4000, n64 at 5000, n32 at 6000). Names are the kernel's, case-sensitive
// ("openat", "_llseek", "socketcall").
func (a *Arch) Syscall(name string) (uint32, bool) {
	if a == nil {
		return 0, false
	}
	nr, ok := a.table.names()[name]
	return nr, ok
}

// SyscallName returns the name of syscall number nr as the filter sees it
// (x32 numbers with X32SyscallBit). Where the kernel gives one number two
// names, the first in byte order is returned.
func (a *Arch) SyscallName(nr uint32) (string, bool) {
	t := a.syscalls()
	lo, hi := 0, len(t)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t[m].Nr < nr {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t) && t[lo].Nr == nr {
		return t[lo].Name, true
	}
	return "", false
}

// Syscalls returns the ABI's syscall table sorted by number. The slice is a
// copy.
func (a *Arch) Syscalls() []Syscall { return slices.Clone(a.syscalls()) }

// syscalls is the table, empty for an Arch this package did not make.
func (a *Arch) syscalls() []Syscall {
	if a == nil || a.table == nil {
		return nil
	}
	return a.table.byNr
}

// MaxSyscall returns the largest syscall number the table knows.
func (a *Arch) MaxSyscall() uint32 {
	t := a.syscalls()
	if len(t) == 0 {
		return 0
	}
	return t[len(t)-1].Nr
}

var archByName = func() map[string]*Arch {
	m := make(map[string]*Arch, len(all))
	for _, a := range all {
		m[a.Name] = a
	}
	return m
}()

// spellings maps every accepted lower-cased spelling to an ABI.
var spellings = func() map[string]*Arch {
	m := make(map[string]*Arch)
	for _, a := range all {
		for _, s := range []string{a.Name, a.GOARCH, a.OCI, a.Libseccomp} {
			if s != "" {
				// Both cases, so the common spellings need no ToLower.
				m[strings.ToLower(s)] = a
				m[s] = a
			}
		}
	}
	// uname -m and distribution spellings people type.
	for s, n := range map[string]string{
		"x86-64": "x86_64", "x64": "x86_64",
		"x86": "i386", "i486": "i386", "i586": "i386", "i686": "i386", "ia32": "i386",
		"armv7l": "arm", "armv7": "arm", "armv6l": "arm", "armhf": "arm", "armel": "arm",
		"ppc64el": "ppc64le", "powerpc64le": "ppc64le", "powerpc64": "ppc64", "powerpc": "ppc",
		"riscv": "riscv64", "loong64": "loongarch64",
	} {
		m[s] = archByName[n]
	}
	return m
}()

// unsupported are ABIs Linux has (and OCI or libseccomp name) for which this
// package has no table.
var unsupported = map[string]bool{
	"scmp_arch_parisc": true, "scmp_arch_parisc64": true, "scmp_arch_m68k": true,
	"scmp_arch_sh": true, "scmp_arch_sheb": true, "scmp_arch_riscv32": true,
	"scmp_arch_loongarch32": true, "scmp_arch_sparc": true, "scmp_arch_sparc64": true,
	"scmp_arch_armeb": true, "scmp_arch_ia64": true,
	"parisc": true, "parisc64": true, "hppa": true, "m68k": true, "sh": true, "sheb": true,
	"riscv32": true, "loongarch32": true, "sparc": true, "sparc64": true, "armeb": true,
	"alpha": true, "ia64": true, "microblaze": true, "xtensa": true, "csky": true,
	"arc": true, "openrisc": true, "or1k": true, "nios2": true, "hexagon": true, "um": true,
}

// Lookup returns the ABI spelled name in any of the accepted spellings,
// case-insensitively: canonical ("x86_64"), Go ("amd64", "386", "arm64",
// "mipsle", "mips64le", "loong64"), OCI ("SCMP_ARCH_X86_64") and libseccomp
// ("x86"), plus common uname -m spellings ("i686", "armv7l"). An unknown
// name gives an error wrapping ErrUnknownArch; an ABI Linux has but this
// package has no table for (PARISC, M68K, SH, RISCV32, SPARC...) gives one
// wrapping ErrUnsupportedArch.
func Lookup(name string) (*Arch, error) {
	if a, ok := spellings[name]; ok {
		return a, nil
	}
	k := strings.ToLower(strings.TrimSpace(name))
	if a, ok := spellings[k]; ok {
		return a, nil
	}
	if unsupported[k] {
		return nil, &Error{Name: name, Err: ErrUnsupportedArch}
	}
	return nil, &Error{Name: name, Err: ErrUnknownArch}
}
