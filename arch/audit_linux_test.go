//go:build linux

package arch

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// TestAuditArchXSys cross-checks the AUDIT_ARCH values with the constants
// golang.org/x/sys/unix generates from the kernel's uapi/linux/audit.h.
func TestAuditArchXSys(t *testing.T) {
	want := map[string]uint32{
		"x86_64":      unix.AUDIT_ARCH_X86_64,
		"i386":        unix.AUDIT_ARCH_I386,
		"x32":         unix.AUDIT_ARCH_X86_64, // x32 shares it; the syscall bit tells them apart
		"aarch64":     unix.AUDIT_ARCH_AARCH64,
		"arm":         unix.AUDIT_ARCH_ARM,
		"riscv64":     unix.AUDIT_ARCH_RISCV64,
		"ppc64le":     unix.AUDIT_ARCH_PPC64LE,
		"ppc64":       unix.AUDIT_ARCH_PPC64,
		"ppc":         unix.AUDIT_ARCH_PPC,
		"s390x":       unix.AUDIT_ARCH_S390X,
		"s390":        unix.AUDIT_ARCH_S390,
		"mips":        unix.AUDIT_ARCH_MIPS,
		"mipsel":      unix.AUDIT_ARCH_MIPSEL,
		"mips64":      unix.AUDIT_ARCH_MIPS64,
		"mipsel64":    unix.AUDIT_ARCH_MIPSEL64,
		"mips64n32":   unix.AUDIT_ARCH_MIPS64N32,
		"mipsel64n32": unix.AUDIT_ARCH_MIPSEL64N32,
		"loongarch64": unix.AUDIT_ARCH_LOONGARCH64,
	}
	if len(want) != len(All()) {
		t.Fatalf("%d ABIs, %d checked", len(All()), len(want))
	}
	for _, a := range All() {
		if w, ok := want[a.Name]; !ok || a.AuditArch != w {
			t.Errorf("%s: AuditArch %#x, x/sys says %#x", a, a.AuditArch, w)
		}
	}
}

// TestNativeXSys checks the native table against the SYS_ constants x/sys
// compiles in for this GOARCH (independent of the generator's parsing).
func TestNativeXSys(t *testing.T) {
	n := Native()
	if n == nil {
		t.Skipf("no ABI for %s", runtime.GOARCH)
	}
	for name, nr := range map[string]uintptr{
		"read": unix.SYS_READ, "write": unix.SYS_WRITE, "openat": unix.SYS_OPENAT,
		"getppid": unix.SYS_GETPPID, "seccomp": unix.SYS_SECCOMP, "exit_group": unix.SYS_EXIT_GROUP,
		"futex": unix.SYS_FUTEX, "clone3": unix.SYS_CLONE3, "rt_sigreturn": unix.SYS_RT_SIGRETURN,
	} {
		if got, ok := n.Syscall(name); !ok || uintptr(got) != nr {
			t.Errorf("%s: Syscall(%q) = %d, %v; x/sys says %d", n, name, got, ok, nr)
		}
	}
}
