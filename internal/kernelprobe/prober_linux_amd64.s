//go:build linux && amd64

#include "textflag.h"

// The prober: code that runs in a clone3(CLONE_VM) child of the server, on
// its own stacks, with no Go runtime underneath. It makes no call that is
// not a raw syscall, and it keeps all state in the control block whose
// address is in ·proberCtl, so a signal handler can resume anywhere.
// See doc.go for the design, and prober_linux_amd64.go for the layout.

#define SYS_rt_sigaction	13
#define SYS_rt_sigprocmask	14
#define SYS_clone	56
#define SYS_exit	60
#define SYS_prctl	157
#define SYS_futex	202
#define SYS_exit_group	231
#define SYS_seccomp	317
#define SYS_clone3	435

#define SIGSYS	31
#define SIG_SETMASK	2
#define FUTEX_WAIT	0
#define PR_SET_NO_NEW_PRIVS	38
#define SECCOMP_SET_MODE_FILTER	1

// CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_CHILD_CLEARTID
#define THREAD_FLAGS	0x250f00

#define EXIT_LEADER_FAILED	3
#define EXIT_THREAD_GROUP	7

#define CTL_NJOBS	0
#define CTL_JOBS	8
#define CTL_JOB	16
#define CTL_PHASE	24
#define CTL_TID	32
#define CTL_TSTACK	40
#define CTL_TSP	48
#define CTL_SIGACT	56
#define CTL_SIGMASK	80
#define CTL_LEADERERR	88

#define JOB_NFILTERS	0
#define JOB_FPROGS	8
#define JOB_INSTALL	16
#define JOB_NPROBES	24
#define JOB_PROBES	32
#define JOB_RESULTS	40
#define JOB_NEXT	48
#define JOB_DONE	56

#define PROBE_ENTRY	0
#define PROBE_NR	4
#define PROBE_ARG0	8
#define PROBE_ARG1	16
#define PROBE_ARG2	24
#define PROBE_ARG3	32
#define PROBE_ARG4	40
#define PROBE_ARG5	48

#define RES_STATUS	0
#define RES_RET	8
#define RES_SIGNO	16
#define RES_ERRNO	20
#define RES_CODE	24
#define RES_SYSCALL	28
#define RES_ARCH	32
#define RES_CALLADDR	40

#define STATUS_RUNNING	1
#define STATUS_RETURNED	2
#define STATUS_TRAPPED	3
#define STATUS_KILLED_THREAD	4

#define ENTRY_INT80	1

// R12 = control block, R13 = current job.
#define LOAD_JOB \
	MOVQ	·proberCtl(SB), R12; \
	MOVQ	CTL_JOB(R12), R13; \
	SHLQ	$6, R13; \
	ADDQ	CTL_JOBS(R12), R13

#define ENTRY_LEADER	0
#define ENTRY_RESUME	1
#define ENTRY_END	2
#define ENTRY_CRASH	3

// func clone3Prober(args *cloneArgs, size uintptr) int64
TEXT ·clone3Prober(SB),NOSPLIT,$0-24
	MOVQ	args+0(FP), DI
	MOVQ	size+8(FP), SI
	MOVQ	$SYS_clone3, AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	MOVQ	AX, ret+16(FP)
	RET
child:
	// New process on the leader's stack, every handler SIG_DFL, and
	// AX = 0 = ENTRY_LEADER.
	JMP	·proberMain(SB)

// func proberAddrs() (handler, restorer, sys, int80 uintptr)
TEXT ·proberAddrs(SB),NOSPLIT,$0-32
	LEAQ	·proberTrap(SB), AX
	MOVQ	AX, handler+0(FP)
	LEAQ	·proberRestorer(SB), AX
	MOVQ	AX, restorer+8(FP)
	LEAQ	·siteSyscall(SB), AX
	MOVQ	AX, sys+16(FP)
	LEAQ	·siteInt80(SB), AX
	MOVQ	AX, int80+24(FP)
	RET

// The probe sites: the syscall instruction is the first instruction of the
// symbol, so the kernel's instruction_pointer is the symbol address + 2.
TEXT ·siteSyscall(SB),NOSPLIT|NOFRAME,$0
	SYSCALL
	RET

TEXT ·siteInt80(SB),NOSPLIT|NOFRAME,$0
	INT	$0x80
	RET

