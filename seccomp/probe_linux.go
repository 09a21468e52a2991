package seccomp

import (
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/compiler"
)

var actionCache sync.Map // compiler.ActionKind → bool

// ActionAvailable reports whether the running kernel knows the action's
// kind, asking seccomp(SECCOMP_GET_ACTION_AVAIL) (Linux 4.14) with the
// kind's exact SECCOMP_RET_* value; the data bits do not matter. On older
// kernels, where that operation itself is EINVAL, the actions of Linux 3.5
// (KILL_THREAD, TRAP, ERRNO, TRACE, ALLOW) are reported available and the
// later ones (KILL_PROCESS, LOG, USER_NOTIF) not.
func ActionAvailable(a compiler.Action) (bool, error) {
	if a.Kind < compiler.KindKillProcess || a.Kind > compiler.KindAllow {
		return false, &Error{Op: "ActionAvailable", Err: unix.EINVAL, Hint: "not an action: " + a.String()}
	}
	if v, ok := actionCache.Load(a.Kind); ok {
		return v.(bool), nil
	}
	ret := compiler.Action{Kind: a.Kind}.Ret() & compiler.RetActionFull
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_ACTION_AVAIL, 0, uintptr(unsafe.Pointer(&ret)))
	var ok bool
	switch errno {
	case 0:
		ok = true
	case unix.EOPNOTSUPP:
		ok = false
	case unix.EINVAL:
		// Before 4.14 the operation does not exist.
		switch a.Kind {
		case compiler.KindKillThread, compiler.KindTrap, compiler.KindErrno, compiler.KindTrace, compiler.KindAllow:
			ok = true
		}
	case unix.ENOSYS:
		ok = false
	default:
		return false, &Error{Op: "seccomp(SECCOMP_GET_ACTION_AVAIL)", Err: errno}
	}
	actionCache.Store(a.Kind, ok)
	return ok, nil
}

// Supported returns nil if the kernel can load seccomp filters from this
// thread with seccomp(2), and otherwise an error saying why: no seccomp(2)
// at all (ENOSYS: before Linux 3.17, or CONFIG_SECCOMP off), or filter mode
// refused (EINVAL: CONFIG_SECCOMP_FILTER off, or the thread is in strict
// mode). It loads nothing: it passes a NULL program, which a kernel that
// would accept a filter answers with EFAULT.
func Supported() error {
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, 0, 0)
	switch errno {
	case unix.EFAULT:
		return nil
	case unix.ENOSYS:
		return &Error{Op: "seccomp(2)", Err: errno, Hint: "the kernel has no seccomp(2): Linux before 3.17 or CONFIG_SECCOMP off"}
	case unix.EINVAL:
		return &Error{Op: "seccomp(SECCOMP_SET_MODE_FILTER)", Err: errno, Hint: "CONFIG_SECCOMP_FILTER off, or this thread is in strict mode"}
	default:
		return &Error{Op: "seccomp(SECCOMP_SET_MODE_FILTER) probe", Err: errno}
	}
}

// NotifSizes asks the kernel for the notification structure sizes
// (seccomp(SECCOMP_GET_NOTIF_SIZES), Linux 5.0); 6.18 answers {80, 24, 64}.
// A supervisor uses them to size its buffers for kernels whose structures
// grew.
func NotifSizes() (Sizes, error) {
	var s Sizes
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_NOTIF_SIZES, 0, uintptr(unsafe.Pointer(&s)))
	if errno != 0 {
		e := &Error{Op: "seccomp(SECCOMP_GET_NOTIF_SIZES)", Err: errno}
		if errno == unix.EINVAL {
			e.Hint = "user notification needs Linux 5.0"
		}
		return Sizes{}, e
	}
	return s, nil
}
