package kernelprobe

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/net/bpf"
)

// Entry says how a probe enters the kernel, which decides the AUDIT_ARCH
// value and the syscall numbering the filter sees.
type Entry uint8

const (
	// EntrySyscall is the x86_64 `syscall` instruction (AUDIT_ARCH_X86_64).
	EntrySyscall Entry = iota
	// EntryInt80 is `int $0x80` from 64-bit code (AUDIT_ARCH_I386, i386
	// numbers). The filter sees the full 64-bit registers as arguments.
	EntryInt80
	// EntryX32 is `syscall` with nr | 0x40000000 (AUDIT_ARCH_X86_64).
	EntryX32
)

// String returns "syscall", "int80" or "x32".
func (e Entry) String() string {
	switch e {
	case EntrySyscall:
		return "syscall"
	case EntryInt80:
		return "int80"
	case EntryX32:
		return "x32"
	}
	return fmt.Sprintf("Entry(%d)", uint8(e))
}

// AUDIT_ARCH values and the x32 bit (include/uapi/linux/audit.h,
// arch/x86/include/uapi/asm/unistd.h).
const (
	AuditArchX86_64 = 0xc000003e
	AuditArchI386   = 0x40000003
	X32SyscallBit   = 0x40000000
)

// Syscall numbers that are safe to probe because they ignore their
// arguments, have no side effects and never return 0 (so that ERRNO(0),
// which returns 0 without running the call, is visible).
var (
	// SafeX86_64 are getpid, getppid, getpgrp, gettid (x86_64 and x32).
	SafeX86_64 = []uint32{39, 110, 111, 186}
	// SafeI386 are getpid, getppid, getpgrp, gettid (i386).
	SafeI386 = []uint32{20, 64, 65, 224}
)

// NoSyscall is the lowest number this package treats as unassigned in every
// table: such probes return ENOSYS when a filter lets them through.
const NoSyscall = 1024

// x86_64 uprobe (336) returns ENXIO unless called from a uprobe trampoline;
// it is useful to observe seccomp's uprobe exception.
const nrUprobe = 336

// Probe is one system call made under the filters of a job.
type Probe struct {
	Entry Entry
	Nr    uint32    // for EntryX32, without the x32 bit
	Args  [6]uint64 // registers: rdi rsi rdx r10 r8 r9, or rbx rcx rdx rsi rdi rbp for int80
}

// SeenNr returns seccomp_data.nr as the filter sees it.
func (p Probe) SeenNr() uint32 {
	if p.Entry == EntryX32 {
		return p.Nr | X32SyscallBit
	}
	return p.Nr
}

// Arch returns seccomp_data.arch for the probe.
func (p Probe) Arch() uint32 {
	if p.Entry == EntryInt80 {
		return AuditArchI386
	}
	return AuditArchX86_64
}

// ErrUnsafeProbe is returned for probes that could do something besides
// answering: only the Safe* numbers, uprobe (x86_64 336) and numbers from
// NoSyscall up are allowed.
var ErrUnsafeProbe = errors.New("kernelprobe: unsafe probe")

// Check returns an error wrapping ErrUnsafeProbe unless the probe is safe.
func (p Probe) Check() error {
	safe := SafeX86_64
	switch p.Entry {
	case EntrySyscall:
		if p.Nr == nrUprobe {
			return nil
		}
	case EntryX32:
		if p.Nr >= X32SyscallBit {
			return fmt.Errorf("%w: x32 nr %#x already has the x32 bit", ErrUnsafeProbe, p.Nr)
		}
	case EntryInt80:
		safe = SafeI386
	default:
		return fmt.Errorf("%w: unknown entry %d", ErrUnsafeProbe, p.Entry)
	}
	if p.Nr >= NoSyscall && (p.Entry != EntrySyscall || p.Nr < X32SyscallBit || p.Nr >= 0x80000000) {
		return nil
	}
	for _, nr := range safe {
		if p.Nr == nr {
			return nil
		}
	}
	return fmt.Errorf("%w: %s nr %d", ErrUnsafeProbe, p.Entry, p.Nr)
}

// SIGSYS is Linux's SIGSYS, the signal of SECCOMP_RET_TRAP and of seccomp
// kills (package syscall lacks it on some platforms).
const SIGSYS = syscall.Signal(31)

