package record

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/internal/listenerfd"
	"github.com/seccompile/seccompile/seccomp"
	"github.com/seccompile/seccompile/seccomp/notify"
)

// The notify backend needs no privilege. The recorder re-executes its own
// binary (/proc/self/exe) as a helper, recognised by helperEnv in this
// package's init. The helper, on one locked thread:
//
//  1. loads the one-instruction filter "ret USER_NOTIF" with NEW_LISTENER
//     on that thread only (no TSYNC), after setting no_new_privs unless it
//     holds CAP_SYS_ADMIN. The filter does not look at seccomp_data.arch, so
//     i386 (int $0x80) and x32 calls are notified like native ones, and
//     seccomp_data tells their ABI;
//  2. sends the listener fd to the recorder over a socketpair, from another
//     goroutine: that one runs on an unfiltered thread, so its sendmsg is
//     not itself waiting for the supervisor it is trying to reach. The
//     filtered thread's own calls queue in the listener until the recorder
//     has it;
//  3. execs the command on the filtered thread. execve keeps the filter, and
//     fork, clone and exec pass it on, so every process and thread the
//     command starts is covered.
//
// The recorder answers every notification with CONTINUE and counts it,
// starting at the first native execve: what the helper does before (the
// sendmsg, futex, close...) is the helper's, not the command's. The filter
// is installed with WAIT_KILLABLE_RECV where the kernel has it (5.19), so a
// signal does not withdraw a received notification and make the call appear
// twice.
//
// What this backend cannot see: calls made before the filter exists (the
// helper's own start-up, which is not the command's anyway). Calls that never
// reach seccomp are invisible to both backends: vDSO functions
// (clock_gettime, gettimeofday, time, getcpu) do not enter the kernel.
// The command runs with no_new_privs when the recorder lacks CAP_SYS_ADMIN,
// so setuid programs and file capabilities do not raise its privileges
// (and record what they do unprivileged).
const helperEnv = "SECCOMPILE_RECORD_HELPER"

func init() {
	if os.Getenv(helperEnv) == BackendNotify {
		notifyHelper()
	}
}

// helperSock is the helper's end of the socketpair (os/exec's ExtraFiles[0]).
const helperSock = 3

// notifyFilter notifies every call of every ABI.
var notifyFilter = []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: compiler.RetUserNotif}}

// notifyHelper runs in the helper process and does not return: it execs the
// command (os.Args[1] is its path, os.Args[2:] its argv) or exits 127 after
// telling the recorder why it could not.
//
// Once the filter is in place, every system call of the filtered thread
// waits until the recorder answers, and the recorder can answer only after
// it has the listener. So the thread that hands the listener over must need
// nothing from the filtered thread: a sender goroutine, on a thread of its
// own started before the filter, finds the listener in /proc/self/fd
// (internal/listenerfd) and sends it. The filtered thread tells it nothing
// (an atomic it polled was a place where the filtered thread could stop
// first: a signal's rt_sigreturn, or the race runtime's futex inside the
// atomic, waits for the recorder, which waits for the fd) and, from
// seccomp(2) on, makes no call but a raw execve, whose arguments are built
// beforehand. The raw execve skips syscall.Exec's execLock, which would
// stop the runtime from starting a thread the sender might need. GOMAXPROCS
// is at least 2 and the GC off, so the sender runs while the filtered
// thread waits and no stop-the-world waits for the filtered thread.
//
// A signal on the filtered thread in that window (preemption) ends in
// rt_sigreturn, which waits for the recorder, which answers once the
// sender has delivered the fd.
func notifyHelper() {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	debug.SetGCPercent(-1)
	runtime.LockOSThread()
	f := os.NewFile(helperSock, "record-socket")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(os.Stderr, "seccompile record helper: %v\n", err)
		os.Exit(127)
	}
	conn := c.(*net.UnixConn)
	fail := func(err error) {
		conn.Write([]byte(err.Error()))
		os.Exit(127)
	}
	if len(os.Args) < 3 {
		fail(errors.New("helper started without a command"))
	}
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, helperEnv+"=") {
			env = append(env, e)
		}
	}
	pathp, err := syscall.BytePtrFromString(os.Args[1])
	if err != nil {
		fail(err)
	}
	argvp, err := syscall.SlicePtrFromStrings(os.Args[2:])
	if err != nil {
		fail(err)
	}
	envp, err := syscall.SlicePtrFromStrings(env)
	if err != nil {
		fail(err)
	}

	running := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		close(running)
		fd, err := listenerfd.Wait(time.Minute)
		if err == nil {
			err = notify.SendFD(conn, fd, nil)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "seccompile record helper: sending the listener: %v\n", err)
			os.Exit(127)
		}
	}()
	<-running

	if err := installNotifyFilter(); err != nil {
		fail(err)
	}
	// The listener is close-on-exec, and so is conn: neither reaches the
	// command.
	_, _, errno := unix.RawSyscall(unix.SYS_EXECVE, uintptr(unsafe.Pointer(pathp)),
		uintptr(unsafe.Pointer(&argvp[0])), uintptr(unsafe.Pointer(&envp[0])))
	// The recorder answered the execve, so it has the listener and this
	// thread may talk again.
	fmt.Fprintf(os.Stderr, "seccompile record: exec %s: %v\n", os.Args[1], errno)
	os.Exit(127)
}

