package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"
)

func init() {
	children["target-getppid"] = childTargetGetppid
	children["command-nobody"] = childCommandNobody
}

// childTargetGetppid is a Command target: what it sees of the filter.
func childTargetGetppid() {
	_, e := rawCall(unix.SYS_GETPPID)
	st := taskStatus("Seccomp", "Seccomp_filters", "NoNewPrivs")[unix.Gettid()]
	fmt.Printf("errno=%d seccomp=%s filters=%s nnp=%s\n", int(e), st["Seccomp"], st["Seccomp_filters"], st["NoNewPrivs"])
	gd, ok := os.LookupEnv("GODEBUG")
	fmt.Printf("godebug=%q set=%v\n", gd, ok)
}

// selfTarget points cmd at this test binary in the child role name.
func selfTarget(cmd *exec.Cmd, name string, env ...string) {
	base := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GODEBUG=") })
	cmd.Env = append(append(base, childEnv+"="+name, "GORACE=atexit_sleep_ms=0"), env...)
}

func TestCommand(t *testing.T) {
	p := &Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"getppid"}, Action: Errno(uint16(unix.EPERM))}}}
	for _, tc := range []struct {
		name, godebug, want string
		program             bool
	}{
		{"Command", "", `godebug="" set=false`, false},
		{"Command with GODEBUG", "GODEBUG=madvdontneed=1", `godebug="madvdontneed=1" set=true`, false},
		{"CommandProgram", "", `godebug="" set=false`, true},
		{"CommandProgram with GODEBUG", "GODEBUG=madvdontneed=1", `godebug="madvdontneed=1" set=true`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cmd *exec.Cmd
			var out []byte
			var err error
			if tc.program {
				var c *Cmd
				if c, err = CommandProgram(mustCompile(t, p), 0, os.Args[0], "-test.run=^$"); err != nil {
					t.Fatal(err)
				}
				cmd = c.Cmd
				selfTarget(cmd, "target-getppid", tc.godebug)
				out, err = c.Output()
			} else {
				if cmd, err = Command(p, os.Args[0], "-test.run=^$"); err != nil {
					t.Fatal(err)
				}
				selfTarget(cmd, "target-getppid", tc.godebug)
				out, err = cmd.Output()
			}
			if err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			// One filter, on the target's first (and only) thread at exec,
			// and on every thread its runtime made afterwards; and the
			// target's own GODEBUG, not the helper's.
			if !hasLine(string(out), "errno=1 seccomp=2 filters=1 nnp=1") || !hasLine(string(out), tc.want) {
				t.Fatalf("got %q", out)
			}
		})
	}
}

func TestCommandKillProcess(t *testing.T) {
	cmd, err := Command(&Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"getppid"}, Action: KillProcess}}}, os.Args[0], "-test.run=^$")
	if err != nil {
		t.Fatal(err)
	}
	selfTarget(cmd, "target-getppid")
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != unix.SIGSYS {
		t.Fatalf("want death by SIGSYS, got %v", err)
	}
}

func TestCommandNonGoTarget(t *testing.T) {
	for _, tool := range []string{"sh", "cat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(err)
		}
	}
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `pwd; echo "FOO=$FOO"; cat <&3; cat secret; mkdir made && echo made`
	for _, tc := range []struct {
		name   string
		policy *Policy
		want   []string
		fails  bool
	}{
		{"no rules", &Policy{Default: Allow}, []string{dir, "FOO=bar", "extra", "hello", "made"}, false},
		{"mkdir denied", &Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"mkdir", "mkdirat"}, Action: Errno(uint16(unix.EACCES))}}},
			[]string{dir, "FOO=bar", "extra", "hello", "Permission denied"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd, err := Command(tc.policy, "sh", "-c", script)
			if err != nil {
				t.Fatal(err)
			}
			cmd.Dir = dir
			cmd.Env = []string{"FOO=bar", "PATH=" + os.Getenv("PATH")}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			w.WriteString("extra\n")
			w.Close()
			defer r.Close()
			cmd.ExtraFiles = []*os.File{r}
			os.Remove(filepath.Join(dir, "made"))
			out, err := cmd.CombinedOutput()
			if (err != nil) != tc.fails {
				t.Fatalf("err = %v, want failure %v; output:\n%s", err, tc.fails, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "made")); (err == nil) == tc.fails {
				t.Errorf("directory made: %v, want %v", err == nil, !tc.fails)
			}
		})
	}
}

