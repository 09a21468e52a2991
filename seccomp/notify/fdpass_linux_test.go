//go:build linux

package notify_test

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/seccomp/notify"
)

// socketPair returns two connected unix stream sockets.
func socketPair(t *testing.T) (a, b *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "socketpair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*net.UnixConn)
	}
	return conn(fds[0]), conn(fds[1])
}

// openFDs counts this process's open fds.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestSendReceiveFD passes a pipe's write end over a socket and writes
// through the copy that arrives.
func TestSendReceiveFD(t *testing.T) {
	a, b := socketPair(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	for _, tc := range []struct {
		name string
		msg  []byte
		want string
	}{
		{"with data", []byte("hi"), "hi"},
		{"without data", nil, "\x00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := notify.SendFD(a, int(w.Fd()), tc.msg); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 16)
			fd, n, err := notify.ReceiveFD(b, buf)
			if err != nil {
				t.Fatal(err)
			}
			defer unix.Close(fd)
			if string(buf[:n]) != tc.want {
				t.Errorf("data = %q, want %q", buf[:n], tc.want)
			}
			if fd == int(w.Fd()) {
				t.Errorf("received fd %d is the sent one, not a copy", fd)
			}
			flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
			if err != nil || flags&unix.FD_CLOEXEC == 0 {
				t.Errorf("received fd flags %#x, %v: want close-on-exec", flags, err)
			}
			if _, err := unix.Write(fd, []byte(tc.name)); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(tc.name))
			if _, err := io.ReadFull(r, got); err != nil || string(got) != tc.name {
				t.Errorf("pipe read %q, %v; want %q", got, err, tc.name)
			}
		})
	}

	t.Run("several fds", func(t *testing.T) {
		before := openFDs(t)
		if err := unix.Sendmsg(sysfd(t, a), []byte("x"), unix.UnixRights(int(w.Fd()), int(r.Fd()), int(w.Fd())), nil, 0); err != nil {
			t.Fatal(err)
		}
		fd, _, err := notify.ReceiveFD(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if after := openFDs(t); after != before+1 {
			t.Errorf("open fds went from %d to %d, want one more: the extra fds were not closed", before, after)
		}
		unix.Close(fd)
	})
	t.Run("no fd", func(t *testing.T) {
		if _, err := a.Write([]byte("plain")); err != nil {
			t.Fatal(err)
		}
		if _, _, err := notify.ReceiveFD(b, make([]byte, 16)); !errors.Is(err, notify.ErrNoFD) {
			t.Errorf("ReceiveFD = %v, want ErrNoFD", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		a.CloseWrite()
		if _, _, err := notify.ReceiveFD(b, nil); !errors.Is(err, io.EOF) {
			t.Errorf("ReceiveFD = %v, want io.EOF", err)
		}
	})
	w.Close()
}

func sysfd(t *testing.T, c *net.UnixConn) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}
