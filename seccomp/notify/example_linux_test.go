//go:build linux

package notify_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/seccomp"
	"github.com/seccompile/seccompile/seccomp/notify"
)

func init() {
	children["example-mkdir"] = targetMkdir
	children["example-socket"] = targetSocket
}

// A supervisor that lets an unprivileged process create directories under
// one directory and nowhere else, by doing mkdirat(2) for it.
func ExampleServe_mkdir() {
	root, err := os.MkdirTemp("", "sandbox")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	os.Chmod(root, 0o755) // owned by root: the target cannot write here itself
	rootFD, err := unix.Open(root, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		panic(err)
	}
	defer unix.Close(rootFD)

	// The target runs in root as the user nobody; see targetMkdir.
	target, l, out, err := startTarget("example-mkdir", root)
	if err != nil {
		panic(err)
	}
	defer l.Close()

	mkdirat := func(ctx context.Context, r *notify.Request) notify.Response {
		if r.Data.Nr != unix.SYS_MKDIRAT {
			return notify.Errno(unix.ENOSYS)
		}
		dirfd, mode := int32(r.Data.Args[0]), uint32(r.Data.Args[2])
		path, err := r.ReadString(r.Data.Args[1], unix.PathMax)
		if err != nil {
			return errnoFrom(err)
		}
		// Resolve the path as the kernel would for the target: relative to
		// its working directory (AT_FDCWD) or to its dirfd.
		at := fmt.Sprintf("/proc/%d/cwd", r.Pid)
		if dirfd != unix.AT_FDCWD {
			at = fmt.Sprintf("/proc/%d/fd/%d", r.Pid, dirfd)
		}
		dir, err := os.Readlink(at)
		if err != nil {
			return notify.Errno(unix.EBADF)
		}
		uid, gid, umask, err := taskCreds(r.Pid)
		if err != nil {
			return notify.Errno(unix.EPERM)
		}
		// /proc/PID may by now be another process that reused the thread
		// ID; a notification still pending proves it was the target.
		if err := r.Valid(); err != nil {
			return notify.Errno(unix.EPERM)
		}
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		rel, err := filepath.Rel(root, filepath.Clean(path))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return notify.Errno(unix.EPERM)
		}
		// Create it beneath root without following symlinks, so a link the
		// target planted cannot redirect the supervisor.
		parent, err := unix.Openat2(rootFD, filepath.Dir(rel), &unix.OpenHow{
			Flags:   unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS,
		})
		if err != nil {
			return errnoFrom(err)
		}
		defer unix.Close(parent)
		name := filepath.Base(rel)
		if err := unix.Mkdirat(parent, name, mode&^umask&0o7777); err != nil {
			return errnoFrom(err)
		}
		unix.Fchownat(parent, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
		return notify.Value(0)
	}

	done := make(chan error, 1)
	go func() { done <- target.Wait() }()
	// Serve returns when the target has exited.
	if err := notify.Serve(context.Background(), l, mkdirat, notify.ServeOptions{}); err != nil {
		panic(err)
	}
	<-done
	fmt.Print(out.String())
	var st unix.Stat_t
	unix.Stat(filepath.Join(root, "a", "b"), &st)
	fmt.Println("a/b is owned by uid", st.Uid)
	// Output:
	// mkdir a: ok
	// mkdir a/b: ok
	// mkdir a: file exists
	// mkdir ../escape: operation not permitted
	// mkdir /etc/x: operation not permitted
	// mkdir a/../../escape: operation not permitted
	// a/b is owned by uid 65534
}

// targetMkdir is the sandboxed side of ExampleServe_mkdir. It sends mkdirat
// to the supervisor, with WaitKillableRecv so that Go's preemption signal
// cannot withdraw a call the supervisor is already carrying out (which
// would make the restarted call see EEXIST), then gives up root.
func targetMkdir() int {
	p := &compiler.Policy{
		Default: compiler.Allow,
		Rules:   []compiler.Rule{{Syscalls: []string{"mkdirat"}, Action: compiler.UserNotif}},
	}
	if err := installAndSend(p, seccomp.WaitKillableRecv); err != nil {
		return childFatal(err)
	}
	if err := syscall.Setgid(65534); err != nil {
		return childFatal(err)
	}
	if err := syscall.Setuid(65534); err != nil {
		return childFatal(err)
	}
	for _, dir := range []string{"a", "a/b", "a", "../escape", "/etc/x", "a/../../escape"} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			fmt.Println(err)
		} else {
			fmt.Printf("mkdir %s: ok\n", dir)
		}
	}
	return 0
}

