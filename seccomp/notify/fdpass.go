package notify

import (
	"errors"
	"fmt"
	"io"
	"net"
)

// ErrNoFD reports a unix-socket message that carried no file descriptor
// where one was expected.
var ErrNoFD = errors.New("no file descriptor in the message")

// SendFD sends fd over a unix socket with SCM_RIGHTS, carried by msg; the
// receiver gets its own copy of the fd. A stream socket delivers ancillary
// data only with at least one byte of data, so an empty msg sends a single
// zero byte. Use it to hand a listener to a supervisor process:
// SendFD(conn, l.FD(), nil), or the fd seccomp.InstallProgram returned.
func SendFD(conn *net.UnixConn, fd int, msg []byte) error {
	if err := sendFDs(conn, msg, fd); err != nil {
		return fmt.Errorf("notify: send fd %d: %w", fd, err)
	}
	return nil
}

func sendFDs(conn *net.UnixConn, msg []byte, fds ...int) error {
	oob, err := unixRights(fds...)
	if err != nil {
		return err
	}
	if len(msg) == 0 {
		msg = []byte{0}
	}
	n, _, err := conn.WriteMsgUnix(msg, oob, nil)
	if err != nil {
		return err
	}
	// sendmsg on a stream socket may take part of the data; the fds went
	// with the first byte.
	if n < len(msg) {
		_, err = conn.Write(msg[n:])
	}
	return err
}

// ReceiveFD receives a message sent with SendFD (or any SCM_RIGHTS message)
// into buf and returns the fd it carried, close-on-exec, and the number of
// bytes read. If the message carried several fds, the first is returned and
// the others are closed; if it carried none, the error wraps ErrNoFD. buf
// may be nil when the data does not matter.
func ReceiveFD(conn *net.UnixConn, buf []byte) (fd, n int, err error) {
	if len(buf) == 0 {
		buf = make([]byte, 1)
	}
	n, fds, err := receiveFDs(conn, buf)
	if err != nil {
		return -1, n, fmt.Errorf("notify: receive fd: %w", err)
	}
	if len(fds) == 0 {
		if n == 0 {
			return -1, 0, fmt.Errorf("notify: receive fd: %w", io.EOF)
		}
		return -1, n, fmt.Errorf("notify: receive fd: message of %d bytes: %w", n, ErrNoFD)
	}
	for _, extra := range fds[1:] {
		closeFD(extra)
	}
	return fds[0], n, nil
}
