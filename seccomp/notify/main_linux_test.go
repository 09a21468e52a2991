//go:build linux

package notify_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/seccomp"
	"github.com/seccompile/seccompile/seccomp/notify"
)

// Kernel tests run the filtered side in a child: this test binary
// re-executed with childEnv naming a function of children. The test
// process itself never installs a filter, so it can supervise without
// deadlocking on its own notifications.
const childEnv = "NOTIFY_TEST_CHILD"

// nrFake is a syscall number no ABI assigns: the Go runtime never makes it,
// so a child's runtime keeps working under a filter that notifies it, and
// without a supervisor it fails with ENOSYS.
const nrFake = 1000

// children maps a child mode to its body; the exit status is its result.
var children = map[string]func() int{}

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		body, ok := children[mode]
		if !ok {
			fmt.Fprintf(os.Stderr, "unknown child mode %q\n", mode)
			os.Exit(2)
		}
		os.Exit(body())
	}
	os.Exit(m.Run())
}

// notifyPolicy sends the named syscalls and nrFake to the supervisor and
// allows everything else.
func notifyPolicy(names ...string) *compiler.Policy {
	rules := []compiler.Rule{{Numbers: []uint32{nrFake}, Action: compiler.UserNotif, Comment: "test call"}}
	if len(names) > 0 {
		rules = append(rules, compiler.Rule{Syscalls: names, Action: compiler.UserNotif})
	}
	return &compiler.Policy{Default: compiler.Allow, Rules: rules}
}

// installAndSend is the child's first step: it installs p on every thread
// with a new listener and hands the listener to the parent over fd 3, a
// unix socket, closing its own copy so that only the parent supervises.
//
// Unless INTERRUPTIBLE is set it adds WaitKillableRecv where the kernel has
// it (5.19): otherwise a signal to a waiting child thread (the Go runtime
// sends them) would now and then withdraw a notification the parent has
// received, and a test answering it by hand would see ErrGone.
func installAndSend(p *compiler.Policy, flags seccomp.Flag) error {
	if os.Getenv("INTERRUPTIBLE") == "" {
		if ok, _ := seccomp.FlagAvailable(seccomp.WaitKillableRecv); ok {
			flags |= seccomp.WaitKillableRecv
		}
	}
	prog, err := compiler.Compile(p)
	if err != nil {
		return err
	}
	fd, err := seccomp.InstallProgram(prog.Insns, seccomp.WithFlags(seccomp.NewListener|flags))
	if err != nil {
		return err
	}
	conn, err := net.FileConn(os.NewFile(3, "supervisor"))
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := notify.SendFD(conn.(*net.UnixConn), fd, []byte("listener")); err != nil {
		return err
	}
	return unix.Close(fd)
}

// childFatal reports a child's setup failure.
func childFatal(err error) int {
	fmt.Fprintln(os.Stderr, "child:", err)
	return 3
}

// call makes syscall nr and reports what the target saw.
func call(nr uintptr, args ...uintptr) (int64, syscall.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, e := unix.Syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return int64(r), e
}

// child is a running target and the listener it sent.
type child struct {
	cmd    *exec.Cmd
	l      *notify.Listener
	stdout bytes.Buffer
	stderr bytes.Buffer
	stdin  *os.File // closing it tells an idle child to exit
	done   chan error
}

// startChild starts the test binary as child mode with env and returns it
// once it has sent its listener. The child is killed at the end of the test
// if it is still running.
func startChild(t testing.TB, mode string, env ...string) *child {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "parent"), os.NewFile(uintptr(fds[1]), "child")
	defer ours.Close()
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}

	c := &child{cmd: exec.Command(os.Args[0], "-test.run=^$"), stdin: stdinW, done: make(chan error, 1)}
	c.cmd.Env = append(childEnviron(mode), env...)
	c.cmd.ExtraFiles = []*os.File{theirs}
	c.cmd.Stdin = stdinR
	c.cmd.Stdout = &c.stdout
	c.cmd.Stderr = &c.stderr
	err = c.cmd.Start()
	theirs.Close()
	stdinR.Close()
	if err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- c.cmd.Wait() }()
	t.Cleanup(func() {
		c.stdin.Close()
		c.cmd.Process.Kill()
		<-c.done
		if c.l != nil {
			c.l.Close()
		}
	})

	fc, err := net.FileConn(ours)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	conn := fc.(*net.UnixConn)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	buf := make([]byte, 64)
	fd, n, err := notify.ReceiveFD(conn, buf)
	if err != nil {
		c.cmd.Process.Kill()
		<-c.done
		t.Fatalf("child %s sent no listener: %v\nstderr:\n%s", mode, err, c.stderr.String())
	}
	if got := string(buf[:n]); got != "listener" {
		t.Fatalf("child's message = %q, want %q", got, "listener")
	}
	c.l, err = notify.NewListener(fd)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wait waits for the child to exit and returns its stdout lines. It fails
// the test if the child does not exit within a generous timeout.
func (c *child) wait(t testing.TB) []string {
	t.Helper()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		if err != nil {
			t.Errorf("child: %v\nstdout:\n%s\nstderr:\n%s", err, c.stdout.String(), c.stderr.String())
		}
	case <-time.After(60 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("child did not exit\nstdout:\n%s\nstderr:\n%s", c.stdout.String(), c.stderr.String())
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(c.stdout.Bytes()))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// receive is Receive with a timeout that fails the test instead of hanging.
func receive(t testing.TB, l *notify.Listener) *notify.Notif {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := l.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return n
}

// childEnviron is the environment of a child running mode. It turns off
// the race detector's one-second sleep at exit, which would otherwise
// dominate these tests' run time under -race.
func childEnviron(mode string) []string {
	race := "atexit_sleep_ms=0"
	if g := os.Getenv("GORACE"); g != "" {
		race = g + " " + race
	}
	return append(os.Environ(), childEnv+"="+mode, "GORACE="+race)
}

// envInt reads an integer from the environment (children's parameters).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// kernelAtLeast reports whether the running kernel is at least major.minor.
func kernelAtLeast(major, minor int) bool {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return false
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var ma, mi int
	fmt.Sscanf(strings.SplitN(rel, "-", 2)[0], "%d.%d", &ma, &mi)
	return ma > major || ma == major && mi >= minor
}

// requireNotify skips when the kernel cannot run these tests.
func requireNotify(t testing.TB) {
	t.Helper()
	if err := seccomp.Supported(); err != nil {
		t.Skipf("seccomp filters unsupported: %v", err)
	}
	if ok, err := seccomp.FlagAvailable(seccomp.NewListener); !ok || err != nil {
		t.Skipf("no NEW_LISTENER: %v", err)
	}
}
