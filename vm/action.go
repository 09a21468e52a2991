package vm

import (
	"golang.org/x/net/bpf"
)

// SECCOMP_RET_* values this package needs; the compiler package owns the
// Action type and its names.
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retUserNotif   = 0x7fc00000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000

	retActionFull = 0xffff0000
	retData       = 0x0000ffff
	maxErrno      = 4095
)

// actionOnly is ACTION_ONLY in kernel/seccomp.c: the action bits as a
// signed value, the order in which stacked results compete.
func actionOnly(ret uint32) int32 { return int32(ret & retActionFull) }

// Stack combines the results of stacked filters the way seccomp_run_filters
// does: results are given newest filter first (the order the kernel runs
// them); the one with the lowest (s32)(ret & 0xffff0000) wins, and on a tie
// the earlier (newer) one wins, data included. The kernel starts from
// SECCOMP_RET_ALLOW with no data, so Stack() is 0x7fff0000 and ALLOW results
// carrying data come out as plain 0x7fff0000.
func Stack(results ...uint32) uint32 {
	ret := uint32(retAllow)
	for _, r := range results {
		if actionOnly(r) < actionOnly(ret) {
			ret = r
		}
	}
	return ret
}

// Effective maps a filter's return value to the value __seccomp_filter
// acts on, so that two results with the same effect compare equal:
//
//   - ERRNO data above MAX_ERRNO (4095) is clamped to 4095; the syscall
//     returns -data, and ERRNO|0 returns 0 without running the call.
//   - LOG, ALLOW and USER_NOTIF ignore their data: it is cleared.
//   - An unknown action is KILL_PROCESS (the kernel's default case), keeping
//     the data, which becomes si_errno of the SIGSYS.
//   - KILL_PROCESS, KILL_THREAD, TRAP and TRACE are returned unchanged (their
//     data is si_errno or the tracer's event message).
func Effective(ret uint32) uint32 {
	action, data := ret&retActionFull, ret&retData
	switch action {
	case retKillProcess, retKillThread, retTrap, retTrace:
		return ret
	case retErrno:
		return action | min(data, maxErrno)
	case retUserNotif, retLog, retAllow:
		return action
	}
	return retKillProcess | data
}

// MaxInsnsPerPath is MAX_INSNS_PER_PATH: the budget, in converted (eBPF)
// instructions, of the filters attached to one thread.
const MaxInsnsPerPath = 32768

// ConvertedLen returns the length of prog after bpf_convert_filter turns it
// into eBPF, the length the kernel charges against MaxInsnsPerPath:
//
//	3 (prologue: A = 0, X = 0, save ctx)
//	+ 2 for ret #k, 1 for ret a, 5 for div x (the zero check)
//	+ for a conditional jump: 1 more if it compares with a constant k whose
//	  bit 31 is set (k moves through a temporary register), plus 1 if jf is
//	  0, else 1 if jt is 0 and the op is jeq/jgt/jge (negated), else 2
//	+ 1 for every other instruction.
//
// The result is meaningful for programs that pass Verify. With JIT constant
// blinding (net.core.bpf_jit_harden) the kernel may charge more.
func ConvertedLen(prog []bpf.RawInstruction) int {
	n := 3
	for _, ins := range prog {
		switch {
		case ins.Op == opRetK:
			n += 2
		case ins.Op == clsALU|aluDIV|srcX || ins.Op == clsALU|aluMOD|srcX:
			n += 5
		case isCondJump(ins.Op):
			if ins.Op&srcX == 0 && int32(ins.K) < 0 {
				n++
			}
			switch {
			case ins.Jf == 0:
				n++
			case ins.Jt == 0 && ins.Op&0xf0 != jmpJSET:
				n++
			default:
				n += 2
			}
		default:
			n++
		}
	}
	return n
}

// PathLen returns what seccomp_attach_filter charges for a thread's chain of
// filters, given their converted lengths (ConvertedLen): the newest filter's
// length plus, for every older one, its length plus a penalty of 4. The
// attach fails with ENOMEM when the result exceeds MaxInsnsPerPath.
func PathLen(newest int, older ...int) int {
	total := newest
	for _, l := range older {
		total += l + 4
	}
	return total
}
