package record

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/profile"
)

var backends = []string{BackendEBPF, BackendNotify}

// record runs argv under backend b and fails the test on error.
func record(t *testing.T, b string, args bool, argv ...string) (*Recording, string) {
	t.Helper()
	var out bytes.Buffer
	r, err := Run(context.Background(), argv, Options{Backend: b, Args: args, Stdout: &out, Stderr: os.Stderr})
	if err != nil {
		t.Fatalf("Run(%q, %s): %v", argv, b, err)
	}
	if r.Backend != b {
		t.Errorf("Backend = %q, want %q", r.Backend, b)
	}
	return r, out.String()
}

func has(r *Recording, abi string, names ...string) []string {
	var missing []string
	got := r.Names(abi)
	for _, n := range names {
		if !slices.Contains(got, n) {
			missing = append(missing, n)
		}
	}
	return missing
}

func mustProfile(t *testing.T, r *Recording, o ProfileOptions) *profile.Profile {
	t.Helper()
	p, err := r.Profile(o)
	if err != nil {
		t.Fatalf("Profile: %v", err)
	}
	return p
}

// A static Go program: recorded, it runs under its profile; a variant that
// also opens a socket is refused the socket.
func TestRecordGoProgram(t *testing.T) {
	prog := testProg(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("hello from the recorded program\n"), 0o644)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			r, out := record(t, b, false, prog, "files", in)
			if r.ExitCode != 0 || out != "hello from the recorded program\n" {
				t.Fatalf("exit %d, output %q", r.ExitCode, out)
			}
			if m := has(r, "x86_64", "execve", "openat", "read", "write", "exit_group", "mmap", "futex"); len(m) > 0 {
				t.Errorf("recording lacks %v; has %v", m, r.Names("x86_64"))
			}
			if slices.Contains(r.Names("x86_64"), "socket") {
				t.Errorf("recording has socket, which the program did not call")
			}
			if got := r.Arches(); len(got) != 1 || got[0].Name != "x86_64" {
				t.Errorf("Arches = %v, want [x86_64]", got)
			}
			p := mustProfile(t, r, ProfileOptions{})
			stdout, stderr, code := runUnder(t, p, prog, "files", in)
			if code != 0 || stdout != "hello from the recorded program\n" {
				t.Errorf("under its profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			_, stderr, code = runUnder(t, p, prog, "socket", in)
			if code != 3 || !strings.Contains(stderr, "operation not permitted") {
				t.Errorf("socket variant under the profile: exit %d (want 3), stderr %q", code, stderr)
			}
		})
	}
}

// A shell pipeline: sh forks two children that exec ls and wc.
func TestRecordPipeline(t *testing.T) {
	const script = "ls / | wc -l"
	want, err := exec.Command("sh", "-c", script).Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			r, out := record(t, b, false, "sh", "-c", script)
			if r.ExitCode != 0 || out != string(want) {
				t.Fatalf("exit %d, output %q, want %q", r.ExitCode, out, want)
			}
			// sh, ls and wc each exec'd: three execve calls, two forks.
			if n := r.Counts[keyFor(t, "x86_64", "execve")]; n != 3 {
				t.Errorf("execve count = %d, want 3 (sh, ls, wc)", n)
			}
			if m := has(r, "x86_64", "pipe2", "dup2", "getdents64", "wait4"); len(m) > 0 {
				t.Errorf("recording lacks %v; has %v", m, r.Names("x86_64"))
			}
			p := mustProfile(t, r, ProfileOptions{})
			stdout, stderr, code := runUnder(t, p, "sh", "-c", script)
			if code != 0 || stdout != string(want) {
				t.Errorf("under its profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
			dir := filepath.Join(t.TempDir(), "made")
			_, stderr, code = runUnder(t, p, "sh", "-c", script+" && mkdir "+dir)
			if code == 0 {
				t.Errorf("mkdir variant succeeded under the profile")
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("mkdir variant created %s (stat: %v); stderr %q", dir, err, stderr)
			}
		})
	}
}

