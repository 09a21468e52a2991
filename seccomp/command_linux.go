package seccomp

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/internal/listenerfd"
)

// How Command works.
//
// The returned command runs the current executable again (/proc/self/exe)
// with argv[0] = helperArg0 and argv[1] = a spec carrying the flags, the
// no_new_privs choice, a status socket's fd number and the program in
// base64; then the target's path and argv. This package's init function
// recognises that argv and never returns to main: on one locked thread it
// sets no_new_privs, installs the program with seccomp(2) on that thread
// only (no TSYNC) and execve's the target from that thread. execve ends
// every other thread, so the target starts with exactly one thread, which
// has the filter. The helper's other threads never run under the filter,
// and the locked thread makes no system call between seccomp(2) and
// execve(2), so no policy can wedge the helper before the target starts,
// whatever it denies or notifies (a notified execve waits for the
// supervisor like any other call).
//
// The thread that installs cannot report anything without a system call,
// so a second goroutine, on another, unfiltered thread, does the talking:
// with NewListener it finds the listener in /proc/self/fd
// (internal/listenerfd) and sends it over the status socket with
// SCM_RIGHTS; it reports an execve that failed (the installing thread
// stores the errno, once the call has returned) on the socket and stderr,
// then exits 127 (not found) or 126. A failure before the filter is loaded
// exits 125 with a message. The installing thread tells the reporter
// nothing before its execve: a handshake through an atomic was a place
// where it could stop first (a signal's rt_sigreturn, or the race runtime's
// futex inside the atomic, waiting for a supervisor that has no listener
// yet) and hang the helper.
//
// Nothing should interrupt the installing thread with a signal between
// seccomp(2) and execve(2) (the handler would end in rt_sigreturn, and a
// preempted locked goroutine parks its thread in futex: calls the policy
// may deny), so the helper runs with GODEBUG=asyncpreemptoff=1 (the target
// gets its own GODEBUG back), GOMAXPROCS >= 2 so the reporter has a
// processor of its own, and the GC off. A signal sent to the process from
// outside can still land on that thread; and a binary built with -race
// makes the race runtime's own calls there.
const (
	helperArg0    = "seccompile-exec-helper"
	helperVersion = "v1"
)

func init() {
	if len(os.Args) >= 4 && os.Args[0] == helperArg0 && strings.HasPrefix(os.Args[1], helperVersion+":") {
		runHelper(os.Args[1], os.Args[2], os.Args[3:])
	}
}

// helperSpec is what argv[1] carries.
type helperSpec struct {
	flags    Flag
	nnp      bool
	statusFD int // -1: none
	insns    []bpf.RawInstruction
	// godebug records the target's own GODEBUG once the helper's
	// environment carries asyncpreemptoff=1: "-" not yet, "0" the target
	// had none, "1"+base64 its value.
	godebug string
}

func (s helperSpec) String() string {
	b := make([]byte, 8*len(s.insns))
	for i, in := range s.insns {
		binary.NativeEndian.PutUint16(b[8*i:], in.Op)
		b[8*i+2], b[8*i+3] = in.Jt, in.Jf
		binary.NativeEndian.PutUint32(b[8*i+4:], in.K)
	}
	nnp := "0"
	if s.nnp {
		nnp = "1"
	}
	gd := s.godebug
	if gd == "" {
		gd = "-"
	}
	return fmt.Sprintf("%s:%x:%s:%d:%s:%s", helperVersion, uint32(s.flags), nnp, s.statusFD, gd, base64.StdEncoding.EncodeToString(b))
}

func parseHelperSpec(spec string) (helperSpec, error) {
	parts := strings.Split(spec, ":")
	if len(parts) != 6 || parts[0] != helperVersion {
		return helperSpec{}, fmt.Errorf("bad spec")
	}
	var s helperSpec
	f, err := strconv.ParseUint(parts[1], 16, 32)
	if err != nil {
		return s, fmt.Errorf("flags: %w", err)
	}
	s.flags = Flag(f)
	s.nnp = parts[2] == "1"
	if s.statusFD, err = strconv.Atoi(parts[3]); err != nil {
		return s, fmt.Errorf("status fd: %w", err)
	}
	s.godebug = parts[4]
	if s.godebug != "-" && s.godebug != "0" && !strings.HasPrefix(s.godebug, "1") {
		return s, fmt.Errorf("godebug: %q", s.godebug)
	}
	b, err := base64.StdEncoding.DecodeString(parts[5])
	if err != nil || len(b)%8 != 0 {
		return s, fmt.Errorf("program: not base64 of whole instructions")
	}
	s.insns = make([]bpf.RawInstruction, len(b)/8)
	for i := range s.insns {
		s.insns[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(b[8*i:]),
			Jt: b[8*i+2], Jf: b[8*i+3],
			K: binary.NativeEndian.Uint32(b[8*i+4:]),
		}
	}
	return s, nil
}

