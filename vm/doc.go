// Package vm is the kernel's classic BPF for seccomp, exactly: the load-time
// checks, the run-time semantics, and the action cache, as Linux 6.18 has
// them.
//
//   - Verify is bpf_check_classic (net/core/filter.c) followed by
//     seccomp_check_filter (kernel/seccomp.c), ported literally, including
//     the single-pass scratch-memory check and its quirk. Verify(prog) == nil
//     exactly when seccomp(SECCOMP_SET_MODE_FILTER) accepts prog; otherwise
//     the *VerifyError names the rule and the instruction.
//   - Run and Prog.Run compute the 32-bit value the filter returns for a
//     seccomp_data (Data), with the semantics of the kernel's converted
//     program: 32-bit wrapping arithmetic, shifts by X masked with 31,
//     division by an X of 0 returning 0, native-endian loads whose byte order
//     follows the AUDIT_ARCH value.
//   - Prog.Trace and Coverage instrument runs: path, instruction count,
//     which fields of seccomp_data were read, which branches were taken.
//   - Prog.ConstAllow emulates seccomp_is_const_allow, the kernel's action
//     cache; ConvertedLen and PathLen model the 32768-instruction budget of
//     stacked filters; Stack combines stacked results; Effective says what a
//     return value does.
//
// The package is trusted only as far as it agrees with the kernel: its tests
// install random programs in the running kernel (internal/kernelprobe) and
// compare accept/reject and every action with Verify and Run.
//
// vm works on raw uint32 return values; the compiler package gives them
// names. Users who only want to install a policy should start with package
// seccomp.
package vm