// A program with several threads that forks and execs a child.
func TestRecordThreadsFork(t *testing.T) {
	prog := testProg(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("x"), 0o644)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			r, out := record(t, b, true, prog, "threads", in)
			if r.ExitCode != 0 || out != "threads ok\n" {
				t.Fatalf("exit %d, output %q", r.ExitCode, out)
			}
			// The Go program and /bin/true (a dynamic glibc program).
			if n := r.Counts[keyFor(t, "x86_64", "execve")]; n != 2 {
				t.Errorf("execve count = %d, want 2", n)
			}
			// clone for the threads, wait4/waitid for the child; glibc's
			// start-up in /bin/true maps its libraries.
			if m := has(r, "x86_64", "clone", "openat", "mmap", "mprotect", "exit_group"); len(m) > 0 {
				t.Errorf("recording lacks %v; has %v", m, r.Names("x86_64"))
			}
			p := mustProfile(t, r, ProfileOptions{})
			stdout, stderr, code := runUnder(t, p, prog, "threads", in)
			if code != 0 || stdout != "threads ok\n" {
				t.Errorf("under its profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
}

// An i386 executable: its calls are recorded under the i386 ABI, and its
// profile lists both ABIs (the execve that starts it is an x86_64 call).
func TestRecordI386(t *testing.T) {
	bin := i386Program(t)
	if out, err := exec.Command(bin).Output(); err != nil || string(out) != "i386\n" {
		t.Skipf("cannot run i386 programs here (IA32 emulation off?): %v %q", err, out)
	}
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			r, out := record(t, b, false, bin)
			if r.ExitCode != 0 || out != "i386\n" {
				t.Fatalf("exit %d, output %q", r.ExitCode, out)
			}
			want := []Key{
				{Arch: "x86_64", Nr: 59, Name: "execve"},
				{Arch: "i386", Nr: 1, Name: "exit"},
				{Arch: "i386", Nr: 20, Name: "getpid"},
				{Arch: "i386", Nr: 4, Name: "write"},
			}
			if got := r.Syscalls(); !slices.Equal(got, want) {
				t.Errorf("Syscalls = %v, want %v", got, want)
			}
			p := mustProfile(t, r, ProfileOptions{})
			if !slices.Equal(p.Architectures, []string{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}) {
				t.Errorf("architectures = %v", p.Architectures)
			}
			stdout, stderr, code := runUnder(t, p, bin)
			if code != 0 || stdout != "i386\n" {
				t.Errorf("under its profile: exit %d, stdout %q, stderr %q", code, stdout, stderr)
			}
		})
	}
}

// A call with the x32 bit is recorded as x32's, with the bit in the number,
// even on this kernel, which has no x32 and answers ENOSYS.
func TestRecordX32(t *testing.T) {
	prog := testProg(t)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			r, _ := record(t, b, false, prog, "x32")
			k := Key{Arch: "x32", Nr: arch.X32SyscallBit | 39, Name: "getpid"}
			if r.Counts[k] != 1 {
				t.Errorf("Counts[%v] = %d, want 1; recorded %v", k, r.Counts[k], r.Syscalls())
			}
			p := mustProfile(t, r, ProfileOptions{})
			if !slices.Contains(p.Architectures, "SCMP_ARCH_X32") {
				t.Errorf("architectures = %v, want SCMP_ARCH_X32 in it", p.Architectures)
			}
		})
	}
}

