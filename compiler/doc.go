// Package compiler turns seccomp policies into classic-BPF programs for
// seccomp(2), and proves each program equal to its policy.
//
// It is the regexp/syntax of this module: programs that only want to
// sandbox themselves should use package seccomp (Install), which compiles,
// checks and loads in one call. Use compiler directly to inspect, export or
// precompile programs, or to check programs from other tools.
//
// # Policies
//
// A Policy lists ABIs (default: the native one), a default action for known
// syscalls no rule matches, an action for numbers the ABI's table does not
// know (default ERRNO(ENOSYS), so that libc falls back as on an older
// kernel), a bad-arch action (default KILL_PROCESS), hot syscalls, and
// rules. A Rule names syscalls (resolved on each ABI) or numbers, an
// action, and conditions on arguments that must all hold.
//
// Decided semantics, implemented by Compile and by Policy.Eval alike:
//
//   - Overlapping rules: of the rules whose conditions hold, the most
//     restrictive action wins, in the kernel's order (KILL_PROCESS,
//     KILL_THREAD, TRAP, ERRNO, USER_NOTIF, TRACE, LOG, ALLOW); among
//     actions of one kind, the first rule. Overlaps are warnings.
//     libseccomp resolves overlaps differently and not consistently; this
//     package does not imitate it.
//   - Arguments are compared as 64-bit unsigned values, split into 32-bit
//     words in the ABI's byte order (low word at 16+8i on little-endian
//     ABIs, high word there on big-endian ones), unless the condition is
//     Low32 or the ABI is 32-bit: then only the low word of the argument is
//     compared with the low word of the value (and mask), as libseccomp
//     does. x32 counts as 64-bit here: its syscalls run on full 64-bit
//     registers and the x86_64 handlers read them whole.
//   - ABIs: the program tests seccomp_data.arch first; an ABI the policy
//     does not list gets the bad-arch action. x86_64 and x32 share
//     AUDIT_ARCH_X86_64 and are told apart by the number: at or above
//     0x40000000 (the x32 bit) it is x32's, below it x86_64's, so an x32
//     number never reaches an x86_64 rule and, unless x32 is listed, gets
//     the bad-arch action.
//   - Every number gets a decision: a rule's, the default for the table's
//     numbers and numbers a rule names, the unknown action for the rest
//     (gaps in the table, numbers past it, "negative" ones).
//
// # The program
//
// Compile lays the program out as a test of the arch per ABI section, a
// jeq per hot syscall, then a binary search (jge) over ranges of numbers
// with one decision each, weighted by how many numbers each range covers;
// argument rules become decision trees over 32-bit words that share tests
// and tails. Returns are shared; jumps beyond 255 instructions go through
// a ja or a copy of the return. Syscalls allowed whatever their arguments
// are reached through instructions the kernel's action cache follows
// (seccomp_is_const_allow), so the kernel caches them and never runs the
// filter for them. The output is deterministic and carries, per
// instruction, the rule, syscall and role it serves (Program.Origins,
// Program.String).
//
// # Proof
//
// Check runs the program in package vm on one input from every class of
// inputs the program and the policy cannot tell apart, and compares each
// result with Policy.Eval, a direct reading of the policy. For programs
// that compare words only with jeq, jgt and jge (all of Compile's, bar
// masked argument conditions) that is a proof over every arch value,
// syscall number and argument value; see Check.
//
// # Files
//
// policy.go (the model), names.go (name resolution), normalize.go
// (validation, per-ABI decisions), argtree.go (argument trees), layout.go
// (sections and search), graph.go (the decision graph), jumps.go
// (emission, loads, long jumps), program.go (Program and its outputs),
// disasm.go (listings), eval.go (the reference evaluation), walk.go and
// check.go (the proof).
package compiler
