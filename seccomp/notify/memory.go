package notify

import (
	"bytes"
	"fmt"
	"os"
	"syscall"
)

// ReadMemory fills buf from the memory of n's target at addr, for pointer
// arguments. It reads with process_vm_readv(2) (falling back to
// /proc/PID/mem on kernels without it), then checks that n is still pending,
// as seccomp_unotify(2) requires: n.Pid may name an unrelated thread that
// reused the number after the target died, and only a notification still
// pending after the read proves the bytes are the target's. If it is not,
// ReadMemory returns an error wrapping ErrGone and buf must not be used.
//
// An unreadable range gives an error wrapping EFAULT (or EIO from
// /proc/PID/mem), which a handler can pass on as the call's errno.
//
// The target can change its memory after the read; act on the copy.
func (l *Listener) ReadMemory(n *Notif, addr uint64, buf []byte) error {
	if err := checkPid(n); err != nil {
		return err
	}
	err := readRemote(int(n.Pid), addr, buf)
	if verr := l.IDValid(n.ID); verr != nil {
		return verr
	}
	if err != nil {
		return &Error{Op: "read-memory", ID: n.ID, Err: fmt.Errorf("%d bytes at %#x in tid %d: %w", len(buf), addr, n.Pid, err)}
	}
	return nil
}

// ReadString reads a NUL-terminated string of at most max bytes, the NUL
// included, from the memory of n's target at addr (max <= 0 means 4096,
// PATH_MAX). It reads page by page, so a short string that ends just before
// an unmapped page is read, as the kernel's strncpy_from_user would. A
// string with no NUL within max bytes gives an error wrapping ENAMETOOLONG.
// Like ReadMemory it re-checks that n is still pending.
func (l *Listener) ReadString(n *Notif, addr uint64, max int) (string, error) {
	if max <= 0 {
		max = 4096
	}
	if err := checkPid(n); err != nil {
		return "", err
	}
	page := uint64(os.Getpagesize())
	var out []byte
	var err error
	for a := addr; len(out) < max; {
		chunk := min(page-a%page, uint64(max-len(out)))
		b := make([]byte, chunk)
		if err = readRemote(int(n.Pid), a, b); err != nil {
			break
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			out = append(out, b[:i]...)
			break
		}
		out = append(out, b...)
		a += chunk
		if len(out) >= max {
			err = syscall.ENAMETOOLONG
		}
	}
	if verr := l.IDValid(n.ID); verr != nil {
		return "", verr
	}
	if err != nil {
		return "", &Error{Op: "read-memory", ID: n.ID, Err: fmt.Errorf("string at %#x in tid %d: %w", addr, n.Pid, err)}
	}
	return string(out), nil
}

func checkPid(n *Notif) error {
	if n.Pid == 0 {
		return &Error{Op: "read-memory", ID: n.ID, Err: fmt.Errorf("target is not visible in this PID namespace: %w", syscall.ESRCH)}
	}
	return nil
}