// A supervisor that answers socket(AF_INET, ...) with a socket already
// connected to the one service the sandboxed process may use.
func ExampleServe_injectSocket() {
	service, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer service.Close()
	go func() {
		for {
			conn, err := service.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(conn).ReadString('\n')
			fmt.Fprintf(conn, "pong to %s", line)
			conn.Close()
		}
	}()

	target, l, out, err := startTarget("example-socket", "")
	if err != nil {
		panic(err)
	}
	defer l.Close()

	socket := func(ctx context.Context, r *notify.Request) notify.Response {
		if r.Data.Nr != unix.SYS_SOCKET || r.Data.Args[0] != unix.AF_INET {
			return notify.Errno(unix.EAFNOSUPPORT)
		}
		conn, err := net.Dial("tcp", service.Addr().String())
		if err != nil {
			return notify.Errno(unix.ENETUNREACH)
		}
		defer conn.Close() // the target keeps its own copy
		f, err := conn.(*net.TCPConn).File()
		if err != nil {
			return notify.Errno(unix.ENOMEM)
		}
		defer f.Close()
		// Install the fd and answer the call with its number in one step.
		_, err = r.AddFD(int(f.Fd()), notify.AddFDOptions{
			Send:        true,
			CloseOnExec: r.Data.Args[1]&unix.SOCK_CLOEXEC != 0,
		})
		if err != nil {
			return notify.Errno(unix.EMFILE)
		}
		return notify.Response{} // ignored: AddFD with Send has answered
	}

	done := make(chan error, 1)
	go func() { done <- target.Wait() }()
	if err := notify.Serve(context.Background(), l, socket, notify.ServeOptions{}); err != nil {
		panic(err)
	}
	<-done
	fmt.Print(out.String())
	// Output:
	// AF_INET socket: pong to ping
	// AF_INET6 socket: address family not supported by protocol
}

// targetSocket is the sandboxed side of ExampleServe_injectSocket: it asks
// for sockets and talks through the one it gets, without connecting it.
// WaitKillableRecv keeps a signal from withdrawing a socket call the
// supervisor is already answering, which would make it connect twice.
func targetSocket() int {
	p := &compiler.Policy{
		Default: compiler.Allow,
		Rules:   []compiler.Rule{{Syscalls: []string{"socket"}, Action: compiler.UserNotif}},
	}
	if err := installAndSend(p, seccomp.WaitKillableRecv); err != nil {
		return childFatal(err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return childFatal(err)
	}
	conn := os.NewFile(uintptr(fd), "service")
	fmt.Fprintln(conn, "ping")
	reply, _ := io.ReadAll(conn)
	fmt.Printf("AF_INET socket: %s", reply) // the reply ends in a newline
	if _, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM, 0); err != nil {
		fmt.Println("AF_INET6 socket:", err)
	}
	return 0
}

// startTarget starts this test binary as child mode in dir and returns it
// with the listener it sends over a socketpair, and a buffer collecting its
// output.
func startTarget(mode, dir string) (*exec.Cmd, *notify.Listener, *bytes.Buffer, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, nil, err
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "supervisor"), os.NewFile(uintptr(fds[1]), "target")
	defer ours.Close()
	out := new(bytes.Buffer)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = childEnviron(mode)
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Start()
	theirs.Close()
	if err != nil {
		return nil, nil, nil, err
	}
	conn, err := net.FileConn(ours)
	if err != nil {
		cmd.Process.Kill()
		return nil, nil, nil, err
	}
	defer conn.Close()
	fd, _, err := notify.ReceiveFD(conn.(*net.UnixConn), nil)
	if err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		return nil, nil, nil, fmt.Errorf("%w: %s", err, out)
	}
	l, err := notify.NewListener(fd)
	if err != nil {
		cmd.Process.Kill()
		return nil, nil, nil, err
	}
	return cmd, l, out, nil
}

// errnoFrom answers with the errno err carries, or EPERM.
func errnoFrom(err error) notify.Response {
	var e syscall.Errno
	if errors.As(err, &e) {
		return notify.Errno(e)
	}
	return notify.Errno(unix.EPERM)
}

// taskCreds reads a thread's filesystem uid and gid and its umask from
// /proc/PID/status, to create files as the thread would have.
func taskCreds(pid uint32) (uid, gid int, umask uint32, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	umask = 0o022
	for line := range strings.Lines(string(data)) {
		key, val, _ := strings.Cut(strings.TrimSpace(line), ":")
		f := strings.Fields(val)
		switch {
		case key == "Uid" && len(f) == 4:
			uid, _ = strconv.Atoi(f[3])
		case key == "Gid" && len(f) == 4:
			gid, _ = strconv.Atoi(f[3])
		case key == "Umask" && len(f) == 1:
			u, _ := strconv.ParseUint(f[0], 8, 32)
			umask = uint32(u)
		}
	}
	return uid, gid, umask, nil
}
