package main

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Paths the tests use, relative to this package's directory.
const (
	examplesDir = "../../examples"
	corpusDir   = "../../../shared/profiles" // the shared corpus beside the module root
	libseccomp  = "testdata/libseccomp/libseccomp.bpf"
)

// evalCase is one call and the action it must get. The expected actions come
// from reading the profiles (and for libseccomp.bpf, gen.c), not from
// seccompile's output.
type evalCase struct {
	name string
	args []string
	want string
}

func TestEval(t *testing.T) {
	fine := filepath.Join(examplesDir, "fine-grained.json")
	tests := []evalCase{
		// Docker's default (moby/profiles): AF_VSOCK (40) and AF_ALG (38)
		// are not in its socket family list, AF_INET is.
		{"docker socket AF_VSOCK", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "socket", "--args", "40,1,0"}, "ERRNO(1)"},
		{"docker socket AF_INET", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "socket", "--args", "2,1,0"}, "ALLOW"},
		{"docker socket AF_ALG hex", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "socket", "--args", "0x26"}, "ERRNO(1)"},
		{"docker unshare without CAP_SYS_ADMIN", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "unshare"}, "ERRNO(1)"},
		{"docker unshare with CAP_SYS_ADMIN", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "unshare", "--caps", "SYS_ADMIN"}, "ALLOW"},
		{"docker clone CLONE_NEWUSER", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "clone", "--args", "0x10000000"}, "ERRNO(1)"},
		{"docker clone SIGCHLD", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "clone", "--args", "17"}, "ALLOW"},
		{"docker i386 getppid", []string{"--builtin", "docker", "--arch", "386", "--syscall", "getppid"}, "ALLOW"},
		{"docker x32 getppid", []string{"--builtin", "docker", "--arch", "x32", "--syscall", "getppid"}, "ALLOW"},
		{"docker arm64 by OCI name", []string{"--builtin", "docker", "--arch", "SCMP_ARCH_AARCH64", "--syscall", "getppid"}, "ALLOW"},
		{"docker number beyond the table", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "999"}, "ERRNO(38)"},
		{"docker number beyond the table, runc", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "999", "--unknown", "default"}, "ERRNO(1)"},
		{"docker syscall(-1)", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "-1"}, "ERRNO(38)"},
		{"flags after a value-less order", []string{"--syscall", "read", "--arch", "amd64", "--builtin", "docker"}, "ALLOW"},
		// The Kubernetes tutorial's kinds of profile, ours.
		{"audit", []string{"--profile", filepath.Join(examplesDir, "audit.json"), "--arch", "amd64", "--syscall", "execve"}, "LOG"},
		{"violation", []string{"--profile", filepath.Join(examplesDir, "violation.json"), "--arch", "amd64", "--syscall", "write"}, "ERRNO(1)"},
		{"fine-grained write", []string{"--profile", fine, "--arch", "amd64", "--syscall", "write"}, "ALLOW"},
		{"fine-grained prctl PR_SET_VMA", []string{"--profile", fine, "--arch", "amd64", "--syscall", "prctl", "--args", "0x53564d41"}, "ALLOW"},
		{"fine-grained prctl PR_SET_NO_NEW_PRIVS", []string{"--profile", fine, "--arch", "amd64", "--syscall", "prctl", "--args", "38,1"}, "ERRNO(1)"},
		{"fine-grained prctl PR_SET_VMA high word set", []string{"--profile", fine, "--arch", "amd64", "--syscall", "prctl", "--args", "0x153564d41"}, "ERRNO(1)"},
		{"fine-grained socket AF_INET6", []string{"--profile", fine, "--arch", "amd64", "--syscall", "socket", "--args", "10"}, "ALLOW"},
		{"fine-grained socket AF_UNIX", []string{"--profile", fine, "--arch", "amd64", "--syscall", "socket", "--args", "1"}, "ERRNO(1)"},
		{"fine-grained ptrace", []string{"--profile", fine, "--arch", "amd64", "--syscall", "ptrace"}, "ERRNO(1)"},
		// libseccomp's program (gen.c): EPERM default, KILL (thread) for
		// other ABIs and x32 numbers, socket only for AF_UNIX, also
		// through i386's socketcall(SYS_SOCKET=1, ...).
		{"libseccomp read", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "read"}, "ALLOW"},
		{"libseccomp getppid", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "getppid"}, "KILL_PROCESS"},
		{"libseccomp openat", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "openat"}, "ERRNO(13)"},
		{"libseccomp socket AF_UNIX", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "socket", "--args", "1"}, "ALLOW"},
		{"libseccomp socket AF_UNIX high word", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "socket", "--args", "0x100000001"}, "ERRNO(1)"},
		{"libseccomp socket AF_INET", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "socket", "--args", "2"}, "ERRNO(1)"},
		{"libseccomp mmap", []string{"--bpf", libseccomp, "--arch", "amd64", "--syscall", "mmap"}, "ERRNO(1)"},
		{"libseccomp x32", []string{"--bpf", libseccomp, "--arch", "x32", "--syscall", "read"}, "KILL_THREAD"},
		{"libseccomp i386 getppid", []string{"--bpf", libseccomp, "--arch", "386", "--syscall", "getppid"}, "KILL_PROCESS"},
		{"libseccomp i386 socketcall SYS_SOCKET", []string{"--bpf", libseccomp, "--arch", "386", "--syscall", "socketcall", "--args", "1"}, "ALLOW"},
		{"libseccomp i386 socketcall SYS_CONNECT", []string{"--bpf", libseccomp, "--arch", "386", "--syscall", "socketcall", "--args", "3"}, "ERRNO(1)"},
		{"libseccomp arm64", []string{"--bpf", libseccomp, "--arch", "arm64", "--syscall", "read"}, "KILL_THREAD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, append([]string{"eval"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
			}
			if got := strings.TrimSuffix(r.stdout, "\n"); got != tt.want {
				t.Errorf("got %q, want %q (one line)", r.stdout, tt.want)
			}
		})
	}
}

