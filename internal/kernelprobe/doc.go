// Package kernelprobe installs arbitrary classic-BPF programs as seccomp
// filters in the running kernel and reports what the kernel did with them:
// whether seccomp(2) accepted each program, and for each probe (a system
// call with chosen number, entry path and arguments) the action taken and
// its data. Tests use it to check package vm against the kernel.
//
// # Why it is built this way
//
// A Go process cannot host a random filter: the runtime makes futex, mmap,
// signal and sigreturn calls on every thread, the filter judges them too,
// and the process dies or hangs for reasons that have nothing to do with the
// probe. So the filter is installed on a thread that runs no Go code at all:
//
//   - Start re-executes the test binary (Main, called from TestMain, turns
//     it into a server that reads jobs from fd 3 and answers on fd 4). The
//     test process itself never installs a filter.
//   - The server maps an arena (stacks, a control block, the programs, the
//     probes and result slots) and makes it undumpable. For each batch it
//     starts a prober process with clone3(CLONE_VM|CLONE_CLEAR_SIGHAND):
//     a new thread group that shares the arena, runs only the assembly in
//     prober_linux_amd64.s on its own stack, and starts with every signal
//     handler at SIG_DFL.
//   - The prober's leader thread installs a SIGSYS handler and, for each
//     job, clones a probing thread (CLONE_THREAD, CLONE_CHILD_CLEARTID) and
//     waits for it on the futex word the kernel clears when it dies. The
//     leader is never filtered.
//   - The probing thread sets no_new_privs, installs the job's filters on
//     itself only (seccomp(SECCOMP_SET_MODE_FILTER, 0)), storing each
//     return value, then makes the probes with `syscall` (x86_64),
//     `int $0x80` (i386) or `syscall` with nr|0x40000000 (x32). Each result
//     is stored in the arena before the next probe starts.
//   - TRAP: the SIGSYS handler (SA_NODEFER, empty mask) stores the siginfo
//     and jumps back into the probe loop on the thread's saved stack,
//     without rt_sigreturn, which the filter might deny.
//   - KILL_THREAD: the probing thread dies, the leader sees it in the middle
//     of a probe, books a killed thread and starts a new probing thread (which
//     installs the filters again) at the next probe.
//   - KILL_PROCESS and unknown actions: the whole prober dies with SIGSYS;
//     the server sees it in wait4, books the probe and starts a new prober
//     at the next probe.
//   - When the probes are done the thread calls exit; if the filter denies
//     that, exit_group; if that is denied too, it faults. Either way the
//     server carries on with the next job.
//
// Probes use only calls that ignore their arguments and never return 0
// (getpid, getppid, getpgrp, gettid) or numbers that no table assigns, so
// that ERRNO(0) is visible and nothing else happens (Probe.Check).
//
// It needs no privileges: no_new_privs on the probing thread is enough for
// seccomp(2). The prober runs on linux/amd64 only; elsewhere (or without
// seccomp in the kernel) Start returns an error wrapping ErrUnsupported.
package kernelprobe
