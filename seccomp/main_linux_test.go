package seccomp

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

// Tests that install a filter do it in a child: the test binary re-executed
// with childEnv naming a function of children. The child prints what it
// saw on stdout and exits 0, or fails with a message and status 1.
const childEnv = "SECCOMP_TEST_CHILD"

var children = map[string]func(){}

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		fn, ok := children[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "no child %q\n", name)
			os.Exit(3)
		}
		fn()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childResult is how a child ended.
type childResult struct {
	pid            int
	stdout, stderr string
	exitCode       int            // -1 when killed by a signal
	signal         syscall.Signal // the signal, if any
}

func (r childResult) String() string {
	return fmt.Sprintf("exit=%d signal=%v\nstdout:\n%s\nstderr:\n%s", r.exitCode, r.signal, r.stdout, r.stderr)
}

// runChild runs children[name] in a fresh copy of the test binary, with
// extra environment variables (KEY=VALUE).
func runChild(t *testing.T, name string, env ...string) childResult {
	t.Helper()
	return runChildCmd(t, name, nil, env...)
}

// runChildCmd is runChild with a hook that may change the command (its
// binary, credentials) before it starts.
func runChildCmd(t *testing.T, name string, hook func(*exec.Cmd), env ...string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// GORACE: a -race child would otherwise sleep a second at exit.
	cmd.Env = append(append(os.Environ(), childEnv+"="+name, "GORACE=atexit_sleep_ms=0"), env...)
	if hook != nil {
		hook(cmd)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("child %s timed out; stdout:\n%s\nstderr:\n%s", name, out.String(), errb.String())
	}
	r := childResult{pid: cmd.Process.Pid, stdout: out.String(), stderr: errb.String()}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		r.exitCode, r.signal = -1, ws.Signal()
	} else {
		r.exitCode = ws.ExitStatus()
	}
	return r
}

// mustChild runs a child that must exit 0 and returns its stdout.
func mustChild(t *testing.T, name string, env ...string) string {
	t.Helper()
	r := runChild(t, name, env...)
	if r.exitCode != 0 {
		t.Fatalf("child %s failed: %v", name, r)
	}
	return r.stdout
}

// fail ends a child with a message.
func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

// rawCall makes a syscall and returns its result and errno as the kernel
// gave them; unix.Getppid and friends hide the errno.
func rawCall(nr uintptr, args ...uintptr) (uintptr, unix.Errno) {
	var a [6]uintptr
	copy(a[:], args)
	r, _, e := unix.RawSyscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5])
	return r, e
}

// denyProgram is a hand-written x86_64 program: other ABIs and x32
// numbers get KILL_PROCESS, each listed syscall number its action, and
// everything else ALLOW.
func denyProgram(deny map[uint32]uint32) []bpf.RawInstruction {
	const x86_64 = 0xc000003e
	prog := []bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: x86_64, SkipTrue: 1},
		bpf.RetConstant{Val: 0x80000000},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpLessThan, Val: 0x40000000, SkipTrue: 1},
		bpf.RetConstant{Val: 0x80000000},
	}
	for nr, ret := range deny {
		prog = append(prog,
			bpf.JumpIf{Cond: bpf.JumpEqual, Val: nr, SkipFalse: 1},
			bpf.RetConstant{Val: ret})
	}
	prog = append(prog, bpf.RetConstant{Val: 0x7fff0000})
	raw, err := bpf.Assemble(prog)
	if err != nil {
		panic(err)
	}
	return raw
}

func errnoRet(n uint16) uint32 { return 0x00050000 | uint32(n) }

func isErr(err, target error) bool { return errors.Is(err, target) }

func hasLine(s, line string) bool {
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}
