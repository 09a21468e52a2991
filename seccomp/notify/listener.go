package notify

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// MaxErrno is the largest errno a supervisor can answer with: the kernel
// treats larger "negative" return values as valid results (MAX_ERRNO).
const MaxErrno = 4095

// Flags are listener flags for SetFlags (SECCOMP_IOCTL_NOTIF_SET_FLAGS).
type Flags uint64

// SyncWakeUp (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6) asks the
// kernel to wake the supervisor, and the target after the answer, on the
// current CPU (wake_up_poll_on_current_cpu), for supervisors and targets
// that take turns, which shortens the round trip of a one-at-a-time
// supervisor (BenchmarkReceiveRespond measures it).
const SyncWakeUp Flags = 1

// AddFDOptions says how AddFD installs a file descriptor in the target
// (struct seccomp_notif_addfd).
type AddFDOptions struct {
	// SetFD installs the file at TargetFD (SECCOMP_ADDFD_FLAG_SETFD),
	// replacing what is open there as dup2 does. Without it the target gets
	// its lowest free fd number.
	SetFD    bool
	TargetFD int
	// Send answers the notification in the same step, with the new fd number
	// as the call's return value (SECCOMP_ADDFD_FLAG_SEND, Linux 5.14).
	// Without it the fd is installed and the notification stays pending; the
	// supervisor still has to Respond. Send is the only way to give the
	// target an fd for a call such as open(2) without a window in which it
	// has the fd but not the answer.
	Send bool
	// CloseOnExec sets O_CLOEXEC on the new fd in the target.
	CloseOnExec bool
}

// Listener is a seccomp user-notification listener: the fd a filter
// installed with SECCOMP_FILTER_FLAG_NEW_LISTENER returns. Its methods are
// safe for concurrent use: many goroutines may answer while one receives.
type Listener struct {
	file    *os.File
	raw     syscall.RawConn
	bufSize int           // bytes the kernel writes on receive (SECCOMP_GET_NOTIF_SIZES)
	recv    chan struct{} // held by the one goroutine inside Receive
	closed  atomic.Bool
}

// NewListener wraps a listener fd, for example the one seccomp.InstallProgram
// returns with the NewListener flag, or one received with ReceiveFD.
//
// It first checks that fd is a seccomp listener (an "anon_inode:seccomp
// notify"); if not, it returns an error and leaves fd alone. Otherwise the
// Listener owns fd from then on, even if NewListener fails later: it puts the
// fd in non-blocking mode (which the notify ioctls ignore) and registers it
// with the Go runtime's poller, so that a Receive waiting for a notification
// parks a goroutine, not an OS thread, and can be cancelled.
func NewListener(fd int) (*Listener, error) {
	if err := checkListenerFD(fd); err != nil {
		return nil, err
	}
	if err := setNonblock(fd); err != nil {
		return nil, fmt.Errorf("notify: listener fd %d: set non-blocking: %w", fd, err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-notify")
	raw, err := f.SyscallConn()
	if err == nil {
		// SetReadDeadline fails with os.ErrNoDeadline when the runtime
		// poller did not take the fd; Receive could then not be cancelled.
		err = f.SetReadDeadline(time.Time{})
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("notify: listener fd %d: runtime poller: %w", fd, err)
	}
	return &Listener{
		file:    f,
		raw:     raw,
		bufSize: max(notifSize(), sizeofNotif),
		recv:    make(chan struct{}, 1),
	}, nil
}

// FD returns the listener's file descriptor, to pass it to another process
// (SendFD) or to poll it. It stays valid until Close.
func (l *Listener) FD() int { return int(l.file.Fd()) }

// Close closes the listener. The kernel answers every notification still
// pending with ENOSYS, and so it answers every later USER_NOTIF call of the
// filter (once no other process holds a copy of the fd). A Receive blocked
// in another goroutine returns an error wrapping os.ErrClosed.
func (l *Listener) Close() error {
	l.closed.Store(true)
	return l.file.Close()
}

// aLongTimeAgo is a deadline in the past, which wakes a goroutine parked in
// the poller at once.
var aLongTimeAgo = time.Unix(1, 0)

// Receive waits for the next notification and returns it. It returns
// ctx.Err() when ctx is done first, an error wrapping ErrHangup when every
// task using the filter has exited, and one wrapping os.ErrClosed after
// Close. Concurrent calls are served one at a time.
//
// Receive polls the listener through the runtime poller and issues
// SECCOMP_IOCTL_NOTIF_RECV only when a notification is waiting, because the
// ioctl blocks until one arrives, ignoring O_NONBLOCK, and nothing but a
// signal wakes it, so a context could not cancel it. The receive buffer is
// zeroed each time (the kernel's check_zeroed_user rejects anything else)
// and sized by SECCOMP_GET_NOTIF_SIZES, so a kernel with a larger struct
// seccomp_notif still works. A notification withdrawn between the poll and
// the ioctl (its target was signalled) is skipped.
//
// Receive assumes this Listener is the only receiver: if another process
// receives from a copy of the fd, it can take the notification between the
// poll and the ioctl, and Receive then blocks in the ioctl regardless of
// ctx until the next one arrives.
func (l *Listener) Receive(ctx context.Context) (*Notif, error) {
	select {
	case l.recv <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.recv }()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	woken := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		l.file.SetReadDeadline(aLongTimeAgo)
		close(woken)
	})
	defer func() {
		if !stop() {
			// The wake-up ran: wait for it, then clear the deadline so that
			// the next Receive is not woken by it.
			<-woken
			l.file.SetReadDeadline(time.Time{})
		}
	}()

	buf := make([]byte, l.bufSize)
	var (
		n     Notif
		opErr error
	)
	err := l.raw.Read(func(fd uintptr) bool {
		for {
			ready, hup, err := pollListener(fd)
			if err != nil {
				opErr = err
				return true
			}
			if !ready {
				if hup {
					opErr = ErrHangup
					return true
				}
				return false // park in the poller until the fd is readable
			}
			clear(buf)
			switch err := ioctlRecv(fd, buf); err {
			case nil:
				n, opErr = decodeNotif(buf)
				return true
			case syscall.ENOENT:
				// The target was interrupted after the poll: the notification
				// is gone (seccomp_notify_recv). Look again.
				continue
			default:
				opErr = err
				return true
			}
		}
	})
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case l.closed.Load():
			return nil, &Error{Op: "receive", Err: os.ErrClosed}
		}
		return nil, &Error{Op: "receive", Err: err}
	}
	if opErr != nil {
		return nil, &Error{Op: "receive", Err: opErr}
	}
	return &n, nil
}