// installNotifyFilter loads notifyFilter on the calling thread, with the
// best flags the kernel takes.
//
// It calls seccomp(2) with RawSyscall, not through seccomp.SetFilter: a
// system call made the ordinary way lets the runtime hand the thread's P to
// another thread meanwhile, and getting one back afterwards may mean
// sleeping on a futex, which, on the now filtered thread, would wait for
// the recorder before the execve.
func installNotifyFilter() error {
	prog := []unix.SockFilter{{Code: notifyFilter[0].Op, K: notifyFilter[0].K}}
	fprog := unix.SockFprog{Len: 1, Filter: &prog[0]}
	nnp := false
	flags := seccomp.NewListener | seccomp.WaitKillableRecv
	for {
		if err := seccomp.CheckFlags(flags); err != nil {
			return err
		}
		_, _, errno := unix.RawSyscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, uintptr(flags), uintptr(unsafe.Pointer(&fprog)))
		runtime.KeepAlive(prog)
		switch {
		case errno == 0:
			return nil
		case errno == unix.EACCES && !nnp:
			// No CAP_SYS_ADMIN: seccomp(2) requires no_new_privs.
			if err := seccomp.SetNoNewPrivs(); err != nil {
				return err
			}
			nnp = true
		case errno == unix.EINVAL && flags&seccomp.WaitKillableRecv != 0:
			flags &^= seccomp.WaitKillableRecv // before Linux 5.19
		default:
			return fmt.Errorf("install the notify filter: seccomp(SECCOMP_SET_MODE_FILTER, %v): %w", flags, errno)
		}
	}
}

// availableNotify asks the kernel for USER_NOTIF and NEW_LISTENER, and
// needs /proc/self/exe for the helper.
func availableNotify() error {
	if ok, err := seccomp.ActionAvailable(compiler.UserNotif); err != nil || !ok {
		return fmt.Errorf("%w: the kernel has no SECCOMP_RET_USER_NOTIF (Linux 5.0): %v", ErrUnavailable, err)
	}
	if ok, err := seccomp.FlagAvailable(seccomp.NewListener); err != nil || !ok {
		return fmt.Errorf("%w: the kernel has no SECCOMP_FILTER_FLAG_NEW_LISTENER: %v", ErrUnavailable, err)
	}
	if _, err := os.Stat("/proc/self/exe"); err != nil {
		return fmt.Errorf("%w: the helper re-executes /proc/self/exe: %v", ErrUnavailable, err)
	}
	return nil
}

func runNotify(ctx context.Context, argv []string, o Options, r *Recording) error {
	target := command(ctx, argv, o)
	if target.Err != nil {
		return target.Err
	}
	// The helper reports a failed execve only by its exit status; check
	// first, as os/exec's Start does for the eBPF backend.
	check := target.Path
	if o.Dir != "" && !filepath.IsAbs(check) {
		check = filepath.Join(o.Dir, check)
	}
	if _, err := exec.LookPath(check); err != nil {
		return err
	}
	pair, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socketpair: %w", err)
	}
	mine, theirs := os.NewFile(uintptr(pair[0]), "record-socket"), os.NewFile(uintptr(pair[1]), "record-socket")
	defer mine.Close()
	c, err := net.FileConn(mine)
	if err != nil {
		theirs.Close()
		return err
	}
	conn := c.(*net.UnixConn)
	defer conn.Close()

	cmd := exec.CommandContext(ctx, "/proc/self/exe")
	cmd.Args = append([]string{"seccompile-record-helper", target.Path}, argv...)
	env := o.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env[:len(env):len(env)], helperEnv+"="+BackendNotify)
	cmd.Stdin, cmd.Stdout, cmd.Stderr, cmd.Dir = o.Stdin, o.Stdout, o.Stderr, o.Dir
	cmd.ExtraFiles = []*os.File{theirs}
	start := time.Now()
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return fmt.Errorf("start the helper: %w", err)
	}
	buf := make([]byte, 512)
	fd, n, err := notify.ReceiveFD(conn, buf)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		if errors.Is(err, notify.ErrNoFD) {
			return fmt.Errorf("%w: %s", ErrUnavailable, buf[:n])
		}
		return fmt.Errorf("helper: %w", err)
	}
	l, err := notify.NewListener(fd)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return err
	}
	defer l.Close()
	l.SetFlags(notify.SyncWakeUp) // Linux 6.6; only a speed-up

	native := arch.Native()
	s := &notifySession{rec: r, args: o.Args, pids: map[uint32]int{}, argIdx: map[uint64]int{}, nativeAudit: native.AuditArch}
	s.execve, _ = native.Syscall("execve")
	s.execveat, _ = native.Syscall("execveat")
	defer s.close()
	serveCtx, stopServe := context.WithCancel(context.Background())
	defer stopServe()
	served := make(chan error, 1)
	go func() { served <- s.serve(serveCtx, l) }()

	werr := waitExit(cmd.Process.Pid)
	r.Duration = time.Since(start)
	// Processes the command left behind still hold the filter: kill them,
	// then serve until the listener hangs up (no task uses the filter).
	s.killAll()
	var serr error
	select {
	case serr = <-served:
	case <-time.After(5 * time.Second):
		stopServe()
		serr = <-served
		if serr == nil || errors.Is(serr, context.Canceled) {
			serr = errors.New("processes the command left behind did not exit")
		}
	}
	if werr != nil {
		cmd.Process.Kill()
	}
	if err := exitStatus(cmd, cmd.Wait(), r); err != nil {
		return err
	}
	return serr
}