func TestCommandExecErrors(t *testing.T) {
	dir := t.TempDir()
	notExec := filepath.Join(dir, "not-executable")
	os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644)
	denyExec := &Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"execve"}, Action: Errno(uint16(unix.EPERM))}}}
	prog := mustCompile(t, denyExec)
	for _, tc := range []struct {
		name   string
		policy *Policy
		path   string
		code   int
		msg    string
	}{
		{"not executable", &Policy{Default: Allow}, notExec, ExitCannotExec, "permission denied"},
		{"vanished", &Policy{Default: Allow}, filepath.Join(dir, "gone"), ExitNotFoundExec, "no such file"},
		{"execve denied by the policy", denyExec, "/bin/true", ExitCannotExec, "operation not permitted"},
	} {
		t.Run(tc.name+"/Command", func(t *testing.T) {
			cmd, err := Command(tc.policy, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code || !strings.Contains(string(out), tc.msg) {
				t.Fatalf("want exit %d with %q, got %v: %s", tc.code, tc.msg, err, out)
			}
		})
	}
	t.Run("execve denied/CommandProgram", func(t *testing.T) {
		c, err := CommandProgram(prog, 0, "/bin/true")
		if err != nil {
			t.Fatal(err)
		}
		err = c.Start()
		if err == nil || !strings.Contains(err.Error(), "operation not permitted") {
			t.Fatalf("Start: %v", err)
		}
		if c.ProcessState == nil || c.ProcessState.ExitCode() != ExitCannotExec {
			t.Fatalf("child not reaped with %d: %v", ExitCannotExec, c.ProcessState)
		}
	})
	t.Run("not in PATH", func(t *testing.T) {
		if _, err := Command(&Policy{Default: Allow}, "no-such-command-anywhere"); !errors.Is(err, exec.ErrNotFound) {
			t.Fatalf("got %v", err)
		}
	})
}

func mustCompile(t *testing.T, p *Policy) []bpf.RawInstruction {
	t.Helper()
	inst, err := prepare(p, config{}, false)
	if err != nil {
		t.Fatal(err)
	}
	return inst.Program.Insns
}

// childCommandNobody runs as root from a copy of the test binary that uid
// 65534 can execute; its Command child, made nobody, cannot install a
// filter without no_new_privs.
func childCommandNobody() {
	c, err := CommandProgram(allowAll, 0, "/bin/true")
	if err != nil {
		fail("%v", err)
	}
	c.KeepPrivileges = true
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	err = c.Start()
	fmt.Printf("start-error=%v code=%d\n", err, c.ProcessState.ExitCode())
	c2, _ := CommandProgram(allowAll, 0, "/bin/true")
	c2.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	fmt.Printf("with-nnp=%v\n", c2.Run())
}

func TestCommandSetupFailure(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "seccomp.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	r := runChildCmd(t, "command-nobody", func(c *exec.Cmd) { c.Path, c.Args[0] = bin, bin })
	if r.exitCode != 0 || !strings.Contains(r.stdout, "CAP_SYS_ADMIN") || !strings.Contains(r.stdout, fmt.Sprintf("code=%d", ExitSetupFailed)) ||
		!hasLine(r.stdout, "with-nnp=<nil>") {
		t.Fatalf("got %v", r)
	}
}

