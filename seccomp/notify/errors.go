package notify

import (
	"errors"
	"fmt"
	"syscall"
)

var (
	// ErrGone reports that a notification is no longer pending: its target
	// was killed, or a signal interrupted the call (which the kernel then
	// restarts as a new notification), or it has already been answered. The
	// kernel says ENOENT; errors.Is(err, syscall.ENOENT) holds as well.
	ErrGone = errors.New("notification no longer pending")

	// ErrHangup reports that no task uses the filter any more (the listener
	// polls EPOLLHUP): every target has exited, so no notification will
	// ever arrive.
	ErrHangup = errors.New("listener hung up: no task uses the filter any more")

	// ErrUnsupported is returned on systems without seccomp user
	// notification. It is errors.ErrUnsupported.
	ErrUnsupported = errors.ErrUnsupported
)

// Error is the error of a listener operation: which operation, on which
// notification, and the cause (usually a syscall.Errno from the kernel).
type Error struct {
	Op  string // "receive", "respond", "continue", "id-valid", "addfd", "set-flags", "read-memory"
	ID  uint64 // the notification's ID; 0 for operations on the whole listener
	Err error
}

func (e *Error) Error() string {
	s := "notify: " + e.Op
	if e.ID != 0 {
		s += fmt.Sprintf(" (id %#x)", e.ID)
	}
	s += ": " + e.Err.Error()
	if e.isGone() {
		s += " (" + ErrGone.Error() + ")"
	}
	return s
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes an ENOENT from an operation on one notification match ErrGone:
// the kernel's find_notification fails once the target has gone away.
func (e *Error) Is(target error) bool { return target == ErrGone && e.isGone() }

func (e *Error) isGone() bool {
	return e.ID != 0 && errors.Is(e.Err, syscall.ENOENT)
}

// PanicError is what Serve reports to ServeOptions.OnError when a handler
// panics.
type PanicError struct {
	Value any    // the value passed to panic
	Stack []byte // the handler's stack at the panic
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("notify: handler panicked: %v", e.Value)
}