// Kind is what happened to a probe.
type Kind uint8

const (
	// NotRun means the probe never ran (an earlier filter failed to
	// install and killed the thread, or the job ended early).
	NotRun Kind = iota
	// Returned means the syscall instruction returned Outcome.Ret: the call
	// ran (ALLOW, LOG), or was answered with an errno (ERRNO; TRACE and
	// USER_NOTIF without a tracer or listener give -ENOSYS).
	Returned
	// Trapped means SECCOMP_RET_TRAP: a SIGSYS whose siginfo is in
	// Outcome.Trap.
	Trapped
	// KilledThread means the probing thread died and its process lived
	// (SECCOMP_RET_KILL_THREAD with another thread alive).
	KilledThread
	// KilledProcess means the whole prober process died during the probe
	// (SECCOMP_RET_KILL_PROCESS or an unknown action): Outcome.Signal.
	KilledProcess
)

var kindNames = [...]string{"not run", "returned", "trapped", "killed thread", "killed process"}

// String returns the kind in words.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Sigsys is the seccomp part of the SIGSYS siginfo (si_code SYS_SECCOMP = 1).
type Sigsys struct {
	Signo    int32
	Errno    int32 // the TRAP's data
	Code     int32
	Syscall  int32  // si_syscall, the nr as the filter saw it
	Arch     uint32 // si_arch
	CallAddr uint64 // si_call_addr, the address after the syscall instruction
}

// Outcome is what the kernel did with one probe.
type Outcome struct {
	Kind   Kind
	Ret    int64          // Returned: the raw return value (-errno on error)
	Trap   Sigsys         // Trapped
	Signal syscall.Signal // KilledProcess: the fatal signal, 0 if it exited
	Exit   int            // KilledProcess: the exit status when Signal is 0
}

// String formats the outcome for test failures.
func (o Outcome) String() string {
	switch o.Kind {
	case Returned:
		if o.Ret < 0 && o.Ret >= -4095 {
			return fmt.Sprintf("returned -%d (%v)", -o.Ret, syscall.Errno(-o.Ret))
		}
		return fmt.Sprintf("returned %d", o.Ret)
	case Trapped:
		return fmt.Sprintf("trapped (si_errno %d, si_syscall %#x, si_arch %#x, si_code %d)",
			o.Trap.Errno, uint32(o.Trap.Syscall), o.Trap.Arch, o.Trap.Code)
	case KilledProcess:
		if o.Signal == 0 {
			return fmt.Sprintf("process exited %d", o.Exit)
		}
		return fmt.Sprintf("process killed by %v", o.Signal)
	}
	return o.Kind.String()
}

// Job is a fresh thread that installs Filters in order, each with
// seccomp(SECCOMP_SET_MODE_FILTER, 0) on that thread only, and then makes the
// Probes in order. Every filter but the last must let seccomp(2) through,
// or the later installs are judged by it.
type Job struct {
	Filters [][]bpf.RawInstruction
	Probes  []Probe
}

// ErrNotInstalled marks a filter whose install never returned (an earlier
// filter trapped or killed the seccomp call).
var ErrNotInstalled = errors.New("kernelprobe: filter install did not complete")

// Result is what the kernel did with a Job.
type Result struct {
	// Install holds, per filter, nil if the kernel accepted it, the
	// syscall.Errno it failed with (EINVAL for a bad program, ENOMEM over
	// the path budget), or ErrNotInstalled.
	Install  []error
	Outcomes []Outcome // one per probe
}

// Accepted reports whether every filter of the job was installed.
func (r Result) Accepted() bool {
	for _, err := range r.Install {
		if err != nil {
			return false
		}
	}
	return true
}

// notAttempted is the install slot's initial value; the kernel returns 0 or
// a negative errno.
const notAttempted = 1 << 62

func installErr(ret int64) error {
	switch {
	case ret == 0:
		return nil
	case ret == notAttempted:
		return ErrNotInstalled
	case ret < 0 && ret >= -4095:
		return syscall.Errno(-ret)
	}
	return fmt.Errorf("kernelprobe: seccomp returned %d", ret)
}