// control runs fn on the listener's fd, keeping the fd from being closed
// and reused meanwhile.
func (l *Listener) control(op string, id uint64, fn func(fd uintptr) error) error {
	var opErr error
	if err := l.raw.Control(func(fd uintptr) { opErr = fn(fd) }); err != nil {
		if l.closed.Load() {
			err = os.ErrClosed
		}
		return &Error{Op: op, ID: id, Err: err}
	}
	if opErr != nil {
		return &Error{Op: op, ID: id, Err: opErr}
	}
	return nil
}

// Respond answers notification id: the target's call returns val. A val in
// -4095..-1 lands in the return register like any other and so reads as an
// errno to the target; use RespondErrno for errors.
func (l *Listener) Respond(id uint64, val int64) error {
	return l.control("respond", id, func(fd uintptr) error {
		return ioctlSend(fd, &notifResp{ID: id, Val: val})
	})
}

// RespondErrno answers notification id: the target's call fails with errno,
// which must be in 1..MaxErrno. (The kernel wants it negated in the
// response's error field; a positive value there would come back to the
// target as a successful return value.) A Go target reads MaxErrno itself
// as the return value -4095: Go's syscall stubs count only -4094..-1 as
// errors.
func (l *Listener) RespondErrno(id uint64, errno syscall.Errno) error {
	if errno == 0 || errno > MaxErrno {
		return &Error{Op: "respond", ID: id, Err: fmt.Errorf("errno %d is not in 1..%d: %w", uint64(errno), MaxErrno, os.ErrInvalid)}
	}
	return l.control("respond", id, func(fd uintptr) error {
		return ioctlSend(fd, &notifResp{ID: id, Error: -int32(errno)})
	})
}

// Continue answers notification id by letting the target's call run
// (SECCOMP_USER_NOTIF_FLAG_CONTINUE, Linux 5.5).
//
// Never use Continue as the outcome of a security decision about pointer
// arguments: the target (or another thread sharing its memory) can change
// what a pointer points to between the supervisor's read and the kernel's,
// so the call that runs is not necessarily the call that was checked. It is
// safe only for decisions on the register arguments in Data, or when the
// supervisor lets the call through regardless.
func (l *Listener) Continue(id uint64) error {
	return l.control("continue", id, func(fd uintptr) error {
		return ioctlSend(fd, &notifResp{ID: id, Flags: flagContinue})
	})
}

// IDValid reports whether notification id is still pending: nil if it is,
// an error wrapping ErrGone if its target has been killed or interrupted or
// it has been answered (SECCOMP_IOCTL_NOTIF_ID_VALID).
func (l *Listener) IDValid(id uint64) error {
	return l.control("id-valid", id, func(fd uintptr) error {
		return ioctlIDValid(fd, id)
	})
}

// AddFD installs a copy of the supervisor's fd in the target of
// notification id (SECCOMP_IOCTL_NOTIF_ADDFD, Linux 5.9) and returns the fd
// number the target got. With o.Send it also answers the notification with
// that number.
func (l *Listener) AddFD(id uint64, fd int, o AddFDOptions) (int, error) {
	if fd < 0 || (o.SetFD && o.TargetFD < 0) {
		return -1, &Error{Op: "addfd", ID: id, Err: fmt.Errorf("fd %d, target fd %d: %w", fd, o.TargetFD, os.ErrInvalid)}
	}
	a := notifAddFD{ID: id, SrcFD: uint32(fd)}
	if o.SetFD {
		a.Flags |= addFDSetFD
		a.NewFD = uint32(o.TargetFD)
	}
	if o.Send {
		a.Flags |= addFDSend
	}
	if o.CloseOnExec {
		a.NewFDFlags = oCloexec
	}
	remote := -1
	err := l.control("addfd", id, func(lfd uintptr) error {
		var err error
		remote, err = ioctlAddFD(lfd, &a)
		return err
	})
	return remote, err
}

// SetFlags sets listener flags (SECCOMP_IOCTL_NOTIF_SET_FLAGS, Linux 6.6).
// SyncWakeUp is the only flag; older kernels fail with ENOTTY or EINVAL.
func (l *Listener) SetFlags(f Flags) error {
	return l.control("set-flags", 0, func(fd uintptr) error {
		return ioctlSetFlags(fd, uint64(f))
	})
}

// The kernel's structs and flags (include/uapi/linux/seccomp.h). Their
// layout is the same on every Linux ABI: naturally aligned, no padding.
type notifResp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

type notifAddFD struct {
	ID         uint64
	Flags      uint32
	SrcFD      uint32
	NewFD      uint32
	NewFDFlags uint32
}

const (
	flagContinue = 1 // SECCOMP_USER_NOTIF_FLAG_CONTINUE
	addFDSetFD   = 1 // SECCOMP_ADDFD_FLAG_SETFD
	addFDSend    = 2 // SECCOMP_ADDFD_FLAG_SEND
)