// runHelper is the re-executed binary: install, then execve. It never
// returns.
func runHelper(specArg, path string, argv []string) {
	status := -1
	failSetup := func(err error) {
		msg := "seccompile: " + err.Error()
		if status >= 0 {
			unix.Write(status, []byte("error:"+strconv.Itoa(ExitSetupFailed)+":"+msg))
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(ExitSetupFailed)
	}
	spec, err := parseHelperSpec(specArg)
	if err != nil {
		failSetup(fmt.Errorf("exec helper: %w", err))
	}
	status = spec.statusFD
	if status >= 0 {
		// The target must not inherit the socket.
		unix.CloseOnExec(status)
	}
	if err := verify(spec.insns); err != nil {
		failSetup(err)
	}
	flags := spec.flags &^ (TSync | TSyncESRCH)
	if err := CheckFlags(flags); err != nil {
		failSetup(err)
	}
	if spec.godebug == "-" {
		// Run again with the runtime's asynchronous preemption off, so no
		// signal reaches the installing thread while it waits (a signal
		// handler ends in rt_sigreturn, a preempted locked goroutine
		// parks in futex: calls the policy may deny). GODEBUG is read only
		// at start-up. Cmd.Start sets it itself and saves this exec.
		spec.godebug = saveGODEBUG()
		err := syscall.Exec("/proc/self/exe", append([]string{helperArg0, spec.String(), path}, argv...), helperEnv(os.Environ()))
		failSetup(fmt.Errorf("exec helper: %w", err))
	}
	// Everything execve needs is built now: after the filter, the
	// installing thread may not allocate.
	argv0p, err := syscall.BytePtrFromString(path)
	if err != nil {
		failSetup(err)
	}
	argvp, err := syscall.SlicePtrFromStrings(argv)
	if err != nil {
		failSetup(err)
	}
	envvp, err := syscall.SlicePtrFromStrings(targetEnv(os.Environ(), spec.godebug))
	if err != nil {
		failSetup(err)
	}
	prog := make([]unix.SockFilter, len(spec.insns))
	for i, in := range spec.insns {
		prog[i] = unix.SockFilter{Code: in.Op, Jt: in.Jt, Jf: in.Jf, K: in.K}
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	// syscall.Exec would restore the RLIMIT_NOFILE soft limit the runtime
	// raised at start-up, with a prlimit64 after the filter is loaded that
	// the policy may deny. The raw execve below does not, so the target
	// inherits the raised soft limit (documented on CommandProgram).

	// The reporter runs on other threads; it needs a P of its own while
	// the installing thread waits in its execve for the supervisor, and no
	// GC may stop the world meanwhile.
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	debug.SetGCPercent(-1)
	var execErrno atomic.Int64 // set, without a system call, when execve fails
	var sent uint32
	go helperReporter(&execErrno, &sent, status, flags&NewListener != 0, path)

	runtime.LockOSThread()
	if spec.nnp {
		if err := SetNoNewPrivs(); err != nil {
			failSetup(err)
		}
	}
	runtime.Gosched() // a fresh time slice before the no-syscall window
	_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
	if errno != 0 {
		// Not installed: this thread may still talk.
		failSetup(filterError(flags, errno))
	}
	// From here on this thread makes no system call but execve. A policy
	// may allow execve, so with a listener it must wait until the
	// supervisor has it.
	if flags&NewListener != 0 {
		for loadPlain(&sent) == 0 {
		}
	}
	_, _, errno = unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(argv0p)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envvp[0])))
	execErrno.Store(int64(errno)) // never 0: execve returned
	for {
	}
}

// loadPlain reads *p with a plain load the race runtime does not see. The
// installing thread polls with it: in a -race binary an atomic load goes
// through the race runtime, whose locks sleep and wake on futex, calls the
// filter may hand to a supervisor that does not have the listener yet.
// The call (noinline) keeps the compiler from hoisting the load out of the
// loop; the reporter's store needs no ordering with anything but its
// sendmsg, which is a system call.
//
//go:norace
//go:noinline
func loadPlain(p *uint32) uint32 { return *p }

