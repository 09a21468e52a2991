//go:build linux

package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/seccomp/notify"
)

// TestRespondValue: the value a supervisor responds with is what the
// target's call returns, and the notification describes the call.
func TestRespondValue(t *testing.T) {
	requireNotify(t)
	cases := []struct {
		name string
		val  int64
		want string
	}{
		{"zero", 0, "r=0 errno=0"},
		{"small", 42, "r=42 errno=0"},
		{"64-bit", 1 << 40, "r=1099511627776 errno=0"},
		// The syscall ABI reads -4095..-1 as an errno whatever field
		// carried it (syscall_set_return_value puts val in the register).
		{"errno-range value", -1, "r=-1 errno=1"},
		{"below errno range", -4096, "r=-4096 errno=0"},
	}
	c := startChild(t, "calls", "COUNT="+strconv.Itoa(len(cases)))
	seen := map[uint64]bool{}
	for i, tc := range cases {
		n := receive(t, c.l)
		t.Run(tc.name+"/notification", func(t *testing.T) {
			want := notify.Data{Nr: nrFake, Arch: arch.Native().AuditArch, Args: [6]uint64{uint64(i), 2, 3, 4, 5, 6}}
			got := n.Data
			got.InstructionPointer = 0
			if got != want {
				t.Errorf("data = %+v, want %+v", got, want)
			}
			if n.Data.InstructionPointer == 0 {
				t.Error("instruction pointer is 0")
			}
			if _, err := os.Stat(fmt.Sprintf("/proc/%d/task/%d", c.cmd.Process.Pid, n.Pid)); err != nil {
				t.Errorf("pid %d is not a thread of the child %d: %v", n.Pid, c.cmd.Process.Pid, err)
			}
			if seen[n.ID] {
				t.Errorf("id %#x seen twice", n.ID)
			}
			seen[n.ID] = true
			if err := c.l.IDValid(n.ID); err != nil {
				t.Errorf("IDValid before the answer: %v", err)
			}
		})
		if err := c.l.Respond(n.ID, tc.val); err != nil {
			t.Fatalf("Respond: %v", err)
		}
		// A second answer is refused: the kernel has the notification in
		// state REPLIED (EINPROGRESS) or has already dropped it (ENOENT).
		if err := c.l.Respond(n.ID, tc.val); err == nil {
			t.Errorf("%s: second Respond succeeded", tc.name)
		}
	}
	lines := c.wait(t)
	for i, tc := range cases {
		if i >= len(lines) || lines[i] != tc.want {
			t.Errorf("%s: child saw %q, want %q (all: %q)", tc.name, at(lines, i), tc.want, lines)
		}
	}
}

func at(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<missing>"
}

// TestRespondErrno: the target sees the errno; out-of-range errnos are
// refused before reaching the kernel and leave the notification pending.
func TestRespondErrno(t *testing.T) {
	requireNotify(t)
	errnos := []syscall.Errno{unix.EPERM, unix.ENOENT, unix.EXDEV, notify.MaxErrno}
	c := startChild(t, "calls", "COUNT="+strconv.Itoa(len(errnos)))
	for i, e := range errnos {
		n := receive(t, c.l)
		if i == 0 {
			for _, bad := range []syscall.Errno{0, notify.MaxErrno + 1} {
				err := c.l.RespondErrno(n.ID, bad)
				if !errors.Is(err, os.ErrInvalid) {
					t.Errorf("RespondErrno(%d) = %v, want an error wrapping os.ErrInvalid", bad, err)
				}
			}
			if err := c.l.IDValid(n.ID); err != nil {
				t.Errorf("notification not pending after refused answers: %v", err)
			}
		}
		if err := c.l.RespondErrno(n.ID, e); err != nil {
			t.Fatalf("RespondErrno(%d): %v", e, err)
		}
	}
	lines := c.wait(t)
	for i, e := range errnos {
		want := fmt.Sprintf("r=-1 errno=%d", e)
		if e == notify.MaxErrno {
			// The register holds -4095, but Go's syscall stubs count only
			// -4094..-1 as errors (CMPQ AX, $0xfffffffffffff001; JLS ok).
			want = "r=-4095 errno=0"
		}
		if at(lines, i) != want {
			t.Errorf("errno %d: child saw %q, want %q", e, at(lines, i), want)
		}
	}
}

