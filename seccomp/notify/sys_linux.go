//go:build linux

package notify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const oCloexec = unix.O_CLOEXEC

// listenerName is what /proc/self/fd/N links to for a listener: the kernel
// creates it with anon_inode_getfile("seccomp notify", ...)
// (init_listener).
const listenerName = "anon_inode:seccomp notify"

func checkListenerFD(fd int) error {
	if fd < 0 {
		return fmt.Errorf("notify: fd %d: %w", fd, os.ErrInvalid)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
		return fmt.Errorf("notify: fd %d: %w", fd, err)
	}
	link, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil {
		// Without /proc we cannot tell; the first ioctl will.
		return nil
	}
	if link != listenerName {
		return fmt.Errorf("notify: fd %d is %q, not a seccomp listener (%q): %w", fd, link, listenerName, os.ErrInvalid)
	}
	return nil
}

// notifSize is sizeof(struct seccomp_notif) as the running kernel reports
// it, or 0 if it cannot.
var notifSize = sync.OnceValue(func() int {
	var sizes struct{ Notif, Resp, Data uint16 } // struct seccomp_notif_sizes
	_, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_GET_NOTIF_SIZES, 0, uintptr(unsafe.Pointer(&sizes)))
	if e != 0 {
		return 0
	}
	return int(sizes.Notif)
})

func pollListener(fd uintptr) (ready, hup bool, err error) {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err = unix.Poll(p, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return false, false, err
	}
	if p[0].Revents&unix.POLLNVAL != 0 {
		return false, false, unix.EBADF
	}
	return p[0].Revents&unix.POLLIN != 0, p[0].Revents&unix.POLLHUP != 0, nil
}

// The ioctls retry EINTR: Go's preemption signal (SIGURG) can interrupt a
// thread in any of them, and those that wait (ADDFD with SEND waits for the
// target to install the fd) do so interruptibly.

func ioctlRecv(fd uintptr, buf []byte) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&buf[0])))
		if e == unix.EINTR {
			continue
		}
		return errnoErr(e)
	}
}

func ioctlSend(fd uintptr, r *notifResp) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(r)))
		if e == unix.EINTR {
			continue
		}
		return errnoErr(e)
	}
}

func ioctlIDValid(fd uintptr, id uint64) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
		if e == unix.EINTR {
			continue
		}
		return errnoErr(e)
	}
}

func ioctlAddFD(fd uintptr, a *notifAddFD) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.SECCOMP_IOCTL_NOTIF_ADDFD, uintptr(unsafe.Pointer(a)))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// ioctlSetFlags passes the flags as the ioctl's argument itself, not a
// pointer to them (seccomp_notify_set_flags takes unsigned long flags).
func ioctlSetFlags(fd uintptr, flags uint64) error {
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, unix.SECCOMP_IOCTL_NOTIF_SET_FLAGS, uintptr(flags))
		if e == unix.EINTR {
			continue
		}
		return errnoErr(e)
	}
}

func errnoErr(e syscall.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// readRemote fills buf from pid's memory at addr.
func readRemote(pid int, addr uint64, buf []byte) error {
	for len(buf) > 0 {
		if uint64(uintptr(addr)) != addr || addr+uint64(len(buf)) < addr {
			return unix.EFAULT
		}
		local := []unix.Iovec{{Base: &buf[0]}}
		local[0].SetLen(len(buf))
		remote := []unix.RemoteIovec{{Base: uintptr(addr), Len: len(buf)}}
		n, err := unix.ProcessVMReadv(pid, local, remote, 0)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.ENOSYS:
			// A kernel without CONFIG_CROSS_MEMORY_ATTACH.
			return readProcMem(pid, addr, buf)
		case err != nil:
			return err
		case n == 0:
			return unix.EFAULT
		}
		// A partial read stops at an unreadable page; the next round
		// reports its EFAULT.
		buf = buf[n:]
		addr += uint64(n)
	}
	return nil
}

func readProcMem(pid int, addr uint64, buf []byte) error {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/mem")
	if err != nil {
		return err
	}
	defer f.Close()
	// /proc/PID/mem takes the address as the file offset, and offsets are
	// signed: the upper half of the address space is out of reach.
	if int64(addr) < 0 {
		return unix.EFAULT
	}
	_, err = f.ReadAt(buf, int64(addr))
	return err
}

func closeFD(fd int) { unix.Close(fd) }

func unixRights(fds ...int) ([]byte, error) { return unix.UnixRights(fds...), nil }

// maxRecvFDs bounds the fds one message may carry (SCM_MAX_FD is 253).
const maxRecvFDs = 253

// receiveFDs reads one message; the fds it carried are close-on-exec
// (net's ReadMsgUnix passes MSG_CMSG_CLOEXEC on Linux).
func receiveFDs(conn *net.UnixConn, buf []byte) (int, []int, error) {
	oob := make([]byte, unix.CmsgSpace(4*maxRecvFDs))
	n, oobn, flags, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return n, nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return n, nil, fmt.Errorf("ancillary data: %w", err)
	}
	var fds []int
	for i := range msgs {
		if msgs[i].Header.Level != unix.SOL_SOCKET || msgs[i].Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&msgs[i])
		if err != nil {
			continue
		}
		fds = append(fds, got...)
	}
	if flags&unix.MSG_CTRUNC != 0 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return n, nil, fmt.Errorf("ancillary data truncated (more than %d fds?)", maxRecvFDs)
	}
	return n, fds, nil
}

func setNonblock(fd int) error { return unix.SetNonblock(fd, true) }