// saveGODEBUG records the target's GODEBUG for helperSpec.godebug.
func saveGODEBUG() string {
	v, ok := os.LookupEnv("GODEBUG")
	if !ok {
		return "0"
	}
	return "1" + base64.RawURLEncoding.EncodeToString([]byte(v))
}

// helperEnv returns env with asyncpreemptoff=1 added to GODEBUG (the last
// setting wins).
func helperEnv(env []string) []string {
	out := make([]string, 0, len(env)+1)
	gd := "asyncpreemptoff=1"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			if v != "" {
				gd = v + "," + gd
			}
			continue
		}
		out = append(out, kv)
	}
	return append(out, "GODEBUG="+gd)
}

// targetEnv gives the target its own GODEBUG back.
func targetEnv(env []string, saved string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "GODEBUG=") {
			out = append(out, kv)
		}
	}
	if strings.HasPrefix(saved, "1") {
		if v, err := base64.RawURLEncoding.DecodeString(saved[1:]); err == nil {
			out = append(out, "GODEBUG="+string(v))
		}
	}
	return out
}

// helperReporter talks for the installing thread: it sends the listener,
// and reports a failed execve.
func helperReporter(execErrno *atomic.Int64, sent *uint32, status int, listener bool, path string) {
	if listener {
		fd, err := listenerfd.Wait(time.Minute)
		if err == nil && status >= 0 {
			err = unix.Sendmsg(status, []byte("listener"), unix.UnixRights(fd), nil, 0)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "seccompile: sending the listener: %v\n", err)
		}
		atomic.StoreUint32(sent, 1)
	}
	for execErrno.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	errno := syscall.Errno(execErrno.Load())
	code := ExitCannotExec
	if errno == syscall.ENOENT {
		code = ExitNotFoundExec
	}
	msg := fmt.Sprintf("seccompile: exec %s: %v", path, errno)
	if status >= 0 {
		unix.Write(status, []byte("error:"+strconv.Itoa(code)+":"+msg))
	}
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}

// Cmd is an exec.Cmd whose program runs under a seccomp filter, made by
// CommandProgram. Start (and Run, Output, CombinedOutput) report a filter
// the helper could not install, or an execve that failed, as errors, as
// os/exec reports a failed exec. Configure the embedded exec.Cmd as usual
// (Env, Dir, Stdin, Stdout, Stderr, ExtraFiles, SysProcAttr), but leave
// Path and Args alone: they run the helper.
type Cmd struct {
	*exec.Cmd

	// KeepPrivileges skips no_new_privs in the child, so the target may
	// still gain privileges through setuid or file capabilities; the
	// kernel then requires CAP_SYS_ADMIN to load the filter. Set it before
	// Start.
	KeepPrivileges bool

	spec     helperSpec
	listener *os.File
}

// CommandProgram returns a command that runs name with args (looked up in
// PATH like exec.Command) under the precompiled program insns, loaded with
// flags (Log, SpecAllow, NewListener, WaitKillableRecv; TSync is
// meaningless for a single-threaded exec and dropped). With NewListener,
// Listener returns the listener fd after Start, so the caller can
// supervise the target: the target waits in every notified call, its
// execve included, until the caller answers.
//
// The mechanism (see the package source for details): the command
// re-executes the current binary, whose init function in this package
// installs the program on one thread and execve's the target from it, so
// the filter is in place from the target's first instruction. Consequences:
// the binary must import this package (it does, since it calls
// CommandProgram) and be reachable as /proc/self/exe; the target inherits
// the soft RLIMIT_NOFILE the Go runtime raised, unlike with os/exec.
func CommandProgram(insns []bpf.RawInstruction, flags Flag, name string, args ...string) (*Cmd, error) {
	if err := verify(insns); err != nil {
		return nil, err
	}
	flags &^= TSync | TSyncESRCH
	if err := CheckFlags(flags); err != nil {
		return nil, err
	}
	if err := requireFlags(flags); err != nil {
		return nil, err
	}
	path := name
	if !strings.Contains(name, "/") {
		p, err := exec.LookPath(name)
		if err != nil {
			return nil, err
		}
		path = p
	}
	c := &Cmd{spec: helperSpec{flags: flags, nnp: true, statusFD: -1, insns: insns}}
	c.Cmd = &exec.Cmd{
		Path: "/proc/self/exe",
		Args: append([]string{helperArg0, c.spec.String(), path, name}, args...),
	}
	return c, nil
}