// TestContinue: Continue lets the call run; getppid then returns the real
// parent, this test process.
func TestContinue(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "getppid")
	n := receive(t, c.l)
	if n.Data.Nr != unix.SYS_GETPPID {
		t.Errorf("nr = %d, want getppid (%d)", n.Data.Nr, unix.SYS_GETPPID)
	}
	if err := c.l.Continue(n.ID); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("r=%d errno=0", os.Getpid()); at(c.wait(t), 0) != want {
		t.Errorf("child saw %q, want %q", c.stdout.String(), want)
	}
}

// TestAddFD: the child writes through injected pipe ends and the parent
// reads what it wrote: AddFD+Send answers with the new fd; SetFD puts the fd
// at a chosen number, and the answer is separate.
func TestAddFD(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "addfd")
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	n := receive(t, c.l)
	fd, err := c.l.AddFD(n.ID, int(w.Fd()), notify.AddFDOptions{Send: true, CloseOnExec: true})
	if err != nil {
		t.Fatalf("AddFD(Send): %v", err)
	}
	if err := c.l.IDValid(n.ID); err == nil {
		t.Error("notification still pending after AddFD with Send")
	}

	n = receive(t, c.l)
	got, err := c.l.AddFD(n.ID, int(w.Fd()), notify.AddFDOptions{SetFD: true, TargetFD: 100})
	if err != nil || got != 100 {
		t.Fatalf("AddFD(SetFD 100) = %d, %v", got, err)
	}
	if err := c.l.IDValid(n.ID); err != nil {
		t.Errorf("AddFD without Send answered the notification: %v", err)
	}
	if err := c.l.Respond(n.ID, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := c.l.AddFD(n.ID, -1, notify.AddFDOptions{}); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("AddFD(-1) = %v, want os.ErrInvalid", err)
	}
	w.Close()

	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "via sendvia setfd" {
		t.Errorf("read %q from the pipe, want %q", data, "via sendvia setfd")
	}
	lines := c.wait(t)
	want := []string{
		fmt.Sprintf("fd=%d cloexec=true getfd=<nil> write=<nil>", fd),
		"fd=100 cloexec=false getfd=<nil> write=<nil>",
	}
	for i := range want {
		if at(lines, i) != want[i] {
			t.Errorf("child line %d = %q, want %q", i, at(lines, i), want[i])
		}
	}
}

// TestTargetDies: the target is killed while its notification is pending;
// every operation on the notification says ErrGone, and Receive reports the
// hangup instead of blocking.
func TestTargetDies(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "calls")
	n := receive(t, c.l)
	c.cmd.Process.Kill()
	err := <-c.done
	c.done <- err
	if err := c.l.IDValid(n.ID); !errors.Is(err, notify.ErrGone) || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("IDValid = %v, want ErrGone and ENOENT", err)
	}
	if err := c.l.Respond(n.ID, 1); !errors.Is(err, notify.ErrGone) {
		t.Errorf("Respond = %v, want ErrGone", err)
	}
	if err := c.l.RespondErrno(n.ID, unix.EPERM); !errors.Is(err, notify.ErrGone) {
		t.Errorf("RespondErrno = %v, want ErrGone", err)
	}
	if err := c.l.Continue(n.ID); !errors.Is(err, notify.ErrGone) {
		t.Errorf("Continue = %v, want ErrGone", err)
	}
	buf := make([]byte, 8)
	if err := c.l.ReadMemory(n, n.Data.InstructionPointer, buf); !errors.Is(err, notify.ErrGone) {
		t.Errorf("ReadMemory = %v, want ErrGone", err)
	}
	if _, err := c.l.AddFD(n.ID, 0, notify.AddFDOptions{}); !errors.Is(err, notify.ErrGone) {
		t.Errorf("AddFD = %v, want ErrGone", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := c.l.Receive(ctx); !errors.Is(err, notify.ErrHangup) {
		t.Errorf("Receive after the target died = %v, want ErrHangup", err)
	}
}

// TestCloseListener: closing the listener answers the pending call and
// every later one with ENOSYS.
func TestCloseListener(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "calls", "COUNT=2")
	receive(t, c.l)
	if err := c.l.Close(); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("r=-1 errno=%d", unix.ENOSYS)
	lines := c.wait(t)
	for i := range 2 {
		if at(lines, i) != want {
			t.Errorf("call %d: child saw %q, want %q", i, at(lines, i), want)
		}
	}
	if _, err := c.l.Receive(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Receive after Close = %v, want os.ErrClosed", err)
	}
	if err := c.l.Respond(1, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Respond after Close = %v, want os.ErrClosed", err)
	}
}