func TestEvalTrace(t *testing.T) {
	for _, args := range [][]string{
		{"--builtin", "docker", "--arch", "amd64", "--syscall", "socket", "--args", "40", "--trace"},
		{"--bpf", libseccomp, "--arch", "386", "--syscall", "socketcall", "--args", "1", "--trace"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			r := cli(t, append([]string{"eval"}, args...)...)
			if r.code != 0 {
				t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
			if len(lines) < 3 {
				t.Fatalf("want the instructions then the action, got:\n%s", r.stdout)
			}
			last := lines[len(lines)-1]
			if strings.Contains(last, " ") {
				t.Errorf("the last line is not the action alone: %q", last)
			}
			// Each trace line is an instruction of the listing, in order,
			// starting at 0 and ending with a return.
			if !strings.HasPrefix(strings.TrimSpace(lines[0]), "0000:") {
				t.Errorf("the first instruction executed is not 0000: %q", lines[0])
			}
			if ret := lines[len(lines)-2]; !strings.Contains(ret, "return") || !strings.Contains(ret, last) {
				t.Errorf("the last instruction %q does not return %s", ret, last)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no source", []string{"--arch", "amd64", "--syscall", "read"}, 2, "--profile FILE, --builtin docker or --bpf FILE"},
		{"two sources", []string{"--builtin", "docker", "--bpf", libseccomp, "--arch", "amd64", "--syscall", "read"}, 2, "cannot be used together"},
		{"no arch", []string{"--builtin", "docker", "--syscall", "read"}, 2, "--arch is required"},
		{"flag without value", []string{"--builtin", "docker", "--syscall", "read", "--arch"}, 2, "flag needs an argument: --arch"},
		{"no syscall", []string{"--builtin", "docker", "--arch", "amd64"}, 2, "--syscall is required"},
		{"unknown arch", []string{"--builtin", "docker", "--arch", "vax", "--syscall", "read"}, 2, "vax"},
		{"unknown builtin", []string{"--builtin", "podman", "--arch", "amd64", "--syscall", "read"}, 2, `--builtin "podman"`},
		{"unknown syscall", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "frobnicate"}, 1, `--syscall "frobnicate": no syscall of that name on x86_64`},
		{"syscall of another ABI", []string{"--builtin", "docker", "--arch", "arm64", "--syscall", "open"}, 1, "no syscall of that name on aarch64"},
		{"number too big", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "0x100000000"}, 2, "32 bits"},
		{"bad args", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "--args", "1,zz"}, 2, `argument 1 ("zz")`},
		{"seven args", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "--args", "1,2,3,4,5,6,7"}, 2, "at most 6"},
		{"arg too big", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "--args", "0x10000000000000000"}, 2, "argument 0"},
		{"bad caps", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "--caps", "CAP_SYS_ADMN"}, 2, `unknown capability "CAP_SYS_ADMN"`},
		{"bad kernel", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "--kernel", "six"}, 2, `--kernel "six"`},
		{"bad unknown", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "--unknown", "allow"}, 2, "must be one of enosys, default"},
		{"missing profile", []string{"--profile", "testdata/no-such.json", "--arch", "amd64", "--syscall", "read"}, 1, "testdata/no-such.json: no such file"},
		{"profile syntax", []string{"--profile", "testdata/bad-syntax.json", "--arch", "amd64", "--syscall", "read"}, 1, "testdata/bad-syntax.json: profile: line 4:24: syscalls[0]: malformed JSON"},
		{"profile field", []string{"--profile", "testdata/bad-action.json", "--arch", "amd64", "--syscall", "read"}, 1, `testdata/bad-action.json: profile: line 5:36: syscalls[1].action: unknown action "SCMP_ACT_FROBNICATE"`},
		{"truncated program", []string{"--bpf", "testdata/truncated.bpf", "--arch", "amd64", "--syscall", "read"}, 1, "10 bytes is not a whole number of 8-byte struct sock_filter"},
		{"rejected program", []string{"--bpf", "testdata/bad-offset.bpf", "--arch", "amd64", "--syscall", "read"}, 1, "instruction 0"},
		{"positional argument", []string{"--builtin", "docker", "--arch", "amd64", "--syscall", "read", "extra"}, 2, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, append([]string{"eval"}, tt.args...)...)
			checkError(t, r, tt.code, tt.stderr)
		})
	}
}

