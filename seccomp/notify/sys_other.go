//go:build !linux

package notify

import (
	"fmt"
	"net"
)

const oCloexec = 0

func checkListenerFD(fd int) error {
	return fmt.Errorf("notify: seccomp user notification needs Linux: %w", ErrUnsupported)
}

func notifSize() int { return 0 }

func pollListener(fd uintptr) (ready, hup bool, err error) { return false, false, ErrUnsupported }

func ioctlRecv(fd uintptr, buf []byte) error { return ErrUnsupported }

func ioctlSend(fd uintptr, r *notifResp) error { return ErrUnsupported }

func ioctlIDValid(fd uintptr, id uint64) error { return ErrUnsupported }

func ioctlAddFD(fd uintptr, a *notifAddFD) (int, error) { return -1, ErrUnsupported }

func ioctlSetFlags(fd uintptr, flags uint64) error { return ErrUnsupported }

func readRemote(pid int, addr uint64, buf []byte) error { return ErrUnsupported }

func closeFD(fd int) {}

func unixRights(fds ...int) ([]byte, error) { return nil, ErrUnsupported }

func receiveFDs(conn *net.UnixConn, buf []byte) (int, []int, error) { return 0, nil, ErrUnsupported }

func setNonblock(fd int) error { return ErrUnsupported }
