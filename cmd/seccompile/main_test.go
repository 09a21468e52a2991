package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// The tests drive the real binary: TestMain builds it once with
// CGO_ENABLED=0 (what users ship), and each test execs it as a user would.

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// bin is the path of the seccompile binary built by TestMain.
var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "seccompile-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "seccompile")
	if err := goBuild(bin, "."); err != nil {
		fmt.Fprintln(os.Stderr, "building seccompile:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// goBuild builds pkg into out, static and without cgo.
func goBuild(out, pkg string) error {
	cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return nil
}

var (
	echoOnce sync.Once
	echoBin  string
	echoErr  error
)

// echoServer builds examples/echoserver once, with CGO_ENABLED=0, as the
// fine-grained example profile expects.
func echoServer(t *testing.T) string {
	t.Helper()
	echoOnce.Do(func() {
		echoBin = filepath.Join(filepath.Dir(bin), "echoserver")
		echoErr = goBuild(echoBin, "../../examples/echoserver")
	})
	if echoErr != nil {
		t.Fatal(echoErr)
	}
	return echoBin
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// cli runs the binary with args in the package directory, with stdin empty.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	return cliIn(t, "", args...)
}

func cliIn(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
		if r.code < 0 {
			t.Fatalf("seccompile %s: %v\nstderr:\n%s", strings.Join(args, " "), err, r.stderr)
		}
	default:
		t.Fatalf("seccompile %s: %v", strings.Join(args, " "), err)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") ||
		strings.Contains(r.stderr, "internal error") {
		t.Errorf("seccompile %s: stack trace or internal error on stderr:\n%s", strings.Join(args, " "), r.stderr)
	}
	return r
}

// golden compares got with testdata/name.golden, or rewrites the file with
// -update. Golden files are reviewed in the diff like code.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			if shown++; shown == 10 {
				b.WriteString("  ...\n")
				break
			}
		}
	}
	return b.String()
}

// transcript renders a run the way a terminal shows it, for golden files.
func transcript(args []string, r result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ seccompile %s\n", strings.Join(args, " "))
	b.WriteString(r.stdout)
	if r.stderr != "" {
		b.WriteString("--- stderr\n")
		b.WriteString(r.stderr)
	}
	fmt.Fprintf(&b, "--- exit status %d\n", r.code)
	return b.String()
}

type usageCase struct {
	name   string
	args   []string
	code   int
	stdout string // substring of stdout
	stderr string // substring of stderr
}

func TestUsage(t *testing.T) {
	tests := []usageCase{
		{name: "no arguments", args: nil, code: 2, stderr: "Usage:"},
		{name: "help", args: []string{"help"}, code: 0, stdout: "compile  compile a profile"},
		{name: "--help", args: []string{"--help"}, code: 0, stdout: "Run 'seccompile help COMMAND'"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `seccompile: unknown command "frobnicate"`},
		{name: "help unknown command", args: []string{"help", "frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "unknown flag", args: []string{"compile", "--frob"}, code: 2, stderr: "seccompile: compile: flag provided but not defined: --frob"},
	}
	for _, c := range []string{"compile", "disasm", "verify", "eval", "stats", "diff", "run", "record"} {
		tests = append(tests,
			usageCase{name: c + " --help", args: []string{c, "--help"}, code: 0, stdout: "Example"},
			usageCase{name: "help " + c, args: []string{"help", c}, code: 0, stdout: "usage: seccompile " + c})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := cli(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, tt.stdout) {
				t.Errorf("stdout does not contain %q:\n%s", tt.stdout, r.stdout)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr does not contain %q:\n%s", tt.stderr, r.stderr)
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("stderr not empty on success:\n%s", r.stderr)
			}
			if tt.code != 0 && !strings.HasPrefix(r.stderr, "seccompile") {
				t.Errorf("error output does not start with \"seccompile\":\n%s", r.stderr)
			}
		})
	}
}

func TestHelpHasExample(t *testing.T) {
	for name, c := range commands {
		if !strings.Contains(c.help, "Example") {
			t.Errorf("%s: help has no example", name)
		}
		if !strings.Contains(c.help, "seccompile "+name) {
			t.Errorf("%s: the example does not run seccompile %s", name, name)
		}
	}
}