// checkError checks an error run: its status, one "seccompile: " message
// naming what went wrong, and nothing on stdout.
func checkError(t *testing.T, r result, code int, msg string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit status %d, want %d\nstderr:\n%s", r.code, code, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "seccompile: ") {
		t.Errorf("stderr does not start with \"seccompile: \":\n%s", r.stderr)
	}
	if !strings.Contains(r.stderr, msg) {
		t.Errorf("stderr does not say %q:\n%s", msg, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout not empty on error:\n%s", r.stdout)
	}
}

func TestCompileRaw(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "docker.bpf")
	r := cli(t, "compile", "--builtin", "docker", "--arch", "amd64,386", "-o", out)
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) == 0 || len(data)%8 != 0 {
		t.Fatalf("raw program of %d bytes, want a multiple of 8", len(data))
	}
	// The same bytes on stdout.
	r2 := cli(t, "compile", "--arch", "amd64,386", "--builtin", "docker")
	if r2.stdout != string(data) {
		t.Errorf("stdout (%d bytes) differs from -o FILE (%d bytes)", len(r2.stdout), len(data))
	}
	if v := cli(t, "verify", out); v.code != 0 || !strings.Contains(v.stdout, "ok: "+strconv.Itoa(len(data)/8)+" instructions") {
		t.Errorf("verify: exit status %d\nstdout:\n%s\nstderr:\n%s", v.code, v.stdout, v.stderr)
	}
	// The raw program and the profile must agree, call by call: eval
	// --bpf runs the bytes, eval --builtin compiles again and cross-checks
	// with the policy's own evaluation.
	for _, c := range [][]string{
		{"amd64", "socket", "40"}, {"amd64", "socket", "2"}, {"amd64", "unshare", "0"}, {"amd64", "clone", "0x10000000"},
		{"386", "socketcall", "1"}, {"386", "getppid", "0"}, {"x32", "read", "0"}, {"arm64", "read", "0"}, {"amd64", "999", "0"},
	} {
		a := cli(t, "eval", "--bpf", out, "--arch", c[0], "--syscall", c[1], "--args", c[2])
		b := cli(t, "eval", "--builtin", "docker", "--arch", c[0], "--syscall", c[1], "--args", c[2])
		if c[0] == "x32" || c[0] == "arm64" {
			// Not compiled in: the program answers with the bad-arch
			// action.
			if a.stdout != "KILL_PROCESS\n" {
				t.Errorf("%v: the amd64,386 program gives %q, want KILL_PROCESS", c, a.stdout)
			}
			continue
		}
		if a.code != 0 || b.code != 0 || a.stdout != b.stdout {
			t.Errorf("%v: eval --bpf says %q (exit %d), eval --builtin says %q (exit %d)\n%s%s", c, a.stdout, a.code, b.stdout, b.code, a.stderr, b.stderr)
		}
	}
}