// Command returns an exec.Cmd that runs name with args under policy p:
// p is checked for actions the kernel lacks, compiled, verified and
// proved (compiler.Check) now, and installed in the child just before it
// execs name (see CommandProgram for the mechanism). Unlike Install,
// Command does not apply CheckRuntime: the policy is for the target, which
// need not be a Go program.
//
// A child that cannot install the filter exits with status 125, one whose
// execve fails with 126 or 127, with a message on its stderr. Use
// CommandProgram for errors from Start and for a listener.
func Command(p *compiler.Policy, name string, args ...string) (*exec.Cmd, error) {
	inst, err := prepare(p, config{}, false)
	if err != nil {
		return nil, err
	}
	c, err := CommandProgram(inst.Program.Insns, 0, name, args...)
	if err != nil {
		return nil, err
	}
	return c.Cmd, nil
}

// Start starts the command and waits until the child has installed the
// filter and (without NewListener) exec'd the target: an error from either
// is returned after the child has been reaped. With NewListener it returns
// once the listener has arrived, without waiting for the execve, which the
// filter may send to the listener.
func (c *Cmd) Start() error {
	if c.Process != nil {
		return errors.New("seccomp: Cmd already started")
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("seccomp: status socket: %w", err)
	}
	parent, child := os.NewFile(uintptr(fds[0]), "seccomp-status"), os.NewFile(uintptr(fds[1]), "seccomp-status-child")
	defer parent.Close()
	userExtra := c.ExtraFiles
	c.ExtraFiles = append(append([]*os.File(nil), userExtra...), child)
	spec := c.spec
	spec.nnp = !c.KeepPrivileges
	spec.statusFD = 3 + len(c.ExtraFiles) - 1
	userEnv := c.Env
	env := c.Environ()
	spec.godebug = "0"
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GODEBUG="); ok {
			spec.godebug = "1" + base64.RawURLEncoding.EncodeToString([]byte(v))
		}
	}
	c.Env = helperEnv(env)
	c.Args[1] = spec.String()
	err = c.Cmd.Start()
	child.Close()
	c.ExtraFiles, c.Env = userExtra, userEnv
	if err != nil {
		return err
	}
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		n, oobn, _, _, err := unix.Recvmsg(int(parent.Fd()), buf, oob, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return c.failed(fmt.Errorf("seccomp: status socket: %w", err))
		}
		if n == 0 && oobn == 0 {
			// The socket closed on a successful execve (it is CLOEXEC), or
			// the helper died; Wait will tell.
			return nil
		}
		msg := string(buf[:n])
		if strings.HasPrefix(msg, "error:") {
			_, text, _ := strings.Cut(msg[len("error:"):], ":")
			return c.failed(errors.New(text))
		}
		if msg == "listener" {
			cmsgs, err := unix.ParseSocketControlMessage(oob[:oobn])
			if err != nil || len(cmsgs) != 1 {
				return c.failed(fmt.Errorf("seccomp: listener message without a file descriptor"))
			}
			rights, err := unix.ParseUnixRights(&cmsgs[0])
			if err != nil || len(rights) != 1 {
				return c.failed(fmt.Errorf("seccomp: listener message without a file descriptor"))
			}
			unix.CloseOnExec(rights[0])
			c.listener = os.NewFile(uintptr(rights[0]), "seccomp-listener")
			return nil
		}
	}
}

// failed reaps the child after a setup failure and returns err.
func (c *Cmd) failed(err error) error {
	c.Cmd.Wait()
	return err
}

// Listener returns the user-notification listener the child created
// (NewListener), nil before Start or without the flag. The caller owns it
// and should close it when done; closing it answers pending and future
// notifications with ENOSYS.
func (c *Cmd) Listener() *os.File { return c.listener }

// Run starts the command and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the command and returns its standard output.
func (c *Cmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("exec: Stdout already set")
	}
	var out bytes.Buffer
	c.Stdout = &out
	err := c.Run()
	return out.Bytes(), err
}

// CombinedOutput runs the command and returns its standard output and
// standard error together.
func (c *Cmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil || c.Stderr != nil {
		return nil, errors.New("exec: Stdout or Stderr already set")
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.Bytes(), err
}