// proberMain is the whole prober but its signal handler, in one symbol so
// that its loops are local jumps. AX selects the entry point.
TEXT ·proberMain(SB),NOSPLIT|NOFRAME,$0
	CMPQ	AX, $ENTRY_RESUME
	JEQ	loop
	CMPQ	AX, $ENTRY_END
	JEQ	end
	CMPQ	AX, $ENTRY_CRASH
	JEQ	crash

	// The leader: never filtered. It runs one probing thread per job
	// (and a new one after a probe killed the thread), waits for it, and
	// books a KILL_THREAD when the thread died in the middle of a probe.
	MOVQ	·proberCtl(SB), R12
	MOVQ	$SIGSYS, DI
	LEAQ	CTL_SIGACT(R12), SI
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigaction, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	fail
	MOVQ	$SIG_SETMASK, DI
	LEAQ	CTL_SIGMASK(R12), SI
	XORQ	DX, DX
	MOVQ	$8, R10
	MOVQ	$SYS_rt_sigprocmask, AX
	SYSCALL
	CMPQ	AX, $0
	JNE	fail
jobs:
	MOVQ	·proberCtl(SB), R12
	MOVQ	CTL_JOB(R12), BX
	CMPQ	BX, CTL_NJOBS(R12)
	JAE	alldone
	LOAD_JOB
	CMPQ	JOB_DONE(R13), $0
	JNE	nextjob
	MOVQ	$0, CTL_PHASE(R12)
	MOVL	$1, CTL_TID(R12)
	MOVQ	$THREAD_FLAGS, DI
	MOVQ	CTL_TSTACK(R12), SI
	XORQ	DX, DX
	LEAQ	CTL_TID(R12), R10
	XORQ	R8, R8
	MOVQ	$SYS_clone, AX
	SYSCALL
	CMPQ	AX, $0
	JEQ	thread
	JLT	fail
wait:
	// CLONE_CHILD_CLEARTID zeroes the word and wakes it when the thread
	// dies, however it dies.
	MOVL	CTL_TID(R12), DX
	CMPL	DX, $0
	JEQ	gone
	LEAQ	CTL_TID(R12), DI
	MOVQ	$FUTEX_WAIT, SI
	XORQ	R10, R10
	MOVQ	$SYS_futex, AX
	SYSCALL
	JMP	wait
gone:
	CMPQ	CTL_PHASE(R12), $1
	JNE	jobdone
	MOVQ	JOB_NEXT(R13), BX
	MOVQ	BX, CX
	SHLQ	$6, CX
	ADDQ	JOB_RESULTS(R13), CX
	MOVQ	$STATUS_KILLED_THREAD, RES_STATUS(CX)
	INCQ	BX
	MOVQ	BX, JOB_NEXT(R13)
	JMP	jobs
jobdone:
	MOVQ	$1, JOB_DONE(R13)
nextjob:
	INCQ	CTL_JOB(R12)
	JMP	jobs
alldone:
	MOVQ	$0, DI
	MOVQ	$SYS_exit_group, AX
	SYSCALL
fail:
	MOVQ	·proberCtl(SB), R12
	MOVQ	AX, CTL_LEADERERR(R12)
	MOVQ	$EXIT_LEADER_FAILED, DI
	MOVQ	$SYS_exit_group, AX
	SYSCALL
	JMP	fail

thread:
	// The probing thread: sets no_new_privs, installs the job's filters
	// on itself only, then makes the probes.
	MOVQ	·proberCtl(SB), R12
	MOVQ	SP, CTL_TSP(R12)
	MOVQ	$PR_SET_NO_NEW_PRIVS, DI
	MOVQ	$1, SI
	XORQ	DX, DX
	XORQ	R10, R10
	XORQ	R8, R8
	MOVQ	$SYS_prctl, AX
	SYSCALL
	LOAD_JOB
	XORQ	R14, R14
install:
	CMPQ	R14, JOB_NFILTERS(R13)
	JAE	installed
	MOVQ	$SECCOMP_SET_MODE_FILTER, DI
	XORQ	SI, SI
	MOVQ	R14, DX
	SHLQ	$4, DX
	ADDQ	JOB_FPROGS(R13), DX
	MOVQ	$SYS_seccomp, AX
	SYSCALL
	MOVQ	JOB_INSTALL(R13), CX
	MOVQ	AX, (CX)(R14*8)
	INCQ	R14
	JMP	install
installed:
	MOVQ	$1, CTL_PHASE(R12)

