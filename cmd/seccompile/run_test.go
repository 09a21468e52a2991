package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seccompile/seccompile/record"
)

// The run and record tests execute real commands under real filters: the
// binary installs them in its child, never in the test process.

func needCommand(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s is not installed", name)
	}
}

func TestRun(t *testing.T) {
	needCommand(t, "unshare")
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr []string // substrings of stderr, in order
	}{
		{"docker blocks unshare(CLONE_NEWUSER)", []string{"run", "--builtin", "docker", "--", "unshare", "--user", "true"},
			1, []string{"Operation not permitted"}},
		{"docker --log names the denied call", []string{"run", "--builtin", "docker", "--log", "--", "unshare", "--user", "true"},
			1, []string{"syscalls logged, denied or killed by the profile", "ERRNO(1)", "unshare", "1"}},
		{"docker allows an ordinary command", []string{"run", "--builtin", "docker", "--", "sh", "-c", "exit 0"}, 0, nil},
		{"exit status is the command's", []string{"run", "--builtin", "docker", "--", "sh", "-c", "exit 7"}, 7, nil},
		{"violation stops the command at execve", []string{"run", "--profile", "../../examples/violation.json", "--", "true"},
			126, []string{"exec", "operation not permitted"}},
		{"violation --log shows the denied execve", []string{"run", "--profile", "../../examples/violation.json", "--log", "--", "true"},
			126, []string{"ERRNO(1)", "execve"}},
		{"audit --log lists the logged calls", []string{"run", "--profile", "../../examples/audit.json", "--log", "--", "true"},
			0, []string{"LOG", "execve", "exit_group"}},
		{"a seccomp kill is reported as one", []string{"run", "--profile", "testdata/kill-getdents.json", "--", "ls", "/"},
			128 + 31, []string{"killed by seccomp: SIGSYS"}},
		{"a command that does not exist", []string{"run", "--builtin", "docker", "--", "/nonexistent/command"},
			127, []string{"/nonexistent/command"}},
		{"no command", []string{"run", "--builtin", "docker"}, 2, []string{"no command given"}},
		{"no profile", []string{"run", "--", "true"}, 2, nil},
		{"a profile that does not parse", []string{"run", "--profile", "testdata/bad-syntax.json", "--", "true"},
			1, []string{"testdata/bad-syntax.json"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := cli(t, c.args...)
			if r.code != c.code {
				t.Fatalf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, c.code, r.stdout, r.stderr)
			}
			rest := r.stderr
			for _, s := range c.stderr {
				i := strings.Index(rest, s)
				if i < 0 {
					t.Fatalf("stderr lacks %q (after the earlier parts):\n%s", s, r.stderr)
				}
				rest = rest[i+len(s):]
			}
		})
	}
}

// serveOnce runs the echo server under profile, sends it one request and
// returns the answer and the run's exit status.
func serveOnce(t *testing.T, profile string) (answer string, code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "--profile", profile, "--", echoServer(t), "-n", "1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on "); ok {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(c, "GET / HTTP/1.0\r\nHost: test\r\n\r\n")
		b, _ := io.ReadAll(c)
		c.Close()
		answer = string(b)
	}
	io.Copy(io.Discard, out)
	err = cmd.Wait()
	code = cmd.ProcessState.ExitCode()
	if err != nil && code < 0 {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	return answer, code, errb.String()
}

// The Kubernetes tutorial's fine-grained profile, as our example: the
// static echo server runs and answers under it, and cannot even start
// under violation.json.
func TestRunFineGrainedServer(t *testing.T) {
	answer, code, stderr := serveOnce(t, "../../examples/fine-grained.json")
	if code != 0 || !strings.Contains(answer, "just made some syscalls!") {
		t.Fatalf("under fine-grained.json: exit %d, answer %q\nstderr:\n%s", code, answer, stderr)
	}
	answer, code, _ = serveOnce(t, "../../examples/violation.json")
	if code == 0 || answer != "" {
		t.Fatalf("under violation.json: exit %d, answer %q; want a failed start", code, answer)
	}
}

