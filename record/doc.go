// Package record runs a program, records the system calls it makes, and
// writes the minimal seccomp profile that lets it do that again: the
// library behind `seccompile record`.
//
// Run starts the command, waits for it to finish and returns a Recording:
// for each (ABI, syscall number) how often it was called, by the command
// and every process and thread it started, from its execve on. With
// Options.Args it also keeps the values of the arguments that say what a call
// does (socket's family, ioctl's request, clone's flags, prctl's option,
// fcntl's command, personality). A Recording becomes
//
//   - a profile (Recording.Profile): OCI/Docker JSON with SCMP_ACT_ERRNO
//     (EPERM) as the default, the observed ABIs as "architectures", one
//     SCMP_ACT_ALLOW entry with the sorted names, and one entry per recorded
//     argument value;
//   - a compiler.Policy (Recording.Policy) or Go source that installs it
//     with seccomp.Install (Recording.GoSource);
//   - an addition to an existing profile (Merge);
//   - a table of counts (Recording.Summary).
//
// # Backends
//
// "ebpf" needs root (or CAP_BPF with CAP_PERFMON and the right to create a
// cgroup) and a cgroup v2 hierarchy. A program written with cilium/ebpf's
// asm package, so without a C compiler, runs on the raw tracepoint
// sys_enter (no tracefs needed). The command is started inside a fresh
// cgroup (clone3 with CLONE_INTO_CGROUP) and the program counts only tasks
// in that cgroup or below it (bpf_current_task_under_cgroup), so
// descendants are covered however they are created, and nothing else on
// the machine is. The ABI of a call is told from the task's TS_COMPAT flag
// (int $0x80 and the 32-bit entry points: i386) and the x32 bit of the
// number. Counting starts at the command's execve: os/exec's preparation in
// the forked child is not the command's. It slows each system call of
// the command by a few hundred nanoseconds, and every other process's by
// the cgroup test.
//
// "notify" needs no privilege, only seccomp user notification (Linux 5.5):
// a helper (this binary, re-executed) installs a filter that returns
// USER_NOTIF for every call of every ABI on one thread and execs the command
// from it; the recorder answers each notification with CONTINUE and counts
// it. The filter is inherited across fork, clone and execve, so every
// descendant is covered. Each system call becomes a round trip through the
// recorder (several microseconds), and the command runs with no_new_privs
// unless the recorder holds CAP_SYS_ADMIN. Neither backend sees vDSO calls
// (clock_gettime, gettimeofday, time, getcpu), which do not enter the
// kernel, and so no filter sees them either.
//
// Both backends see the same calls; counts may differ, for example when a
// signal interrupts a notified call, which the kernel then restarts as a
// new notification.
//
// # Limits
//
// A recording shows what one run did. Another run may take other paths:
// error handling, signals (the Go runtime's preemption uses getpid, tgkill
// and rt_sigreturn only when a goroutine runs long), different input.
// Merge several recordings, and keep ERRNO rather than a kill as the
// default, so that a missed call fails instead of killing the program.
//
// When the command's first process exits, whatever it left running is
// killed: the recording ends with the command. Run returns once they can
// run no more code; the kernel may still be tearing them down (with the
// notify backend the listener hangs up while a killed task is in do_exit).
//
// The eBPF backend tells compat calls apart on x86_64 only; on other
// architectures every call is named from the native table.
package record