// With Args, socket's family is recorded, and the profile allows only it.
func TestRecordArgs(t *testing.T) {
	prog := testProg(t)
	in := filepath.Join(t.TempDir(), "in.txt")
	os.WriteFile(in, []byte("x"), 0o644)
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			r, _ := record(t, b, true, prog, "socket", in, "inet")
			if r.ExitCode != 0 {
				t.Fatalf("exit %d", r.ExitCode)
			}
			sk := ArgKey{Key: keyFor(t, "x86_64", "socket"), Arg: 0}
			if got := r.ArgValues[sk]; len(got) != 1 || got[syscall.AF_INET] != 1 {
				t.Errorf("socket family values = %v, want {AF_INET: 1}", got)
			}
			fk := ArgKey{Key: keyFor(t, "x86_64", "fcntl"), Arg: 1}
			if len(r.ArgValues[fk]) == 0 {
				t.Errorf("no fcntl commands recorded (the Go runtime calls fcntl)")
			}
			p := mustProfile(t, r, ProfileOptions{})
			var socketEntries []profile.Syscall
			for _, e := range p.Syscalls {
				if slices.Contains(e.Names, "socket") {
					socketEntries = append(socketEntries, e)
				}
			}
			want := profile.Arg{Index: 0, Value: syscall.AF_INET, Op: profile.OpEqualTo}
			if len(socketEntries) != 1 || len(socketEntries[0].Args) != 1 || socketEntries[0].Args[0] != want {
				t.Errorf("socket entries = %+v, want one with %+v", socketEntries, want)
			}
			if _, stderr, code := runUnder(t, p, prog, "socket", in, "inet"); code != 0 {
				t.Errorf("AF_INET under the profile: exit %d, stderr %q", code, stderr)
			}
			if _, _, code := runUnder(t, p, prog, "socket", in, "unix"); code != 3 {
				t.Errorf("AF_UNIX under the profile: exit %d, want 3 (EPERM)", code)
			}
			// Without the arguments the profile allows any family.
			loose := mustProfile(t, r, ProfileOptions{IgnoreArgs: true})
			if _, _, code := runUnder(t, loose, prog, "socket", in, "unix"); code != 0 {
				t.Errorf("AF_UNIX under the profile without arguments: exit %d, want 0", code)
			}
		})
	}
}

// The two backends see the same calls of a deterministic program. Counts
// may differ (a notification interrupted by a signal is restarted); the
// sets may not.
func TestBackendsAgree(t *testing.T) {
	needBackend(t, BackendEBPF)
	needBackend(t, BackendNotify)
	cases := map[string][]string{
		"i386":     {i386Program(t)},
		"pipeline": {"sh", "-c", "ls / | wc -l"},
		"cat":      {"cat", "/etc/hostname"},
	}
	for name, argv := range cases {
		t.Run(name, func(t *testing.T) {
			e, _ := record(t, BackendEBPF, true, argv...)
			n, _ := record(t, BackendNotify, true, argv...)
			es, ns := e.Syscalls(), n.Syscalls()
			if !slices.Equal(es, ns) {
				t.Errorf("syscall sets differ:\n  ebpf only:   %v\n  notify only: %v", minus(es, ns), minus(ns, es))
			}
			for k, ev := range e.ArgValues {
				nv := n.ArgValues[k]
				for v := range ev {
					if nv[v] == 0 {
						t.Errorf("%v a%d: value %#x seen by ebpf only", k.Key, k.Arg, v)
					}
				}
			}
		})
	}
}

func minus(a, b []Key) []Key {
	var out []Key
	for _, k := range a {
		if !slices.Contains(b, k) {
			out = append(out, k)
		}
	}
	return out
}

func keyFor(t testing.TB, abi, name string) Key {
	t.Helper()
	a, err := arch.Lookup(abi)
	if err != nil {
		t.Fatal(err)
	}
	nr, ok := a.Syscall(name)
	if !ok {
		t.Fatalf("%s has no %s", abi, name)
	}
	return Key{Arch: a.Name, Nr: nr, Name: name}
}