// TestSupervisorExits: a supervisor process receives the notification and
// exits without answering; the target's call fails with ENOSYS.
func TestSupervisorExits(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "calls")
	dup, err := unix.Dup(c.l.FD())
	if err != nil {
		t.Fatal(err)
	}
	lf := os.NewFile(uintptr(dup), "listener")
	sup := exec.Command(os.Args[0], "-test.run=^$")
	sup.Env = childEnviron("supervisor")
	sup.ExtraFiles = []*os.File{lf}
	var supOut strings.Builder
	sup.Stdout = &supOut
	sup.Stderr = os.Stderr
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	lf.Close()
	c.l.Close() // the supervisor process now holds the only listener
	c.l = nil
	if err := sup.Wait(); err != nil {
		t.Fatalf("supervisor: %v", err)
	}
	if want := fmt.Sprintf("received nr=%d\n", nrFake); supOut.String() != want {
		t.Errorf("supervisor printed %q, want %q", supOut.String(), want)
	}
	if want := fmt.Sprintf("r=-1 errno=%d", unix.ENOSYS); at(c.wait(t), 0) != want {
		t.Errorf("target saw %q, want %q", c.stdout.String(), want)
	}
}

// TestReceiveCancel: a Receive waiting for a notification that never comes
// returns when its context ends or the listener is closed; concurrent
// Receives all return.
func TestReceiveCancel(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "idle")

	t.Run("done context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.l.Receive(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Receive = %v, want context.Canceled", err)
		}
	})
	t.Run("cancel while waiting", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		errs := make(chan error, 3)
		for range 3 {
			go func() {
				_, err := c.l.Receive(ctx)
				errs <- err
			}()
		}
		time.Sleep(50 * time.Millisecond)
		cancel()
		for range 3 {
			select {
			case err := <-errs:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Receive = %v, want context.Canceled", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Receive did not return after its context was cancelled")
			}
		}
	})
	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		if _, err := c.l.Receive(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Receive = %v, want context.DeadlineExceeded", err)
		}
		// The deadline that woke it must not leak into the next Receive.
		ctx2, cancel2 := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel2()
		if _, err := c.l.Receive(ctx2); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("next Receive = %v, want context.DeadlineExceeded after waiting", err)
		}
		if ctx2.Err() == nil {
			t.Error("next Receive returned before its own deadline")
		}
	})
	t.Run("close while waiting", func(t *testing.T) {
		errs := make(chan error, 1)
		go func() {
			_, err := c.l.Receive(context.Background())
			errs <- err
		}()
		time.Sleep(50 * time.Millisecond)
		c.l.Close()
		select {
		case err := <-errs:
			if !errors.Is(err, os.ErrClosed) {
				t.Errorf("Receive = %v, want os.ErrClosed", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Receive did not return after Close")
		}
	})
}

// TestReceiveHangup: when the last target exits, a waiting Receive returns
// ErrHangup.
func TestReceiveHangup(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "idle")
	errs := make(chan error, 1)
	go func() {
		_, err := c.l.Receive(context.Background())
		errs <- err
	}()
	time.Sleep(50 * time.Millisecond)
	c.stdin.Close() // the child exits
	select {
	case err := <-errs:
		if !errors.Is(err, notify.ErrHangup) {
			t.Errorf("Receive = %v, want ErrHangup", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Receive did not return after the target exited")
	}
	c.wait(t)
}

// TestSetFlags: SyncWakeUp is accepted from Linux 6.6; other bits are not.
func TestSetFlags(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "idle")
	err := c.l.SetFlags(notify.SyncWakeUp)
	if kernelAtLeast(6, 6) {
		if err != nil {
			t.Errorf("SetFlags(SyncWakeUp) on Linux >= 6.6: %v", err)
		}
	} else if err == nil {
		t.Error("SetFlags(SyncWakeUp) accepted before Linux 6.6")
	}
	if err := c.l.SetFlags(2); !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTTY) {
		t.Errorf("SetFlags(2) = %v, want EINVAL (or ENOTTY before 6.6)", err)
	}
}