func TestCompileText(t *testing.T) {
	r := cli(t, "compile", "--profile", filepath.Join(examplesDir, "fine-grained.json"), "--format", "text")
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"A = arch", "ARCH_X86_64", "return KILL_PROCESS", "return ALLOW", "return ERRNO(1)", "return ERRNO(38)", "0x53564d41"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("listing does not contain %q:\n%s", want, r.stdout)
		}
	}
}

func TestCompileGo(t *testing.T) {
	r := cli(t, "compile", "--builtin", "docker", "--format", "go", "--package", "sandbox", "--var", "dockerFilter")
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	f, err := parser.ParseFile(token.NewFileSet(), "filter.go", r.stdout, 0)
	if err != nil {
		t.Fatalf("not Go source: %v\n%s", err, r.stdout)
	}
	if f.Name.Name != "sandbox" {
		t.Errorf("package %s, want sandbox", f.Name.Name)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == "dockerFilter" {
			found = true
		}
		return true
	})
	if !found {
		t.Errorf("no declaration of dockerFilter:\n%s", r.stdout)
	}
	for _, bad := range []string{"--package=1x", "--var=a-b"} {
		checkError(t, cli(t, "compile", "--builtin", "docker", "--format", "go", bad), 2, "not a Go identifier")
	}
}

