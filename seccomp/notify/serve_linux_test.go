//go:build linux

package notify_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/seccomp"
	"github.com/seccompile/seccompile/seccomp/notify"
)

// floodHandler answers call (thread, i) with thread*1e6 + i + 1, which the
// flood child checks.
func floodHandler(_ context.Context, r *notify.Request) notify.Response {
	return notify.Value(int64(r.Data.Args[0])*1_000_000 + int64(r.Data.Args[1]) + 1)
}

// TestServeFlood: 10,000 notifications from 8 threads, answered by Serve;
// the child checks every result, so none is lost or answered wrongly, and
// Serve returns nil when the child exits.
func TestServeFlood(t *testing.T) {
	requireNotify(t)
	const total = 10000
	for _, tc := range []struct {
		name  string
		flags seccomp.Flag
		env   string
	}{
		{"interruptible", 0, "INTERRUPTIBLE=1"},
		{"wait-killable-recv", seccomp.WaitKillableRecv, "INTERRUPTIBLE="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.flags != 0 {
				if ok, _ := seccomp.FlagAvailable(tc.flags); !ok {
					t.Skipf("%v unavailable", tc.flags)
				}
			}
			c := startChild(t, "flood", "FLOOD_N="+strconv.Itoa(total), "FLAGS="+strconv.Itoa(int(tc.flags)), tc.env)
			var handled, failed atomic.Int64
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
			defer cancel()
			err := notify.Serve(ctx, c.l, func(ctx context.Context, r *notify.Request) notify.Response {
				handled.Add(1)
				return floodHandler(ctx, r)
			}, notify.ServeOptions{OnError: func(n *notify.Notif, err error) {
				if !errors.Is(err, notify.ErrGone) {
					t.Errorf("answer to %v: %v", n, err)
				}
				failed.Add(1)
			}})
			elapsed := time.Since(start)
			if err != nil {
				t.Fatalf("Serve = %v, want nil after the child exits", err)
			}
			lines := c.wait(t)
			if want := fmt.Sprintf("calls=%d bad=0 threads=8", total); at(lines, 0) != want {
				t.Errorf("child: %q, want %q", at(lines, 0), want)
			}
			// A notification withdrawn by a signal (Go's preemption) is
			// received again as a new one, so handled may exceed total; the
			// withdrawn ones are the failed answers.
			if handled.Load()-failed.Load() < total {
				t.Errorf("handled %d, failed %d: fewer than %d answers arrived", handled.Load(), failed.Load(), total)
			}
			t.Logf("%s: %d calls from 8 threads in %v: %.0f notifications/s (handled %d, withdrawn %d)",
				tc.name, total, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), handled.Load(), failed.Load())
		})
	}
}

// TestServePanic: a panicking handler's notification is answered with
// PanicErrno (EPERM by default), and OnError hears the panic.
func TestServePanic(t *testing.T) {
	requireNotify(t)
	for _, tc := range []struct {
		name  string
		errno syscall.Errno
		want  syscall.Errno
	}{
		{"default", 0, unix.EPERM},
		{"configured", unix.EXDEV, unix.EXDEV},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t, "calls", "COUNT=2")
			var mu sync.Mutex
			var panics []*notify.PanicError
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			err := notify.Serve(ctx, c.l, func(ctx context.Context, r *notify.Request) notify.Response {
				if r.Data.Args[0] == 0 {
					panic("boom")
				}
				return notify.Value(9)
			}, notify.ServeOptions{PanicErrno: tc.errno, OnError: func(n *notify.Notif, err error) {
				var pe *notify.PanicError
				if errors.As(err, &pe) {
					mu.Lock()
					panics = append(panics, pe)
					mu.Unlock()
				} else {
					t.Errorf("OnError(%v, %v)", n, err)
				}
			}})
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
			lines := c.wait(t)
			if want := fmt.Sprintf("r=-1 errno=%d", tc.want); at(lines, 0) != want {
				t.Errorf("panicked call: child saw %q, want %q", at(lines, 0), want)
			}
			if at(lines, 1) != "r=9 errno=0" {
				t.Errorf("next call: child saw %q, want r=9", at(lines, 1))
			}
			if len(panics) != 1 || panics[0].Value != "boom" || len(panics[0].Stack) == 0 {
				t.Errorf("OnError heard %v, want one PanicError(boom) with a stack", panics)
			}
		})
	}
}

// TestServeCancel: when the context ends, Serve answers the notifications
// whose handlers are still running with CancelErrno (ENOSYS by default),
// drops the handlers' own answers, and returns; calls made afterwards wait
// in the kernel until the listener is closed.
func TestServeCancel(t *testing.T) {
	requireNotify(t)
	for _, tc := range []struct {
		name  string
		errno syscall.Errno
		want  syscall.Errno
	}{
		{"default", 0, unix.ENOSYS},
		{"configured", unix.ECANCELED, unix.ECANCELED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startChild(t, "calls", "COUNT=2")
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			defer w.Close()
			started := make(chan struct{})
			late := make(chan error, 1)
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() {
				served <- notify.Serve(ctx, c.l, func(ctx context.Context, req *notify.Request) notify.Response {
					close(started)
					<-ctx.Done()
					// Too late: Serve has answered. Neither this AddFD nor
					// the returned value may reach the target.
					_, err := req.AddFD(int(w.Fd()), notify.AddFDOptions{Send: true})
					late <- err
					return notify.Value(7)
				}, notify.ServeOptions{CancelErrno: tc.errno})
			}()
			select {
			case <-started:
			case <-time.After(20 * time.Second):
				t.Fatal("handler never ran")
			}
			cancel()
			select {
			case err := <-served:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Serve = %v, want context.Canceled", err)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("Serve did not return after its context was cancelled")
			}
			if err := <-late; err == nil {
				t.Error("a handler's AddFD(Send) after cancellation succeeded: the notification was answered twice")
			}
			time.Sleep(50 * time.Millisecond) // let the child make its second call
			c.l.Close()
			lines := c.wait(t)
			if want := fmt.Sprintf("r=-1 errno=%d", tc.want); at(lines, 0) != want {
				t.Errorf("pending call: child saw %q, want %q", at(lines, 0), want)
			}
			if want := fmt.Sprintf("r=-1 errno=%d", unix.ENOSYS); at(lines, 1) != want {
				t.Errorf("call after Serve returned: child saw %q, want %q (answered by Close)", at(lines, 1), want)
			}
		})
	}
}

// TestServeCancelIdle: Serve with nothing to do returns when its context
// ends.
func TestServeCancelIdle(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "idle")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- notify.Serve(ctx, c.l, func(context.Context, *notify.Request) notify.Response {
			t.Error("handler called without a notification")
			return notify.Errno(unix.EPERM)
		}, notify.ServeOptions{})
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-served:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Serve = %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after its context was cancelled")
	}
}
