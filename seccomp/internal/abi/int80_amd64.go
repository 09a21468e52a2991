package abi

// Int80 makes the i386 system call nr with up to three arguments through
// int $0x80 and returns rax as the kernel left it: a negative errno on
// failure, as for any raw system call. The kernel's seccomp_data.args hold
// the full 64-bit registers here, so high bits in a1..a3 reach the filter
// even though the compat call itself truncates them.
func Int80(nr, a1, a2, a3 uintptr) uintptr
