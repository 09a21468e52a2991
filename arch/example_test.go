package arch_test

import (
	"errors"
	"fmt"

	"github.com/seccompile/seccompile/arch"
)

func ExampleLookup() {
	for _, name := range []string{"amd64", "SCMP_ARCH_X86", "x32", "mips64le", "SCMP_ARCH_PARISC", "vax"} {
		a, err := arch.Lookup(name)
		switch {
		case errors.Is(err, arch.ErrUnsupportedArch):
			fmt.Printf("%-16s unsupported\n", name)
		case err != nil:
			fmt.Printf("%-16s unknown\n", name)
		default:
			fmt.Printf("%-16s %s AUDIT_ARCH %#x, %d-bit\n", name, a, a.AuditArch, a.Bits)
		}
	}
	// Output:
	// amd64            x86_64 AUDIT_ARCH 0xc000003e, 64-bit
	// SCMP_ARCH_X86    i386 AUDIT_ARCH 0x40000003, 32-bit
	// x32              x32 AUDIT_ARCH 0xc000003e, 32-bit
	// mips64le         mipsel64 AUDIT_ARCH 0xc0000008, 64-bit
	// SCMP_ARCH_PARISC unsupported
	// vax              unknown
}

func ExampleArch_Syscall() {
	// The same call has a different number on each ABI a x86_64 kernel runs.
	x86_64, _ := arch.Lookup("x86_64")
	for _, a := range append([]*arch.Arch{x86_64}, x86_64.Compat()...) {
		nr, _ := a.Syscall("getppid")
		fmt.Printf("%s getppid %#x\n", a, nr)
	}
	aarch64, _ := arch.Lookup("arm64")
	_, ok := aarch64.Syscall("open")
	fmt.Println("aarch64 has open:", ok)
	// Output:
	// x86_64 getppid 0x6e
	// i386 getppid 0x40
	// x32 getppid 0x4000006e
	// aarch64 has open: false
}

func ExampleArch_SyscallName() {
	arm, _ := arch.Lookup("arm")
	for _, nr := range []uint32{0xf0005, 341, 123456} {
		name, ok := arm.SyscallName(nr)
		fmt.Println(nr, name, ok)
	}
	// Output:
	// 983045 set_tls true
	// 341 arm_sync_file_range true
	// 123456  false
}

func ExampleSocketCallNumber() {
	i386, _ := arch.Lookup("i386")
	nr, _ := i386.Syscall("socketcall")
	call, _ := arch.SocketCallNumber("connect")
	fmt.Printf("connect on i386 may arrive as socketcall (%d) with args[0] == %d\n", nr, call)
	// Output: connect on i386 may arrive as socketcall (102) with args[0] == 3
}