// TestRecordThenRun records a shell pipeline with each backend, runs it under
// the recorded profile, and checks that a variant needing more is stopped.
func TestRecordThenRun(t *testing.T) {
	avail := record.Available()
	for _, backend := range []string{"ebpf", "notify"} {
		t.Run(backend, func(t *testing.T) {
			if err := avail[backend]; err != nil {
				t.Skipf("backend %s: %v", backend, err)
			}
			dir := t.TempDir()
			prof := filepath.Join(dir, "pipeline.json")
			pipeline := "ls / | wc -l"
			r := cli(t, "record", "--backend", backend, "-o", prof, "--", "sh", "-c", pipeline)
			if r.code != 0 || !strings.Contains(r.stderr, "recorded") {
				t.Fatalf("record: exit %d\n%s", r.code, r.stderr)
			}
			want := cli(t, "run", "--builtin", "docker", "--", "sh", "-c", pipeline).stdout
			if r.stdout != want {
				t.Errorf("recorded command printed %q, want %q", r.stdout, want)
			}
			r = cli(t, "run", "--profile", prof, "--", "sh", "-c", pipeline)
			if r.code != 0 || r.stdout != want {
				t.Fatalf("run under the recorded profile: exit %d, stdout %q (want %q)\n%s", r.code, r.stdout, want, r.stderr)
			}
			// sleep needs clock_nanosleep, which the pipeline never made.
			r = cli(t, "run", "--profile", prof, "--", "sh", "-c", pipeline+"; sleep 0")
			if r.code == 0 {
				t.Fatalf("a variant that sleeps ran under the pipeline's profile:\n%s", r.stderr)
			}
			// --merge adds a second run: now the variant is allowed.
			r = cli(t, "record", "--backend", backend, "--merge", prof, "-o", prof, "--", "sh", "-c", pipeline+"; sleep 0")
			if r.code != 0 {
				t.Fatalf("record --merge: exit %d\n%s", r.code, r.stderr)
			}
			r = cli(t, "run", "--profile", prof, "--", "sh", "-c", pipeline+"; sleep 0")
			if r.code != 0 {
				t.Fatalf("the variant under the merged profile: exit %d\n%s", r.code, r.stderr)
			}
		})
	}
}

func TestRecordOutputs(t *testing.T) {
	if avail := record.Available(); avail["ebpf"] != nil && avail["notify"] != nil {
		t.Skip("no recording backend works here")
	}
	dir := t.TempDir()
	gofile := filepath.Join(dir, "sandbox.go")
	r := cli(t, "record", "--format", "go", "--package", "sb", "--summary", "-o", gofile, "--", "true")
	if r.code != 0 {
		t.Fatalf("record --format go: exit %d\n%s", r.code, r.stderr)
	}
	src, err := os.ReadFile(gofile)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"package sb", "var Policy = &compiler.Policy{", `"execve"`, "func Install() error"} {
		if !strings.Contains(string(src), s) {
			t.Errorf("Go source lacks %q:\n%s", s, src)
		}
	}
	for _, s := range []string{"ABI", "SYSCALL", "CALLS", "execve"} {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("--summary output lacks %q:\n%s", s, r.stderr)
		}
	}
	r = cli(t, "record", "--args", "--", "sh", "-c", "exec 3<&0")
	if r.code != 0 || !strings.Contains(r.stdout, `"SCMP_ARCH_X86_64"`) {
		t.Fatalf("record --args to stdout: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"record", "--backend", "ptrace", "--", "true"}, 2, "the unprivileged backend is notify"},
		{[]string{"record", "--backend", "strace", "--", "true"}, 2, "strace"},
		{[]string{"record", "-o", filepath.Join(dir, "x.json")}, 2, "no command given"},
		{[]string{"record", "--format", "go", "--merge", "x.json", "--", "true"}, 2, "--merge"},
		{[]string{"record", "--format", "go", "--package", "1x", "--", "true"}, 2, "not a Go package name"},
		{[]string{"record", "--merge", "testdata/bad-syntax.json", "--", "true"}, 1, "testdata/bad-syntax.json"},
		{[]string{"record", "--", "/nonexistent/command"}, 1, "/nonexistent/command"},
	} {
		r := cli(t, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("seccompile %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), r.code, r.stderr, c.code, c.msg)
		}
	}
}