// The evaluated profile written as JSON means what the original means.
func TestCompileJSONRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, src := range []struct{ name, flag, value string }{
		{"docker", "--builtin", "docker"},
		{"fine-grained", "--profile", filepath.Join(examplesDir, "fine-grained.json")},
		{"podman", "--profile", filepath.Join(corpusDir, "podman-default.json")},
	} {
		t.Run(src.name, func(t *testing.T) {
			if src.flag == "--profile" {
				if _, err := os.Stat(src.value); err != nil {
					t.Skipf("corpus file missing: %v", err)
				}
			}
			out := filepath.Join(dir, src.name+".json")
			r := cli(t, "compile", src.flag, src.value, "--arch", "amd64", "--format", "json", "-o", out)
			if r.code != 0 {
				t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
			}
			orig := src.value
			if src.flag == "--builtin" {
				// diff takes files: the builtin as JSON through stdin
				// is what we test here, so compare with its own
				// second export instead.
				out2 := filepath.Join(dir, src.name+"-2.json")
				if r := cli(t, "compile", "--profile", out, "--arch", "amd64", "--format", "json", "-o", out2); r.code != 0 {
					t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
				}
				orig = out2
			}
			d := cli(t, "diff", orig, out, "--arch", "amd64")
			if d.code != 0 || d.stdout != "" {
				t.Errorf("diff of the profile and its export: exit %d\n%s%s", d.code, d.stdout, d.stderr)
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no profile", []string{"--format", "text"}, 2, "a profile is required"},
		{"both", []string{"--builtin", "docker", "--profile", "x.json"}, 2, "cannot be used together"},
		{"bad format", []string{"--builtin", "docker", "--format", "xml"}, 2, "must be one of raw, text, go, json"},
		{"bad arch in list", []string{"--builtin", "docker", "--arch", "amd64,vax", "--format", "text"}, 2, "vax"},
		{"empty arch list", []string{"--builtin", "docker", "--arch", ",", "--format", "text"}, 2, "--arch: empty list"},
		{"missing file", []string{"--profile", "testdata/no-such.json"}, 1, "testdata/no-such.json"},
		{"syntax", []string{"--profile", "testdata/bad-syntax.json"}, 1, "line 4:24"},
		{"field", []string{"--profile", "testdata/bad-action.json"}, 1, "syscalls[1].action"},
		{"unwritable output", []string{"--builtin", "docker", "-o", "testdata/no-such-dir/x.bpf"}, 1, "no-such-dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, cli(t, append([]string{"compile"}, tt.args...)...), tt.code, tt.stderr)
		})
	}
}

func TestCompileStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(examplesDir, "violation.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := cliIn(t, string(data), "compile", "--profile", "-", "--format", "text")
	if r.code != 0 || !strings.Contains(r.stdout, "return ERRNO(1)") {
		t.Errorf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

func TestVerify(t *testing.T) {
	r := cli(t, "verify", libseccomp)
	if r.code != 0 || r.stdout != libseccomp+": ok: 29 instructions, 40 after the kernel's conversion to eBPF (budget 32768 for all stacked filters)\n" {
		t.Errorf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	checkError(t, cli(t, "verify", "testdata/bad-offset.bpf"), 1,
		"testdata/bad-offset.bpf: the kernel would reject this program: instruction 0 (ld [66]): seccomp_data offset 66 is not 4-aligned and < 64")
	checkError(t, cli(t, "verify", "testdata/truncated.bpf"), 1, "10 bytes is not a whole number")
	checkError(t, cli(t, "verify", "testdata/no-such.bpf"), 1, "testdata/no-such.bpf")
	checkError(t, cli(t, "verify"), 2, "want one program file, got 0")
	checkError(t, cli(t, "verify", "a.bpf", "b.bpf"), 2, "want one program file, got 2")
	data, err := os.ReadFile(libseccomp)
	if err != nil {
		t.Fatal(err)
	}
	if r := cliIn(t, string(data), "verify", "-"); r.code != 0 || !strings.HasPrefix(r.stdout, "stdin: ok") {
		t.Errorf("verify -: exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestLibseccompFixture rebuilds testdata/libseccomp/libseccomp.bpf with
// libseccomp itself when gcc and libseccomp-dev are installed, so that the
// committed bytes are known to be libseccomp's.
func TestLibseccompFixture(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed")
	}
	if _, err := os.Stat("/usr/include/seccomp.h"); err != nil {
		t.Skip("libseccomp-dev not installed (no /usr/include/seccomp.h)")
	}
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen")
	if b, err := exec.Command(gcc, "-o", gen, "testdata/libseccomp/gen.c", "-lseccomp").CombinedOutput(); err != nil {
		t.Skipf("building gen.c against libseccomp: %v\n%s", err, b)
	}
	out := filepath.Join(dir, "out.bpf")
	if b, err := exec.Command(gen, out).CombinedOutput(); err != nil {
		t.Fatalf("gen: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(libseccomp)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("libseccomp writes %d bytes, the fixture has %d: regenerate it with gen.c (see its comment)", len(got), len(want))
	}
}

func TestDisasmLibseccomp(t *testing.T) {
	args := []string{"disasm", libseccomp}
	r := cli(t, args...)
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	golden(t, "disasm-libseccomp", transcript(args, r))
	// Flags after the file, and --arch, are accepted.
	if r := cli(t, "disasm", libseccomp, "--arch", "amd64"); r.code != 0 || !strings.Contains(r.stdout, "getppid") {
		t.Errorf("disasm FILE --arch amd64: exit status %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkError(t, cli(t, "disasm", "testdata/truncated.bpf"), 1, "not a whole number")
	checkError(t, cli(t, "disasm"), 2, "want one program file")
	checkError(t, cli(t, "disasm", libseccomp, "--arch", "pdp11"), 2, "pdp11")
}

func TestDiff(t *testing.T) {
	args := []string{"diff", "testdata/diff-a.json", "testdata/diff-b.json", "--arch", "amd64"}
	r := cli(t, args...)
	if r.code != 1 || r.stderr != "" {
		t.Errorf("profiles that differ: exit status %d (want 1), stderr:\n%s", r.code, r.stderr)
	}
	golden(t, "diff-a-b", transcript(args, r))

	if r := cli(t, "diff", "testdata/diff-a.json", "testdata/diff-a.json"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("equal profiles: exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// Unknown numbers follow --unknown: with runc's meaning they take the
	// default action, which differs here.
	r = cli(t, "diff", "testdata/diff-a.json", "testdata/diff-allow.json", "--unknown", "default")
	if r.code != 1 || !strings.Contains(r.stdout, "table does not know") || !strings.Contains(r.stdout, ": ERRNO(1) → ALLOW") {
		t.Errorf("exit status %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if r := cli(t, "diff", "testdata/diff-a.json", "testdata/diff-allow.json"); strings.Contains(r.stdout, "table does not know") {
		t.Errorf("with --unknown enosys both answer ENOSYS, yet:\n%s", r.stdout)
	}
	// Errors are told from differences by stderr.
	checkError(t, cli(t, "diff", "testdata/diff-a.json", "testdata/bad-action.json"), 1, "testdata/bad-action.json: profile: line 5:36")
	checkError(t, cli(t, "diff", "testdata/diff-a.json"), 2, "want two profile files, got 1")
	checkError(t, cli(t, "diff", "testdata/diff-a.json", "testdata/diff-b.json", "--arch", "vax"), 2, "vax")
}

// The two Docker defaults: the 2025 copy in moby/moby (corpus) allows every
// socket family but AF_VSOCK (40); moby/profiles v0.3.0 (--builtin docker)
// allows a list of families.
func TestDiffDockerVersions(t *testing.T) {
	old := filepath.Join(corpusDir, "docker-default-moby-2025-07.json")
	if _, err := os.Stat(old); err != nil {
		t.Skipf("corpus file missing: %v", err)
	}
	dir := t.TempDir()
	builtin := filepath.Join(dir, "docker.json")
	if r := cli(t, "compile", "--builtin", "docker", "--arch", "amd64", "--format", "json", "-o", builtin); r.code != 0 {
		t.Fatalf("exit status %d\n%s", r.code, r.stderr)
	}
	r := cli(t, "diff", old, builtin, "--arch", "amd64")
	if r.code != 1 {
		t.Fatalf("exit status %d, want 1\n%s%s", r.code, r.stdout, r.stderr)
	}
	// moby/profiles v0.3.0 allows AF_UNSPEC..AF_INET (a0 < 3) and the
	// families 7-10, 13-18, 21, 22, 24, 26-33, 35, 36, 39, 41-45
	// (default_linux.go, allowedSocketDomains); the old profile allows all
	// but 40. So these become denied:
	want := "socket: ALLOW → ERRNO(1) when (a0 in 3..6 || a0 in 11..12 || a0 in 19..20 || a0 == 23 || a0 == 25 || a0 == 34 || a0 in 37..38 || a0 >= 46)"
	if !strings.Contains(r.stdout, want+"\n") {
		t.Errorf("want the line\n%s\ngot:\n%s", want, r.stdout)
	}
}

func TestStats(t *testing.T) {
	r := cli(t, "stats", "--profile", filepath.Join(examplesDir, "fine-grained.json"), "-v")
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"ABIs:     x86_64 (other ABIs: KILL_PROCESS)",
		"actions:  default ERRNO(1), unknown syscall numbers ERRNO(38)",
		"program:  ",
		"proof:    equal to the profile on every input class",
		"prctl: ALLOW if a0 == 0x53564d41",
		"socket: ALLOW if a0 in {2, 10}",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stats does not say %q:\n%s", want, r.stdout)
		}
	}
	// -v: one line per syscall with what it may get.
	if !strings.Contains(r.stdout, "socket") || !lineMatches(r.stdout, "x86_64", "41", "socket", "ERRNO(1)|ALLOW") {
		t.Errorf("no per-syscall line for socket with ERRNO(1)|ALLOW:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "warnings:") {
		t.Errorf("the fine-grained example has no warnings, yet:\n%s", r.stdout)
	}

	// A deny-list with holes: open denied but openat allowed; socket
	// denied on i386 but socketcall allowed.
	r = cli(t, "stats", "--profile", "testdata/denylist.json")
	for _, want := range []string{
		"hole: x86_64: open denied but openat, openat2, creat allowed",
		"hole: i386: socket denied but socketcall allowed",
		"hole: x86_64: ptrace denied but process_vm_readv, process_vm_writev allowed",
		"note: deny-list on x86_64: calls from the ABIs the x86_64 kernel also runs (x32)",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stats does not say %q:\n%s", want, r.stdout)
		}
	}

	// Docker's default on x86_64: every unconditional allow is cached.
	r = cli(t, "stats", "--builtin", "docker", "--arch", "amd64")
	if r.code != 0 || strings.Contains(r.stdout, "allowed but not cached") {
		t.Errorf("exit status %d; want every allowed syscall cached:\n%s%s", r.code, r.stdout, r.stderr)
	}
	checkError(t, cli(t, "stats"), 2, "a profile is required")
}

// lineMatches reports whether some line of s has all the fields, in order.
func lineMatches(s string, fields ...string) bool {
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		i := 0
		for _, x := range f {
			if i < len(fields) && x == fields[i] {
				i++
			}
		}
		if i == len(fields) {
			return true
		}
	}
	return false
}