// The notify backend works for an unprivileged user, and the eBPF one does
// not.
func TestNotifyUnprivileged(t *testing.T) {
	needBackend(t, BackendNotify)
	if os.Getuid() != 0 {
		t.Skip("needs root to drop to nobody")
	}
	// The test binary sits in a directory only root may enter.
	bin := filepath.Join(tmpDir, "record.test")
	if err := copyFile(os.Args[0], bin); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "sh", "-c", "echo hi >/dev/null")
	cmd.Env = append(os.Environ(), envUnpriv+"=1")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("unprivileged recorder: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if lines[0] != "uid=65534 ebpf-available=false exit=0" {
		t.Errorf("first line = %q", lines[0])
	}
	for _, want := range []string{"x86_64:execve", "x86_64:exit_group", "x86_64:openat"} {
		if !slices.Contains(lines, want) {
			t.Errorf("recording lacks %s:\n%s", want, out)
		}
	}
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// What the command leaves behind is killed when its first process exits,
// and the recording has what it did until then.
func TestLeftoversKilled(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			pidFile := filepath.Join(t.TempDir(), "pid")
			r, _ := record(t, b, false, "sh", "-c", "sleep 1000 & echo $! > "+pidFile)
			if r.ExitCode != 0 {
				t.Fatalf("exit %d", r.ExitCode)
			}
			data, err := os.ReadFile(pidFile)
			if err != nil {
				t.Fatal(err)
			}
			pid := strings.TrimSpace(string(data))
			// The listener can hang up while a killed task is still in
			// do_exit (PF_EXITING, state R): give it a moment to be gone.
			// One that was never killed sleeps on.
			var st []byte
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if st, err = os.ReadFile("/proc/" + pid + "/stat"); err != nil || strings.Contains(string(st), ") Z ") {
					break
				}
			}
			if err == nil && !strings.Contains(string(st), ") Z ") {
				t.Errorf("sleep (pid %s) still runs 5s after the recording: %s", pid, st)
			}
			if m := has(r, "x86_64", "clone", "execve"); len(m) > 0 {
				t.Errorf("recording lacks %v", m)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, nil, Options{}); !errors.Is(err, ErrNoCommand) {
		t.Errorf("Run(nil) = %v, want ErrNoCommand", err)
	}
	if _, err := Run(ctx, []string{"true"}, Options{Backend: "ptrace"}); !errors.Is(err, ErrUnknownBackend) {
		t.Errorf("Run(backend ptrace) = %v, want ErrUnknownBackend", err)
	}
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			needBackend(t, b)
			_, err := Run(ctx, []string{"/nonexistent/command"}, Options{Backend: b})
			if err == nil || !strings.Contains(err.Error(), "/nonexistent/command") {
				t.Errorf("Run(nonexistent) = %v, want an error naming the command", err)
			}
			r, err := Run(ctx, []string{"sh", "-c", "exit 7"}, Options{Backend: b})
			if err != nil || r.ExitCode != 7 {
				t.Errorf("Run(exit 7) = %v, %v; want exit code 7", r, err)
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := Run(cctx, []string{"sleep", "1000"}, Options{Backend: b}); err == nil {
				t.Errorf("Run with a cancelled context succeeded")
			}
		})
	}
}

// BenchmarkOverhead runs a loop of getppid calls (prog loop N: N calls) with
// no recorder and with each backend; compare the ns/op.
func BenchmarkOverhead(b *testing.B) {
	prog := testProg(b)
	const n = "200000"
	b.Run("none", func(b *testing.B) {
		for b.Loop() {
			if err := exec.Command(prog, "loop", n).Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, be := range backends {
		b.Run(be, func(b *testing.B) {
			needBackend(b, be)
			for b.Loop() {
				r, err := Run(context.Background(), []string{prog, "loop", n}, Options{Backend: be})
				if err != nil {
					b.Fatal(err)
				}
				if r.Counts[Key{Arch: "x86_64", Nr: 110, Name: "getppid"}] != 200000 {
					b.Fatalf("getppid counted %d times", r.Counts[Key{Arch: "x86_64", Nr: 110, Name: "getppid"}])
				}
			}
		})
	}
}
