package listenerfd

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const childEnv = "LISTENERFD_TEST_CHILD"

// TestMain runs the child of TestFindListener: it loads an allow-all
// filter with a listener and checks that Find and Wait return that fd.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

func child() int {
	runtime.LockOSThread()
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		fmt.Println(err)
		return 2
	}
	prog := []unix.SockFilter{{Code: unix.BPF_RET | unix.BPF_K, K: unix.SECCOMP_RET_ALLOW}}
	fprog := unix.SockFprog{Len: 1, Filter: &prog[0]}
	r1, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER,
		unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		fmt.Println("seccomp:", errno)
		return 2
	}
	fd, err := Find()
	if err != nil || fd != int(r1) {
		fmt.Printf("Find = %d, %v; the listener is %d\n", fd, err, r1)
		return 1
	}
	if fd, err := Wait(time.Second); err != nil || fd != int(r1) {
		fmt.Printf("Wait = %d, %v; the listener is %d\n", fd, err, r1)
		return 1
	}
	return 0
}

func TestFindListener(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
}

func TestFindNone(t *testing.T) {
	r, w, err := os.Pipe() // an open fd that is not a listener
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if fd != -1 {
		t.Fatalf("Find = %d in a process with no seccomp listener", fd)
	}
	if _, err := Wait(time.Millisecond); err != ErrTimeout {
		t.Fatalf("Wait = %v, want ErrTimeout", err)
	}
}