loop:
	// One probe per pass. The result is stored before the next probe
	// starts, so whatever kills the thread or the process, every earlier
	// probe is already booked.
	LOAD_JOB
	MOVQ	JOB_NEXT(R13), BX
	CMPQ	BX, JOB_NPROBES(R13)
	JAE	finished
	SHLQ	$6, BX
	MOVQ	BX, R14
	ADDQ	JOB_PROBES(R13), R14
	ADDQ	JOB_RESULTS(R13), BX
	MOVQ	$STATUS_RUNNING, RES_STATUS(BX)
	MOVL	PROBE_ENTRY(R14), AX
	CMPL	AX, $ENTRY_INT80
	JEQ	int80
	MOVL	PROBE_NR(R14), AX
	MOVQ	PROBE_ARG0(R14), DI
	MOVQ	PROBE_ARG1(R14), SI
	MOVQ	PROBE_ARG2(R14), DX
	MOVQ	PROBE_ARG3(R14), R10
	MOVQ	PROBE_ARG4(R14), R8
	MOVQ	PROBE_ARG5(R14), R9
	CALL	·siteSyscall(SB)
	JMP	after
int80:
	MOVL	PROBE_NR(R14), AX
	MOVQ	PROBE_ARG0(R14), BX
	MOVQ	PROBE_ARG1(R14), CX
	MOVQ	PROBE_ARG2(R14), DX
	MOVQ	PROBE_ARG3(R14), SI
	MOVQ	PROBE_ARG4(R14), DI
	MOVQ	PROBE_ARG5(R14), BP
	CALL	·siteInt80(SB)
after:
	LOAD_JOB
	MOVQ	JOB_NEXT(R13), BX
	SHLQ	$6, BX
	ADDQ	JOB_RESULTS(R13), BX
	MOVQ	AX, RES_RET(BX)
	MOVQ	$STATUS_RETURNED, RES_STATUS(BX)
	INCQ	JOB_NEXT(R13)
	JMP	loop

finished:
	MOVQ	$2, CTL_PHASE(R12)
	XORQ	DI, DI
	MOVQ	$SYS_exit, AX
	SYSCALL
end:
	// The filter denied exit: end the whole prober; the server restarts
	// it at the next job.
	MOVQ	·proberCtl(SB), R12
	MOVQ	$3, CTL_PHASE(R12)
	MOVQ	$EXIT_THREAD_GROUP, DI
	MOVQ	$SYS_exit_group, AX
	SYSCALL
crash:
	// exit_group was denied too: fault, which no filter can stop.
	MOVQ	·proberCtl(SB), R12
	MOVQ	$4, CTL_PHASE(R12)
	XORQ	AX, AX
	MOVQ	AX, 0(AX)
	JMP	crash

// The SIGSYS handler (SA_SIGINFO|SA_NODEFER, empty mask). It never returns
// through rt_sigreturn, which the filter might deny: it books the trap and
// jumps back into the loop on the thread's original stack.
// DI = signo, SI = siginfo, DX = ucontext.
TEXT ·proberTrap(SB),NOSPLIT|NOFRAME,$0
	LOAD_JOB
	MOVQ	CTL_PHASE(R12), AX
	CMPQ	AX, $1
	JEQ	probing
	CMPQ	AX, $2
	JEQ	inexit
	MOVQ	$ENTRY_CRASH, AX
	JMP	·proberMain(SB)
inexit:
	MOVQ	$ENTRY_END, AX
	JMP	·proberMain(SB)
probing:
	MOVQ	JOB_NEXT(R13), BX
	SHLQ	$6, BX
	ADDQ	JOB_RESULTS(R13), BX
	MOVL	0(SI), AX
	MOVL	AX, RES_SIGNO(BX)
	MOVL	4(SI), AX
	MOVL	AX, RES_ERRNO(BX)
	MOVL	8(SI), AX
	MOVL	AX, RES_CODE(BX)
	MOVQ	16(SI), AX
	MOVQ	AX, RES_CALLADDR(BX)
	MOVL	24(SI), AX
	MOVL	AX, RES_SYSCALL(BX)
	MOVL	28(SI), AX
	MOVL	AX, RES_ARCH(BX)
	MOVQ	$STATUS_TRAPPED, RES_STATUS(BX)
	INCQ	JOB_NEXT(R13)
	MOVQ	CTL_TSP(R12), SP
	MOVQ	$ENTRY_RESUME, AX
	JMP	·proberMain(SB)

// sa_restorer is mandatory on x86_64; the handler never returns to it.
TEXT ·proberRestorer(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$ENTRY_CRASH, AX
	JMP	·proberMain(SB)
