package record

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
	"github.com/seccompile/seccompile/seccomp"
)

// Child modes of the test binary, chosen by environment variable. The test
// process itself never installs a filter: runUnder re-executes the test
// binary, which installs the filter and execs the command.
const (
	envFilter = "RECORD_TEST_FILTER" // file with a raw program: install it, then exec os.Args[1:]
	envUnpriv = "RECORD_TEST_UNPRIV" // record os.Args[1:] with the notify backend and print the keys
)

var tmpDir string

func TestMain(m *testing.M) {
	if f := os.Getenv(envFilter); f != "" {
		execUnderFilter(f, os.Args[1:])
	}
	if os.Getenv(envUnpriv) != "" {
		recordUnprivileged(os.Args[1:])
	}
	var err error
	tmpDir, err = os.MkdirTemp("", "record-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Chmod(tmpDir, 0o755)
	code := m.Run()
	os.RemoveAll(tmpDir)
	os.Exit(code)
}

// execUnderFilter installs the program in file on this thread only (no
// TSYNC: the other threads of this Go process disappear at execve) and execs
// argv, so that the filter judges exactly what the command does from its
// execve on, as a recording sees it.
func execUnderFilter(file string, argv []string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "filter child:", err)
		os.Exit(125)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		fail(err)
	}
	insns, err := compiler.UnmarshalInsns(b)
	if err != nil {
		fail(err)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fail(err)
	}
	var env []string
	for _, e := range os.Environ() {
		if len(e) < len(envFilter) || e[:len(envFilter)] != envFilter {
			env = append(env, e)
		}
	}
	runtime.LockOSThread()
	if err := seccomp.SetNoNewPrivs(); err != nil {
		fail(err)
	}
	if _, err := seccomp.SetFilter(insns, 0); err != nil {
		fail(err)
	}
	err = syscall.Exec(path, argv, env)
	os.Exit(126)
}

// recordUnprivileged runs in a child that has dropped to nobody.
func recordUnprivileged(argv []string) {
	avail := Available()
	r, err := Run(context.Background(), argv, Options{Backend: BackendNotify})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("uid=%d ebpf-available=%v exit=%d\n", os.Getuid(), avail[BackendEBPF] == nil, r.ExitCode)
	for _, k := range r.Syscalls() {
		fmt.Println(k)
	}
	os.Exit(0)
}

var (
	progOnce sync.Once
	progPath string
	progErr  error
)

// testProg builds testdata/prog with CGO_ENABLED=0, once.
func testProg(t testing.TB) string {
	t.Helper()
	progOnce.Do(func() {
		progPath = filepath.Join(tmpDir, "prog")
		cmd := exec.Command("go", "build", "-o", progPath, "./testdata/prog")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			progErr = fmt.Errorf("build testdata/prog: %v\n%s", err, out)
		}
	})
	if progErr != nil {
		t.Fatal(progErr)
	}
	return progPath
}

// i386Program writes a static i386 ELF executable that, through int $0x80,
// calls getpid, writes "i386\n" to stdout and exits 0: a real compat task
// (the kernel runs it with TS_COMPAT on every call and a 32-bit personality).
func i386Program(t testing.TB) string {
	t.Helper()
	const base = 0x08048000
	const hdr = 52 + 32
	msg := []byte("i386\n")
	var code []byte
	movEAX := func(v uint32) { code = binary.LittleEndian.AppendUint32(append(code, 0xb8), v) }
	movEBX := func(v uint32) { code = binary.LittleEndian.AppendUint32(append(code, 0xbb), v) }
	movECX := func(v uint32) { code = binary.LittleEndian.AppendUint32(append(code, 0xb9), v) }
	movEDX := func(v uint32) { code = binary.LittleEndian.AppendUint32(append(code, 0xba), v) }
	int80 := func() { code = append(code, 0xcd, 0x80) }
	const codeLen = 5 + 2 + 5 + 5 + 5 + 5 + 2 + 5 + 5 + 2
	movEAX(20) // getpid
	int80()
	movEAX(4) // write(1, msg, len)
	movEBX(1)
	movECX(base + hdr + codeLen)
	movEDX(uint32(len(msg)))
	int80()
	movEAX(1) // exit(0)
	movEBX(0)
	int80()
	if len(code) != codeLen {
		t.Fatalf("i386 code is %d bytes, want %d", len(code), codeLen)
	}
	size := uint32(hdr + len(code) + len(msg))
	var b bytes.Buffer
	b.Write([]byte{0x7f, 'E', 'L', 'F', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	le(uint16(2))          // e_type ET_EXEC
	le(uint16(3))          // e_machine EM_386
	le(uint32(1))          // e_version
	le(uint32(base + hdr)) // e_entry
	le(uint32(52))         // e_phoff
	le(uint32(0))          // e_shoff
	le(uint32(0))          // e_flags
	le(uint16(52))         // e_ehsize
	le(uint16(32))         // e_phentsize
	le(uint16(1))          // e_phnum
	le(uint16(0))          // e_shentsize
	le(uint16(0))          // e_shnum
	le(uint16(0))          // e_shstrndx
	le(uint32(1))          // p_type PT_LOAD
	le(uint32(0))          // p_offset
	le(uint32(base))       // p_vaddr
	le(uint32(base))       // p_paddr
	le(size)               // p_filesz
	le(size)               // p_memsz
	le(uint32(5))          // p_flags R|X
	le(uint32(0x1000))     // p_align
	b.Write(code)
	b.Write(msg)
	p := filepath.Join(tmpDir, "i386")
	if err := os.WriteFile(p, b.Bytes(), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// needBackend skips the test when backend b cannot run here.
func needBackend(t testing.TB, b string) {
	t.Helper()
	if err := Available()[b]; err != nil {
		t.Skipf("backend %s: %v", b, err)
	}
}

// runUnder runs argv under profile p the way a runtime would: the profile's
// JSON is parsed back, evaluated, compiled, and installed in a child just
// before it execs argv. It returns stdout, stderr and the exit code.
func runUnder(t *testing.T, p *profile.Profile, argv ...string) (string, string, int) {
	t.Helper()
	js, err := p.MarshalJSON()
	if err != nil {
		t.Fatalf("MarshalJSON: %v", err)
	}
	back, err := profile.Parse(js)
	if err != nil {
		t.Fatalf("Parse(own JSON): %v\n%s", err, js)
	}
	pol, _, err := back.Policy(profile.Options{})
	if err != nil {
		t.Fatalf("Policy: %v\n%s", err, js)
	}
	prog, err := compiler.Compile(pol)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	raw, err := prog.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "filter.bpf")
	if err := os.WriteFile(f, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], argv...)
	cmd.Env = append(os.Environ(), envFilter+"="+f)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run under profile: %v", err)
	}
	code := cmd.ProcessState.ExitCode()
	if code == 125 || code == 126 {
		t.Fatalf("filter child failed (%d): %s", code, stderr.String())
	}
	return stdout.String(), stderr.String(), code
}
