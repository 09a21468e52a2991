package compiler_test

import (
	"fmt"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
	"golang.org/x/net/bpf"
)

// A small policy: a few syscalls allowed, socket only for AF_UNIX, every
// other known syscall fails with EPERM, unknown ones with ENOSYS, other
// ABIs are killed.
func examplePolicy() *compiler.Policy {
	return &compiler.Policy{
		Arches:  []string{"x86_64"},
		Default: compiler.Errno(1),
		Rules: []compiler.Rule{
			{Syscalls: []string{"read", "write", "exit_group"}, Action: compiler.Allow},
			{Syscalls: []string{"socket"}, Action: compiler.Allow,
				Conds: []compiler.Cond{compiler.Arg(0).Low32().EQ(1)}, Comment: "AF_UNIX"},
		},
	}
}

func ExampleCompile() {
	prog, err := compiler.Compile(examplePolicy())
	if err != nil {
		fmt.Println(err)
		return
	}
	raw, _ := prog.MarshalBinary()
	fmt.Printf("%d instructions, %d bytes for seccomp(2)\n", len(prog.Insns), len(raw))
	// Output:
	// 18 instructions, 144 bytes for seccomp(2)
}

func ExampleProgram_String() {
	prog, _ := compiler.Compile(examplePolicy())
	fmt.Print(prog)
	// Output:
	//  line  CODE  JT   JF      K
	// =================================
	//  0000: 0x20 0x00 0x00 0x00000004  A = arch
	//  0001: 0x15 0x00 0x0f 0xc000003e  if (A != ARCH_X86_64) goto 0017  # x86_64
	//  0002: 0x20 0x00 0x00 0x00000000  A = sys_number  # x86_64
	//  0003: 0x35 0x05 0x00 0x000000e7  if (A >= exit_group) goto 0009
	//  0004: 0x35 0x09 0x00 0x0000002a  if (A >= connect) goto 0014
	//  0005: 0x35 0x01 0x00 0x00000029  if (A >= socket) goto 0007
	//  0006: 0x35 0x07 0x04 0x00000002  if (A >= open) goto 0014 else goto 0011
	//  0007: 0x20 0x00 0x00 0x00000010  A = args[0]  # socket: rule 1 "AF_UNIX"
	//  0008: 0x15 0x02 0x05 0x00000001  if (A == 0x1) goto 0011 else goto 0014  # socket: rule 1 "AF_UNIX"
	//  0009: 0x35 0x02 0x00 0x00000151  if (A >= 0x151) goto 0012
	//  0010: 0x35 0x03 0x00 0x000000e8  if (A >= epoll_wait) goto 0014
	//  0011: 0x06 0x00 0x00 0x7fff0000  return ALLOW
	//  0012: 0x35 0x00 0x03 0x000001a8  if (A < pidfd_send_signal) goto 0016
	//  0013: 0x35 0x01 0x00 0x000001d8  if (A >= 0x1d8) goto 0015
	//  0014: 0x06 0x00 0x00 0x00050001  return ERRNO(1)  # x86_64: default
	//  0015: 0x35 0x01 0x00 0x40000000  if (A >= 0x40000000) goto 0017
	//  0016: 0x06 0x00 0x00 0x00050026  return ERRNO(38)  # x86_64: unknown syscall
	//  0017: 0x06 0x00 0x00 0x80000000  return KILL_PROCESS  # bad arch
}

func ExamplePolicy_Eval() {
	p := examplePolicy()
	x86, _ := arch.Lookup("x86_64")
	socket, _ := x86.Syscall("socket")
	for _, d := range []vm.Data{
		{Nr: socket, Args: [6]uint64{1}},  // AF_UNIX
		{Nr: socket, Args: [6]uint64{10}}, // AF_INET6
		{Nr: 1000},                        // not a syscall of x86_64
		{Nr: 0x40000000},                  // x32, which the policy does not list
	} {
		fmt.Println(p.Eval(x86, d))
	}
	// Output:
	// ALLOW
	// ERRNO(1)
	// ERRNO(38)
	// KILL_PROCESS
}

func ExampleCheck() {
	p := examplePolicy()
	prog, _ := compiler.Compile(p)
	r, err := compiler.Check(p, prog)
	fmt.Println("equal to the policy:", err == nil)
	fmt.Println("proof over all inputs:", r.Exhaustive)
	fmt.Printf("unconditionally allowed: %d, held by the kernel's action cache: %d\n", r.Allowed, r.Cached)
	// Output:
	// equal to the policy: true
	// proof over all inputs: true
	// unconditionally allowed: 3, held by the kernel's action cache: 3
}

func ExampleDisassemble() {
	// The filter from seccomp(2)'s man page style: getppid fails with EPERM.
	raw, _ := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xc000003e, SkipFalse: 3},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 110, SkipFalse: 1},
		bpf.RetConstant{Val: 0x00050001},
		bpf.RetConstant{Val: 0x7fff0000},
	})
	fmt.Print(compiler.Disassemble(raw))
	// Output:
	//  line  CODE  JT   JF      K
	// =================================
	//  0000: 0x20 0x00 0x00 0x00000004  A = arch
	//  0001: 0x15 0x00 0x03 0xc000003e  if (A != ARCH_X86_64) goto 0005
	//  0002: 0x20 0x00 0x00 0x00000000  A = sys_number
	//  0003: 0x15 0x00 0x01 0x0000006e  if (A != getppid) goto 0005
	//  0004: 0x06 0x00 0x00 0x00050001  return ERRNO(1)
	//  0005: 0x06 0x00 0x00 0x7fff0000  return ALLOW
}
