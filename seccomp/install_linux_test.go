package seccomp

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

func init() {
	children["program-errno"] = childProgramErrno
	children["program-listener"] = childProgramListener
}

// childProgramErrno: getppid → ERRNO(n) for the n in $ERRNO.
func childProgramErrno() {
	n, _ := strconv.Atoi(os.Getenv("ERRNO"))
	fd, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(uint16(n))}))
	if err != nil {
		fail("InstallProgram: %v", err)
	}
	if fd != -1 {
		fail("listener fd %d without NewListener", fd)
	}
	r, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("getppid r=%d errno=%d\n", int(r), int(e))
	_, e = rawCall(unix.SYS_GETPID)
	fmt.Printf("getpid errno=%d\n", int(e))
}

func TestInstallProgramErrno(t *testing.T) {
	for _, n := range []int{1, 13, 95, 4000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			out := mustChild(t, "program-errno", "ERRNO="+strconv.Itoa(n))
			if !hasLine(out, fmt.Sprintf("getppid r=%d errno=%d", -1, n)) || !hasLine(out, "getpid errno=0") {
				t.Fatalf("want getppid to fail with errno %d and getpid to work, got:\n%s", n, out)
			}
		})
	}
}

// childProgramListener: getppid → USER_NOTIF with a listener; a locked
// thread calls getppid, this goroutine receives the notification and
// answers -EPERM... by hand, so the test does not depend on seccomp/notify.
func childProgramListener() {
	fd, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: 0x7fc00000}), WithFlags(NewListener))
	if err != nil {
		fail("InstallProgram: %v", err)
	}
	flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil {
		fail("fcntl: %v", err)
	}
	link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	fmt.Printf("listener cloexec=%v link=%s\n", flags&unix.FD_CLOEXEC != 0, link)

	type res struct {
		r   int
		e   unix.Errno
		tid int
	}
	got := make(chan res, 1)
	tidc := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		tidc <- unix.Gettid()
		r, e := rawCall(unix.SYS_GETPPID)
		got <- res{int(r), e, 0}
	}()
	tid := <-tidc
	var notif [80]byte // struct seccomp_notif, zeroed as NOTIF_RECV demands
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&notif))); e != 0 {
		fail("NOTIF_RECV: %v", e)
	}
	id := binary.NativeEndian.Uint64(notif[0:])
	pid := binary.NativeEndian.Uint32(notif[8:])
	nr := binary.NativeEndian.Uint32(notif[16:])
	fmt.Printf("notif pid-is-tid=%v nr=%d\n", int(pid) == tid, nr)
	var resp [24]byte // struct seccomp_notif_resp
	binary.NativeEndian.PutUint64(resp[0:], id)
	eperm := -int32(unix.EPERM)
	binary.NativeEndian.PutUint32(resp[16:], uint32(eperm))
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp))); e != 0 {
		fail("NOTIF_SEND: %v", e)
	}
	r := <-got
	fmt.Printf("getppid r=%d errno=%d\n", r.r, int(r.e))
}

func TestInstallProgramNewListener(t *testing.T) {
	out := mustChild(t, "program-listener")
	for _, want := range []string{
		"listener cloexec=true link=anon_inode:seccomp notify",
		fmt.Sprintf("notif pid-is-tid=true nr=%d", unix.SYS_GETPPID),
		fmt.Sprintf("getppid r=-1 errno=%d", int(unix.EPERM)),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}