// TestReadMemory reads the child's strings through its pointer arguments,
// including at the edge of an unreadable page.
func TestReadMemory(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "memory")
	n := receive(t, c.l)
	a := n.Data.Args

	strs := []struct {
		name    string
		addr    uint64
		max     int
		want    string
		wantErr error
	}{
		{"string", a[0], 0, "hello, supervisor", nil},
		{"ends before an unreadable page", a[1], 0, "edge", nil},
		{"runs into an unreadable page", a[2], 0, "", syscall.EFAULT},
		{"unreadable", a[3], 0, "", syscall.EFAULT},
		{"longer than max", a[0], 5, "", syscall.ENAMETOOLONG},
		{"exactly max with its NUL", a[0], len("hello, supervisor") + 1, "hello, supervisor", nil},
		{"one short of its NUL", a[0], len("hello, supervisor"), "", syscall.ENAMETOOLONG},
	}
	for _, tc := range strs {
		t.Run("ReadString/"+tc.name, func(t *testing.T) {
			got, err := c.l.ReadString(n, tc.addr, tc.max)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil) != (err != nil) || got != tc.want {
				t.Errorf("ReadString(%#x, %d) = %q, %v; want %q, %v", tc.addr, tc.max, got, err, tc.want, tc.wantErr)
			}
		})
	}
	mems := []struct {
		name    string
		addr    uint64
		size    int
		want    string
		wantErr error
	}{
		{"bytes", a[0], 5, "hello", nil},
		{"up to the page end", a[2], 4, "abcd", nil},
		{"across into an unreadable page", a[2], 5, "", syscall.EFAULT},
		{"empty", a[3], 0, "", nil},
	}
	for _, tc := range mems {
		t.Run("ReadMemory/"+tc.name, func(t *testing.T) {
			buf := make([]byte, tc.size)
			err := c.l.ReadMemory(n, tc.addr, buf)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil) != (err != nil) {
				t.Fatalf("ReadMemory(%#x, %d) = %v, want %v", tc.addr, tc.size, err, tc.wantErr)
			}
			if err == nil && string(buf) != tc.want {
				t.Errorf("ReadMemory(%#x, %d) read %q, want %q", tc.addr, tc.size, buf, tc.want)
			}
		})
	}
	if err := c.l.Respond(n.ID, 0); err != nil {
		t.Fatal(err)
	}
	if at(c.wait(t), 0) != "r=0 errno=0" {
		t.Errorf("child saw %q", c.stdout.String())
	}
}

// TestNewListenerRejects: an fd that is not a listener is refused and left
// open.
func TestNewListenerRejects(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	closed, err := unix.Dup(int(r.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	unix.Close(closed)

	cases := []struct {
		name string
		fd   int
		want error
	}{
		{"negative", -1, os.ErrInvalid},
		{"pipe", int(w.Fd()), os.ErrInvalid},
		{"closed", closed, syscall.EBADF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l, err := notify.NewListener(tc.fd)
			if !errors.Is(err, tc.want) || l != nil {
				t.Errorf("NewListener(%d) = %v, %v; want an error wrapping %v", tc.fd, l, err, tc.want)
			}
		})
	}
	if _, err := w.Write([]byte("x")); err != nil {
		t.Errorf("the pipe was closed by the refused NewListener: %v", err)
	}
}