// TestCommandListener runs /bin/true under a program that sends every
// call to the listener, and answers each with CONTINUE. The first call the
// supervisor sees must be the execve: the helper's installing thread makes
// no other call under the filter, so no policy can wedge it.
func TestCommandListener(t *testing.T) {
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xc000003e, SkipTrue: 1},
		bpf.RetConstant{Val: retKillProcess},
		bpf.RetConstant{Val: retUserNotif},
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := CommandProgram(prog, NewListener|WaitKillableRecv, "/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	l := c.Listener()
	if l == nil {
		t.Fatal("no listener")
	}
	defer l.Close()
	type seen struct {
		nrs []uint32
		err error
	}
	done := make(chan seen, 1)
	watchdog := time.AfterFunc(20*time.Second, func() { c.Process.Kill() })
	defer watchdog.Stop()
	go func() {
		var s seen
		fd := int(l.Fd())
		for {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			_, err := unix.Poll(pfd, 5000)
			if err == unix.EINTR {
				continue // a preemption signal, not a time-out
			}
			if err != nil {
				s.err = err
				break
			}
			if pfd[0].Revents&unix.POLLHUP != 0 {
				break // the filter has no tasks left
			}
			if pfd[0].Revents&unix.POLLIN == 0 {
				s.err = errors.New("poll timed out")
				break
			}
			var notif [80]byte
			if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&notif))); e != 0 {
				if e == unix.ENOENT || e == unix.EINTR {
					continue
				}
				s.err = e
				break
			}
			s.nrs = append(s.nrs, binary.NativeEndian.Uint32(notif[16:]))
			var resp [24]byte
			copy(resp[:8], notif[:8])
			binary.NativeEndian.PutUint32(resp[20:], unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE)
			// SEND takes the notify lock interruptibly: a preemption signal
			// makes it fail with EINTR, and an unanswered call waits forever.
			e := syscall.EINTR
			for e == syscall.EINTR {
				_, _, e = unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp)))
			}
			if e != 0 && e != unix.ENOENT {
				s.err = fmt.Errorf("NOTIF_SEND: %w", e)
				break
			}
		}
		done <- s
	}()
	werr := c.Wait()
	var s seen
	select {
	case s = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("supervisor did not finish")
	}
	if werr != nil || s.err != nil {
		t.Fatalf("wait: %v, supervisor: %v", werr, s.err)
	}
	nrs := s.nrs
	for raceEnabled && len(nrs) > 0 && (nrs[0] == unix.SYS_MMAP || nrs[0] == unix.SYS_FUTEX) {
		nrs = nrs[1:]
	}
	if len(nrs) < 3 || nrs[0] != unix.SYS_EXECVE || nrs[len(nrs)-1] != unix.SYS_EXIT_GROUP {
		t.Fatalf("notified calls %v: want execve first, exit_group last", s.nrs)
	}
	t.Logf("/bin/true made %d calls, all notified: %v", len(s.nrs), s.nrs)
}

// TestCommandListenerAllowedExec: a policy that allows execve (as Docker's
// does under run --log) still hands the listener over before the target
// starts; the notified call (getppid) is answered through it.
func TestCommandListenerAllowedExec(t *testing.T) {
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_GETPPID, SkipFalse: 1},
		bpf.RetConstant{Val: retUserNotif},
		bpf.RetConstant{Val: retAllow},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		c, err := CommandProgram(prog, NewListener, "/bin/true")
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		l := c.Listener()
		err = c.Wait()
		if l == nil {
			t.Fatalf("run %d: Start returned no listener (wait: %v)", i, err)
		}
		l.Close()
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
	}
}

func TestHelperSpecRoundTrip(t *testing.T) {
	s := helperSpec{flags: NewListener | Log, nnp: true, statusFD: 7, insns: denyProgram(map[uint32]uint32{1: 2, 3: 4}), godebug: "1bWFkdmRvbnRuZWVkPTE"}
	got, err := parseHelperSpec(s.String())
	if err != nil {
		t.Fatal(err)
	}
	if got.flags != s.flags || got.nnp != s.nnp || got.statusFD != s.statusFD || got.godebug != s.godebug || len(got.insns) != len(s.insns) {
		t.Fatalf("got %+v", got)
	}
	for i := range s.insns {
		if got.insns[i] != s.insns[i] {
			t.Fatalf("insn %d: %v != %v", i, got.insns[i], s.insns[i])
		}
	}
	for _, bad := range []string{"", "v1", "v1:zz:1:3:-:AAAA", "v2:0:1:3:-:", "v1:0:1:x:-:", "v1:0:1:3:-:AAA", "v1:0:1:3:AAAAAAAA", "v1:0:1:3:x:AAAAAAAAAAA="} {
		if _, err := parseHelperSpec(bad); err == nil {
			t.Errorf("parsed %q", bad)
		}
	}
}
