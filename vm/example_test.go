package vm_test

import (
	"errors"
	"fmt"

	"github.com/seccompile/seccompile/vm"
	"golang.org/x/net/bpf"
)

// A filter that lets x86_64 calls through, except getppid (110), which
// fails with EPERM.
var filter = []bpf.RawInstruction{
	{Op: 0x20, K: 4},                        // ld [4]          (arch)
	{Op: 0x15, Jt: 0, Jf: 3, K: 0xc000003e}, // jeq #AUDIT_ARCH_X86_64
	{Op: 0x20, K: 0},                        // ld [0]          (nr)
	{Op: 0x15, Jt: 0, Jf: 1, K: 110},        // jeq #110
	{Op: 0x06, K: 0x00050001},               // ret ERRNO|EPERM
	{Op: 0x06, K: 0x7fff0000},               // ret ALLOW
}

func ExampleVerify() {
	fmt.Println(vm.Verify(filter))

	bad := []bpf.RawInstruction{
		{Op: 0x20, K: 66}, // ld [66]: past the end of seccomp_data
		{Op: 0x06, K: 0x7fff0000},
	}
	err := vm.Verify(bad)
	fmt.Println(err)
	fmt.Println(errors.Is(err, vm.ErrDataOffset), errors.Is(err, vm.ErrInvalid))
	// Output:
	// <nil>
	// instruction 0 (ld [66]): seccomp_data offset 66 is not 4-aligned and < 64
	// true true
}

func ExampleRun() {
	for _, nr := range []uint32{39, 110} {
		ret, err := vm.Run(filter, vm.Data{Nr: nr, Arch: 0xc000003e})
		if err != nil {
			panic(err)
		}
		fmt.Printf("nr %d: %#08x\n", nr, ret)
	}
	// Output:
	// nr 39: 0x7fff0000
	// nr 110: 0x00050001
}

func ExampleProg_Trace() {
	p, err := vm.Load(filter)
	if err != nil {
		panic(err)
	}
	ret, tr := p.Trace(vm.Data{Nr: 110, Arch: 0xc000003e})
	fmt.Printf("%#x after %d instructions %v, read %v\n", ret, tr.Executed, tr.Path, tr.Fields)

	cov := p.NewCoverage()
	cov.Add(tr)
	fmt.Println(cov)
	fmt.Println("never taken:", cov.UncoveredBranches())
	// Output:
	// 0x50001 after 5 instructions [0 1 2 3 4], read nr|arch
	// insns 5/6, branches 2/4, 1 runs
	// never taken: [1:false 3:false]
}

func ExampleProg_ConstAllow() {
	p, err := vm.Load(filter)
	if err != nil {
		panic(err)
	}
	// getpid is always allowed, so the kernel's action cache skips the
	// filter for it; getppid is not.
	fmt.Println(p.ConstAllow(39, 0xc000003e), p.ConstAllow(110, 0xc000003e))
	// Output:
	// true false
}

func ExampleStack() {
	// Stacked filters, newest first: the most restrictive action wins.
	fmt.Printf("%#x\n", vm.Stack(0x7fff0000, 0x00050001, 0x00030000))
	// Output:
	// 0x30000
}