// notifySession answers and counts notifications.
type notifySession struct {
	rec     *Recording
	args    bool
	started bool
	argIdx  map[uint64]int // (audit<<32|nr) → recorded argument, -1 none

	nativeAudit, execve, execveat uint32 // the start gate

	// pids are pidfds of the tasks seen, to kill what the command leaves
	// behind. A pidfd opened while the task's notification is pending is
	// that task's, even if its number is reused later. serve adds to it
	// while killAll runs on the recorder's goroutine; once killing is set,
	// serve kills every new task it meets.
	mu      sync.Mutex
	pids    map[uint32]int
	killing bool
}

// serve answers notifications until the listener hangs up (nil) or ctx
// ends.
func (s *notifySession) serve(ctx context.Context, l *notify.Listener) error {
	for {
		n, err := l.Receive(ctx)
		if err != nil {
			if errors.Is(err, notify.ErrHangup) {
				return nil
			}
			return err
		}
		s.handle(l, n)
		if err := l.Continue(n.ID); err != nil && !errors.Is(err, notify.ErrGone) {
			return err
		}
	}
}

func (s *notifySession) handle(l *notify.Listener, n *notify.Notif) {
	d := &n.Data
	if !s.started && d.Arch == s.nativeAudit && (d.Nr == s.execve || d.Nr == s.execveat) {
		s.started = true
	}
	if s.started {
		s.count(d)
		s.track(l, n)
	}
}

func (s *notifySession) count(d *notify.Data) {
	k := keyOf(d.Arch, d.Nr)
	s.rec.add(k, 1)
	if !s.args {
		return
	}
	ak := uint64(d.Arch)<<32 | uint64(d.Nr)
	i, ok := s.argIdx[ak]
	if !ok {
		i = -1
		if a, err := arch.Lookup(k.Arch); err == nil && k.Name != "" {
			if j, ok := recordedArg(a, k.Name); ok {
				i = j
			}
		}
		s.argIdx[ak] = i
	}
	if i >= 0 {
		s.rec.addArg(ArgKey{Key: k, Arg: i}, d.Args[i], 1)
	}
}

// track opens a pidfd for a task not seen before.
func (s *notifySession) track(l *notify.Listener, n *notify.Notif) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.pids[n.Pid]; ok || n.Pid == 0 {
		return
	}
	// n.Pid is a thread ID; PIDFD_THREAD (6.9) accepts one, plain
	// pidfd_open only a thread-group leader, which is enough: killing a
	// leader ends its threads.
	fd, err := unix.PidfdOpen(int(n.Pid), unix.PIDFD_THREAD)
	if err != nil {
		fd, err = unix.PidfdOpen(int(n.Pid), 0)
	}
	if err != nil {
		s.pids[n.Pid] = -1
		return
	}
	if l.IDValid(n.ID) != nil {
		// The task died and its number may already name another.
		unix.Close(fd)
		return
	}
	if len(s.pids) >= 1024 {
		s.prune()
	}
	s.pids[n.Pid] = fd
	if s.killing {
		unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
	}
}

// prune forgets tasks that have exited (their pidfd polls readable).
func (s *notifySession) prune() {
	for pid, fd := range s.pids {
		if fd < 0 {
			delete(s.pids, pid)
			continue
		}
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(p, 0); n > 0 {
			unix.Close(fd)
			delete(s.pids, pid)
		}
	}
}

// killAll sends SIGKILL to every task seen, and makes serve kill the ones
// it meets from now on.
func (s *notifySession) killAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.killing = true
	for _, fd := range s.pids {
		if fd >= 0 {
			unix.PidfdSendSignal(fd, unix.SIGKILL, nil, 0)
		}
	}
}

// close closes the pidfds.
func (s *notifySession) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for pid, fd := range s.pids {
		if fd >= 0 {
			unix.Close(fd)
		}
		delete(s.pids, pid)
	}
}
