package seccomp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/seccomp/internal/abi"
)

func init() {
	children["flag-rules"] = childFlagRules
	children["ret"] = childRet
	children["stack"] = childStack
	children["threads"] = childThreads
	children["tsync-fail"] = childTSyncFail
	children["abi"] = childABI
	children["args-hi"] = childArgsHi
	children["strict"] = childStrict
	children["nnp"] = childNNP
	children["no-nnp"] = childNoNNP
	children["listener-twice"] = childListenerTwice
	children["log-flag"] = childLogFlag
	children["spec-allow"] = childSpecAllow
	children["killable"] = childKillable
}

// Return values used by the hand-written programs.
const (
	retKillProcess = 0x80000000
	retTrap        = 0x00030000
	retUserNotif   = 0x7fc00000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000
)

var allowAll = []bpf.RawInstruction{{Op: unix.BPF_RET | unix.BPF_K, K: retAllow}}

// taskStatus reads the given fields of /proc/self/task/*/status for every
// thread: tid → field → value.
func taskStatus(fields ...string) map[int]map[string]string {
	out := map[int]map[string]string{}
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/self/task/" + t.Name() + "/status")
		if err != nil {
			continue // the thread is gone
		}
		m := map[string]string{}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			for _, f := range fields {
				if k == f {
					m[k] = strings.TrimSpace(v)
				}
			}
		}
		out[tid] = m
	}
	return out
}

// childFlagRules checks CheckFlags against the kernel for every
// combination of the six flags and some unknown bits. A NULL program makes
// the kernel answer EFAULT for flags it accepts and EINVAL for flags it
// refuses, and installs nothing.
func childFlagRules() {
	var combos []Flag
	for f := Flag(0); f <= allFlags; f++ {
		combos = append(combos, f)
	}
	combos = append(combos, 1<<6, 1<<6|TSync, 1<<31)
	for _, f := range combos {
		_, err := Seccomp(unix.SECCOMP_SET_MODE_FILTER, f, nil)
		kernelOK := errors.Is(err, unix.EFAULT)
		if !kernelOK && !errors.Is(err, unix.EINVAL) {
			fail("flags %v: kernel said %v, want EFAULT or EINVAL", f, err)
		}
		ours := CheckFlags(f)
		if (ours == nil) != kernelOK {
			fail("flags %v: kernel accepts=%v, CheckFlags=%v", f, kernelOK, ours)
		}
	}
	fmt.Printf("checked %d combinations\n", len(combos))
}

func TestCheckFlagsMatchesKernel(t *testing.T) {
	out := mustChild(t, "flag-rules")
	if !strings.Contains(out, "checked 67 combinations") {
		t.Fatalf("unexpected output:\n%s", out)
	}
}

func TestCheckFlags(t *testing.T) {
	for _, tc := range []struct {
		flags Flag
		ok    bool
	}{
		{0, true},
		{TSync, true},
		{TSync | Log | SpecAllow, true},
		{NewListener, true},
		{TSync | NewListener, false},
		{TSync | NewListener | TSyncESRCH, true},
		{WaitKillableRecv, false},
		{WaitKillableRecv | TSync | TSyncESRCH, false},
		{WaitKillableRecv | NewListener, true},
		{1 << 6, false},
	} {
		t.Run(tc.flags.String(), func(t *testing.T) {
			err := CheckFlags(tc.flags)
			if (err == nil) != tc.ok {
				t.Fatalf("CheckFlags(%v) = %v, want ok=%v", tc.flags, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrFlagCombination) {
				t.Fatalf("error %v does not match ErrFlagCombination", err)
			}
		})
	}
}

func TestFlagString(t *testing.T) {
	for f, want := range map[Flag]string{
		0:                                "0",
		TSync:                            "TSYNC",
		NewListener | TSync | TSyncESRCH: "TSYNC|NEW_LISTENER|TSYNC_ESRCH",
		WaitKillableRecv | 1<<9:          "WAIT_KILLABLE_RECV|0x200",
	} {
		if got := f.String(); got != want {
			t.Errorf("Flag(%#x).String() = %q, want %q", uint32(f), got, want)
		}
	}
}

// kernelAtLeast reports whether uname's release is at least major.minor.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var ma, mi int
	if _, err := fmt.Sscanf(rel, "%d.%d", &ma, &mi); err != nil {
		t.Fatalf("release %q: %v", rel, err)
	}
	return ma > major || ma == major && mi >= minor
}

func TestFlagAvailable(t *testing.T) {
	for _, fi := range flagInfo {
		t.Run(fi.name, func(t *testing.T) {
			var maj, min int
			fmt.Sscanf(fi.since, "%d.%d", &maj, &min)
			got, err := FlagAvailable(fi.flag)
			if err != nil {
				t.Fatal(err)
			}
			if want := kernelAtLeast(t, maj, min); got != want {
				t.Fatalf("FlagAvailable(%v) = %v, kernel >= %s is %v", fi.flag, got, fi.since, want)
			}
		})
	}
	if _, err := FlagAvailable(TSync | Log); err == nil {
		t.Error("FlagAvailable accepted two flags at once")
	}
	if _, err := FlagAvailable(1 << 6); err == nil {
		t.Error("FlagAvailable accepted an unknown bit")
	}
}

func TestActionAvailable(t *testing.T) {
	// The kernel lists its actions in /proc/sys/kernel/seccomp/actions_avail
	// (seccomp_actions_avail); ActionAvailable asks seccomp(2) instead, so
	// the two are independent.
	b, err := os.ReadFile("/proc/sys/kernel/seccomp/actions_avail")
	if err != nil {
		t.Skip(err)
	}
	listed := map[string]bool{}
	for _, name := range strings.Fields(string(b)) {
		listed[strings.ToUpper(name)] = true
	}
	for k := compiler.KindKillProcess; k <= compiler.KindAllow; k++ {
		t.Run(k.String(), func(t *testing.T) {
			got, err := ActionAvailable(compiler.Action{Kind: k, Data: 7})
			if err != nil {
				t.Fatal(err)
			}
			if got != listed[k.String()] {
				t.Fatalf("ActionAvailable(%v) = %v, actions_avail lists it: %v", k, got, listed[k.String()])
			}
		})
	}
	if _, err := ActionAvailable(compiler.Action{}); err == nil {
		t.Error("ActionAvailable accepted the unset action")
	}
}

func TestSupported(t *testing.T) {
	if err := Supported(); err != nil {
		t.Fatal(err)
	}
}

func TestNotifSizes(t *testing.T) {
	s, err := NotifSizes()
	if err != nil {
		t.Fatal(err)
	}
	// The uapi sizes: struct seccomp_notif is id u64, pid u32, flags u32,
	// seccomp_data (64); resp is id u64, val s64, error s32, flags u32.
	if want := (Sizes{Notif: 8 + 4 + 4 + 64, Resp: 8 + 8 + 4 + 4, Data: 64}); s != want {
		t.Fatalf("NotifSizes = %+v, want %+v", s, want)
	}
}

// childRet: getppid returns $RET (hex); prints what the call returned.
func childRet() {
	ret, _ := strconv.ParseUint(os.Getenv("RET"), 0, 32)
	ppid := os.Getppid()
	if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: uint32(ret)})); err != nil {
		fail("InstallProgram: %v", err)
	}
	r, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("r=%d errno=%d ppid-ok=%v\n", int(r), int(e), e == 0 && int(r) == ppid)
}

func TestReturnActions(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ret    uint32
		want   string         // a line of stdout
		signal syscall.Signal // or a signal
		stderr string         // and this in stderr
		code   int            // and this exit code
	}{
		{name: "ERRNO(1)", ret: errnoRet(1), want: "r=-1 errno=1 ppid-ok=false"},
		{name: "ERRNO(0)", ret: errnoRet(0), want: "r=0 errno=0 ppid-ok=false"}, // success without running the call
		{name: "LOG", ret: retLog, want: "errno=0 ppid-ok=true"},
		{name: "ALLOW", ret: retAllow, want: "errno=0 ppid-ok=true"},
		{name: "TRACE without tracer", ret: retTrace | 5, want: fmt.Sprintf("r=-1 errno=%d ppid-ok=false", int(unix.ENOSYS))},
		{name: "USER_NOTIF without listener", ret: retUserNotif, want: fmt.Sprintf("r=-1 errno=%d ppid-ok=false", int(unix.ENOSYS))},
		{name: "KILL_PROCESS", ret: retKillProcess, signal: unix.SIGSYS},
		{name: "unknown action is KILL_PROCESS", ret: 0x00010000, signal: unix.SIGSYS},
		// The runtime turns a seccomp SIGSYS into a crash with a traceback
		// (exit status 2): why TRAP is a poor choice for Go programs.
		{name: "TRAP crashes Go", ret: retTrap | 3, code: 2, stderr: "SIGSYS: bad system call"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runChild(t, "ret", fmt.Sprintf("RET=%#x", tc.ret))
			switch {
			case tc.signal != 0:
				if r.signal != tc.signal {
					t.Fatalf("want death by %v, got %v", tc.signal, r)
				}
			case tc.stderr != "":
				if r.exitCode != tc.code || !strings.Contains(r.stderr, tc.stderr) {
					t.Fatalf("want exit %d with %q, got %v", tc.code, tc.stderr, r)
				}
			default:
				if r.exitCode != 0 || !strings.Contains(r.stdout, tc.want) {
					t.Fatalf("want %q, got %v", tc.want, r)
				}
			}
		})
	}
}

// childStack installs $FIRST then $SECOND (getppid return values).
func childStack() {
	for _, env := range []string{"FIRST", "SECOND"} {
		ret, _ := strconv.ParseUint(os.Getenv(env), 0, 32)
		if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: uint32(ret)})); err != nil {
			fail("InstallProgram %s: %v", env, err)
		}
	}
	r, e := rawCall(unix.SYS_GETPPID)
	if e == 0 && int(r) == os.Getppid() {
		fmt.Println("allowed")
		return
	}
	fmt.Printf("errno=%d\n", int(e))
}

func TestStackedPrecedence(t *testing.T) {
	// seccomp_run_filters runs every filter and keeps the lowest action
	// value; on a tie the newest filter's value, data included, wins.
	for _, tc := range []struct {
		name          string
		first, second uint32
		want          string
	}{
		{"tie: newest data wins", errnoRet(1), errnoRet(2), "errno=2"},
		{"ERRNO beats LOG, older", errnoRet(3), retLog, "errno=3"},
		{"ERRNO beats LOG, newer", retLog, errnoRet(4), "errno=4"},
		{"ERRNO beats ALLOW, newer", retAllow, errnoRet(5), "errno=5"},
		{"ERRNO beats ALLOW, older", errnoRet(6), retAllow, "errno=6"},
		{"ERRNO beats USER_NOTIF", retUserNotif, errnoRet(7), "errno=7"},
		{"ERRNO beats TRACE", errnoRet(8), retTrace, "errno=8"},
		{"LOG beats ALLOW", retAllow, retLog, "allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustChild(t, "stack", fmt.Sprintf("FIRST=%#x", tc.first), fmt.Sprintf("SECOND=%#x", tc.second))
			if !hasLine(out, tc.want) {
				t.Fatalf("want %q, got %q", tc.want, out)
			}
		})
	}
	t.Run("TRAP beats ERRNO", func(t *testing.T) {
		r := runChild(t, "stack", fmt.Sprintf("FIRST=%#x", errnoRet(1)), fmt.Sprintf("SECOND=%#x", retTrap))
		if r.exitCode != 2 || !strings.Contains(r.stderr, "SIGSYS") {
			t.Fatalf("want the runtime's SIGSYS crash, got %v", r)
		}
	})
	t.Run("KILL_PROCESS beats everything", func(t *testing.T) {
		r := runChild(t, "stack", fmt.Sprintf("FIRST=%#x", uint32(retKillProcess)), fmt.Sprintf("SECOND=%#x", errnoRet(1)))
		if r.signal != unix.SIGSYS {
			t.Fatalf("want SIGSYS, got %v", r)
		}
	})
}

// childThreads: 50 goroutines locked to their own threads before the
// install, and 20 locked goroutines that force new threads after it, all
// make getppid; every thread must get EPERM and show the filter in /proc.
func childThreads() {
	const before, after = 50, 20
	type probe struct {
		tid   int
		errno unix.Errno
	}
	start := make(chan struct{})
	hold := make(chan struct{}) // keeps every locked thread alive to the end
	results := make(chan probe, before+after)
	ready := make(chan int, before+after)
	locked := func() {
		runtime.LockOSThread()
		ready <- unix.Gettid()
		<-start
		_, e := rawCall(unix.SYS_GETPPID)
		results <- probe{unix.Gettid(), e}
		<-hold
	}
	for i := 0; i < before; i++ {
		go locked()
	}
	preTids := map[int]bool{}
	for i := 0; i < before; i++ {
		preTids[<-ready] = true
	}
	if len(preTids) != before {
		fail("%d locked goroutines on %d threads", before, len(preTids))
	}
	if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(uint16(unix.EPERM))})); err != nil {
		fail("InstallProgram: %v", err)
	}
	atInstall := taskStatus()
	for i := 0; i < after; i++ {
		go locked()
	}
	newThreads := 0
	for i := 0; i < after; i++ {
		tid := <-ready
		if _, existed := atInstall[tid]; !existed {
			newThreads++
		}
	}
	close(start)
	seen := map[int]bool{}
	for i := 0; i < before+after; i++ {
		p := <-results
		if p.errno != unix.EPERM {
			fail("thread %d: getppid errno %v, want EPERM", p.tid, p.errno)
		}
		seen[p.tid] = true
	}
	st := taskStatus("Seccomp", "Seccomp_filters", "NoNewPrivs")
	for tid, m := range st {
		if m["Seccomp"] != "2" || m["Seccomp_filters"] != "1" || m["NoNewPrivs"] != "1" {
			fail("thread %d: %v", tid, m)
		}
	}
	fmt.Printf("threads=%d pre-existing=%d created-after=%d all-filtered=%d\n", len(seen), before, newThreads, len(st))
	close(hold)
}

func TestAllThreads(t *testing.T) {
	out := mustChild(t, "threads")
	var n, pre, post, all int
	if _, err := fmt.Sscanf(strings.TrimSpace(out), "threads=%d pre-existing=%d created-after=%d all-filtered=%d", &n, &pre, &post, &all); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if n != 70 || pre != 50 || post < 10 || all < 70 {
		t.Fatalf("want 70 distinct threads, 50 before, >= 10 created after, all filtered; got %q", out)
	}
}

// childTSyncFail: one thread gets its own filter; the TSYNC install must
// then fail naming that thread, and leave every other thread unfiltered.
func childTSyncFail() {
	flags := Flag(0)
	if os.Getenv("LISTENER") == "1" {
		flags = NewListener
	}
	tidc := make(chan int)
	hold := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := SetNoNewPrivs(); err != nil {
			fail("%v", err)
		}
		if _, err := SetFilter(allowAll, 0); err != nil {
			fail("SetFilter: %v", err)
		}
		tidc <- unix.Gettid()
		<-hold
	}()
	odd := <-tidc
	_, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(1)}), WithFlags(flags))
	var te *ThreadError
	if !errors.As(err, &te) || !errors.Is(err, ErrThreadSync) {
		fail("InstallProgram: %v, want a ThreadError", err)
	}
	fmt.Printf("named-right=%v err=%v\n", te.TID == odd, err)
	if _, e := rawCall(unix.SYS_GETPPID); e != 0 {
		fail("getppid after a failed install: %v", e)
	}
	// The installing thread set no_new_privs before seccomp failed; it must
	// have been thrown away rather than returned to the scheduler.
	deadline := time.Now().Add(3 * time.Second)
	for {
		bad := ""
		for tid, m := range taskStatus("Seccomp", "Seccomp_filters", "NoNewPrivs") {
			want := map[string]string{"Seccomp": "0", "Seccomp_filters": "0", "NoNewPrivs": "0"}
			if tid == odd {
				want = map[string]string{"Seccomp": "2", "Seccomp_filters": "1", "NoNewPrivs": "1"}
			}
			if tid == os.Getpid() && m["NoNewPrivs"] == "1" {
				// The install ran on the main thread, which the runtime
				// wedges forever instead of ending (mexit on m0): it
				// keeps the bit but never runs Go code again.
				delete(want, "NoNewPrivs")
			}
			for k, v := range want {
				if m[k] != v {
					bad = fmt.Sprintf("thread %d: %v", tid, m)
				}
			}
		}
		if bad == "" {
			break
		}
		if time.Now().After(deadline) {
			fail("after a failed TSYNC: %s", bad)
		}
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Println("no thread changed")
	close(hold)
}

func TestTSyncFailureIsAtomic(t *testing.T) {
	for _, tc := range []struct{ name, env string }{
		{"TID return", "LISTENER=0"},
		{"TSYNC_ESRCH with NEW_LISTENER", "LISTENER=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustChild(t, "tsync-fail", tc.env)
			if !strings.Contains(out, "named-right=true") || !hasLine(out, "no thread changed") {
				t.Fatalf("got:\n%s", out)
			}
		})
	}
}

// childABI makes getppid through another ABI under an x86_64 deny-list
// program that allows getppid: the filter must give it KILL_PROCESS.
func childABI() {
	mode := os.Getenv("MODE")
	call := func() (int, unix.Errno) {
		switch mode {
		case "int80":
			r := int(abi.Int80(64, 0, 0, 0)) // i386 getppid
			if r < 0 && r > -4096 {
				return -1, unix.Errno(-r)
			}
			return r, 0
		case "x32":
			r, e := rawCall(unix.SYS_GETPPID | 0x40000000)
			return int(r), e
		}
		fail("MODE %q", mode)
		return 0, 0
	}
	r, e := call()
	fmt.Printf("before: r=%d errno=%d real-ppid=%v\n", r, int(e), r == os.Getppid())
	if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPID: errnoRet(1)})); err != nil {
		fail("InstallProgram: %v", err)
	}
	os.Stdout.Sync()
	r, e = call()
	fmt.Printf("after: r=%d errno=%d\n", r, int(e))
}

func TestABIHolesClosed(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("int $0x80 and x32 are x86_64 matters")
	}
	for _, tc := range []struct{ mode, before string }{
		// Without a filter int $0x80 reaches the i386 getppid: a real path.
		{"int80", "real-ppid=true"},
		// This kernel has no x32 (CONFIG_X86_X32_ABI off), so the call
		// fails with ENOSYS; the filter must still judge it.
		{"x32", fmt.Sprintf("errno=%d", int(unix.ENOSYS))},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			r := runChild(t, "abi", "MODE="+tc.mode)
			if !strings.Contains(r.stdout, tc.before) {
				t.Fatalf("before the filter: want %q, got %v", tc.before, r)
			}
			if r.signal != unix.SIGSYS || strings.Contains(r.stdout, "after:") {
				t.Fatalf("want KILL_PROCESS (SIGSYS) for the foreign ABI, got %v", r)
			}
		})
	}
}

// childArgsHi: getppid's arg0 decides, by its high word: a program that
// compares both halves (low word at 16, high at 20 on little endian).
func childArgsHi() {
	const nrOff, lo0, hi0 = 0, 16, 20
	prog, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xc000003e, SkipTrue: 1},
		bpf.RetConstant{Val: retKillProcess},
		bpf.LoadAbsolute{Off: nrOff, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: unix.SYS_GETPPID, SkipTrue: 1},
		bpf.RetConstant{Val: retAllow},
		bpf.LoadAbsolute{Off: lo0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 5, SkipTrue: 1},
		bpf.RetConstant{Val: retAllow},
		bpf.LoadAbsolute{Off: hi0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 1, SkipFalse: 1},
		bpf.RetConstant{Val: errnoRet(11)},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 2, SkipFalse: 1},
		bpf.RetConstant{Val: errnoRet(12)},
		bpf.RetConstant{Val: retAllow},
	})
	if err != nil {
		fail("%v", err)
	}
	if _, err := InstallProgram(prog); err != nil {
		fail("InstallProgram: %v", err)
	}
	for _, a := range []uint64{5, 1<<32 | 5, 2<<32 | 5, 3<<32 | 5, 1 << 32} {
		_, e := rawCall(unix.SYS_GETPPID, uintptr(a))
		fmt.Printf("%#x:%d\n", a, int(e))
	}
}

func TestArgumentHighWord(t *testing.T) {
	out := mustChild(t, "args-hi")
	for _, want := range []string{"0x5:0", "0x100000005:11", "0x200000005:12", "0x300000005:0", "0x100000000:0"} {
		if !hasLine(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// childStrict: a locked goroutine enters strict mode, writes one byte with
// a raw write and exits its thread (MODE=ok), or makes a forbidden call
// and is killed (MODE=violate). The rest of the process goes on.
func childStrict() {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		fail("%v", err)
	}
	violate := os.Getenv("MODE") == "violate"
	var reached atomic.Bool
	tidc := make(chan int, 1)
	go func() {
		runtime.LockOSThread()
		tidc <- unix.Gettid()
		if err := InstallStrict(); err != nil {
			fail("InstallStrict: %v", err)
		}
		b := [1]byte{'s'}
		unix.RawSyscall(unix.SYS_WRITE, uintptr(p[1]), uintptr(unsafe.Pointer(&b[0])), 1)
		if violate {
			unix.Syscall(unix.SYS_GETPID, 0, 0, 0)
			reached.Store(true)
		}
		ExitThread()
	}()
	tid := <-tidc
	var b [1]byte
	if n, err := unix.Read(p[0], b[:]); n != 1 || err != nil {
		fail("read: %d %v", n, err)
	}
	// A dead thread leaves /proc/self/task, or, if it was the thread-group
	// leader, stays there as a zombie until the process ends.
	gone := false
	for i := 0; i < 300 && !gone; i++ {
		b, err := os.ReadFile("/proc/self/task/" + strconv.Itoa(tid) + "/stat")
		gone = os.IsNotExist(err) || err == nil && strings.Contains(string(b), ") Z ")
		time.Sleep(10 * time.Millisecond)
	}
	fmt.Printf("byte=%c thread-gone=%v after-forbidden-call=%v\n", b[0], gone, reached.Load())
	// The process itself is fine.
	if _, e := rawCall(unix.SYS_GETPPID); e != 0 {
		fail("getppid: %v", e)
	}
	os.Exit(0) // no deferred work, no GC waiting on the vanished thread
}

func TestStrictMode(t *testing.T) {
	for _, mode := range []string{"ok", "violate"} {
		t.Run(mode, func(t *testing.T) {
			out := mustChild(t, "strict", "MODE="+mode)
			if !hasLine(out, "byte=s thread-gone=true after-forbidden-call=false") {
				t.Fatalf("got %q", out)
			}
		})
	}
	t.Run("strict after filter", func(t *testing.T) {
		r := runChild(t, "strict-after-filter")
		if r.exitCode != 0 || !hasLine(r.stdout, "EINVAL") {
			t.Fatalf("got %v", r)
		}
	})
}

func init() {
	children["strict-after-filter"] = func() {
		runtime.LockOSThread()
		if _, err := InstallProgram(allowAll); err != nil {
			fail("%v", err)
		}
		err := InstallStrict()
		if errors.Is(err, unix.EINVAL) {
			fmt.Println("EINVAL")
		} else {
			fmt.Println(err)
		}
	}
}

// childNNP: no_new_privs is per thread until a TSYNC install spreads it.
func childNNP() {
	runtime.LockOSThread()
	before, _ := NoNewPrivs()
	if err := SetNoNewPrivs(); err != nil {
		fail("%v", err)
	}
	after, _ := NoNewPrivs()
	other := make(chan bool)
	go func() {
		runtime.LockOSThread()
		v, _ := NoNewPrivs()
		other <- v
	}()
	fmt.Printf("before=%v after=%v other-thread=%v\n", before, after, <-other)
}

func TestNoNewPrivs(t *testing.T) {
	out := mustChild(t, "nnp")
	if !hasLine(out, "before=false after=true other-thread=false") {
		t.Fatalf("got %q", out)
	}
}

// childNoNNP: WithoutNoNewPrivs as root (CAP_SYS_ADMIN) works and leaves
// no_new_privs clear; as an unprivileged user it fails with ErrPermission.
func childNoNNP() {
	_, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(1)}), WithoutNoNewPrivs())
	if err != nil {
		fmt.Printf("permission=%v eacces=%v\n", errors.Is(err, ErrPermission), errors.Is(err, unix.EACCES))
		fmt.Println(err)
		// With no_new_privs it works for anyone.
		if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(1)})); err != nil {
			fail("with no_new_privs: %v", err)
		}
	}
	_, e := rawCall(unix.SYS_GETPPID)
	nnp := map[string]int{}
	for _, m := range taskStatus("NoNewPrivs") {
		nnp[m["NoNewPrivs"]]++
	}
	fmt.Printf("getppid errno=%d nnp=%v\n", int(e), nnp)
}

func TestWithoutNoNewPrivs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for both halves")
	}
	t.Run("root", func(t *testing.T) {
		out := mustChild(t, "no-nnp")
		if strings.Contains(out, "permission=") || !strings.Contains(out, "getppid errno=1 nnp=map[0:") || strings.Contains(out, "1:") {
			t.Fatalf("want the filter without no_new_privs, got:\n%s", out)
		}
	})
	t.Run("nobody", func(t *testing.T) {
		// The test binary must be reachable by uid 65534.
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
		r := runChildCmd(t, "no-nnp", func(c *exec.Cmd) {
			c.Path, c.Args[0] = bin, bin
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		})
		if r.exitCode != 0 || !hasLine(r.stdout, "permission=true eacces=true") ||
			!strings.Contains(r.stdout, "CAP_SYS_ADMIN") || !strings.Contains(r.stdout, "getppid errno=1 nnp=map[1:") {
			t.Fatalf("got %v", r)
		}
	})
}

// childListenerTwice: a second listener in one filter chain is EBUSY.
func childListenerTwice() {
	prog := denyProgram(map[uint32]uint32{unix.SYS_GETPPID: retUserNotif})
	fd, err := InstallProgram(prog, WithFlags(NewListener))
	if err != nil || fd < 0 {
		fail("first: %d %v", fd, err)
	}
	_, err = InstallProgram(prog, WithFlags(NewListener))
	fmt.Printf("second: ebusy=%v\n", errors.Is(err, unix.EBUSY))
	// Without a listener a second filter is fine.
	if _, err := InstallProgram(allowAll); err != nil {
		fail("third: %v", err)
	}
	fmt.Println("third ok")
}

func TestListenerTwice(t *testing.T) {
	out := mustChild(t, "listener-twice")
	if !hasLine(out, "second: ebusy=true") || !hasLine(out, "third ok") {
		t.Fatalf("got %q", out)
	}
}

// childLogFlag: getppid → ERRNO(EPERM), with or without the Log flag.
func childLogFlag() {
	var opts []Option
	if os.Getenv("LOG") == "1" {
		opts = append(opts, WithFlags(Log))
	}
	if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(1)}), opts...); err != nil {
		fail("%v", err)
	}
	_, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("errno=%d\n", int(e))
}

// kmsgSeccompRecord looks in the kernel log for the audit record
// (type=1326, AUDIT_SECCOMP) of a call by pid with the given code.
func kmsgSeccompRecord(t *testing.T, pid int, code string) (found, suppressed bool) {
	t.Helper()
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("kernel log: %v", err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 8192)
	for {
		// One record per read; EAGAIN at the end, EPIPE if records were
		// overwritten while reading (then go on).
		n, err := unix.Read(fd, buf)
		if err == unix.EPIPE {
			continue
		}
		if err != nil || n <= 0 {
			return found, suppressed
		}
		line := string(buf[:n])
		if strings.Contains(line, "type=1326") && strings.Contains(line, fmt.Sprintf(" pid=%d ", pid)) && strings.Contains(line, "code="+code) {
			found = true
		}
		if strings.Contains(line, "kauditd_printk_skb") && strings.Contains(line, "suppressed") {
			suppressed = true
		}
	}
}

func TestLogFlag(t *testing.T) {
	if _, err := os.Stat("/dev/kmsg"); err != nil {
		t.Skip(err)
	}
	// An ERRNO result is logged only when the filter has FLAG_LOG
	// (seccomp_log: ERRNO is in the "needs the filter's log flag" group).
	for _, tc := range []struct {
		env  string
		want bool
	}{{"LOG=1", true}, {"LOG=0", false}} {
		t.Run(tc.env, func(t *testing.T) {
			r := runChild(t, "log-flag", tc.env)
			if r.exitCode != 0 || !hasLine(r.stdout, "errno=1") {
				t.Fatalf("got %v", r)
			}
			var found, suppressed bool
			for i := 0; i < 20 && found != tc.want; i++ {
				time.Sleep(50 * time.Millisecond)
				found, suppressed = kmsgSeccompRecord(t, r.pid, "0x50001")
			}
			if found != tc.want {
				if tc.want && suppressed {
					t.Skip("the kernel rate-limited audit printk")
				}
				t.Fatalf("audit record for pid %d: found=%v, want %v", r.pid, found, tc.want)
			}
		})
	}
}

// childSpecAllow: prints the Speculation_Store_Bypass state before and
// after installing with or without SpecAllow.
func childSpecAllow() {
	read := func() string {
		return taskStatus("Speculation_Store_Bypass")[unix.Gettid()]["Speculation_Store_Bypass"]
	}
	runtime.LockOSThread()
	before := read()
	var opts []Option
	if os.Getenv("SPEC") == "1" {
		opts = append(opts, WithFlags(SpecAllow))
	}
	if _, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: errnoRet(1)}), opts...); err != nil {
		fail("%v", err)
	}
	_, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("before=%q\nafter=%q\nerrno=%d\n", before, read(), int(e))
}

func TestSpecAllow(t *testing.T) {
	with := mustChild(t, "spec-allow", "SPEC=1")
	without := mustChild(t, "spec-allow", "SPEC=0")
	if !hasLine(with, "errno=1") || !hasLine(without, "errno=1") {
		t.Fatalf("filter not in force:\n%s\n%s", with, without)
	}
	// Only where the mitigation is controlled per thread (prctl/seccomp
	// mode) does the flag change what /proc shows: seccomp forces the
	// mitigation on unless SPEC_ALLOW (arch_seccomp_spec_mitigate).
	if !strings.Contains(without, `before="thread vulnerable"`) {
		t.Logf("Speculation_Store_Bypass is not per-thread controllable here; only acceptance is tested:\n%s", without)
		return
	}
	if !strings.Contains(without, `after="thread force mitigated"`) || !strings.Contains(with, `after="thread vulnerable"`) {
		t.Fatalf("want forced mitigation without SPEC_ALLOW only:\nwith:\n%s\nwithout:\n%s", with, without)
	}
}

// childKillable: getppid is notified; after the supervisor has received
// the notification, a non-fatal signal hits the waiting thread. With
// WAIT_KILLABLE_RECV the notification survives; without, the kernel
// withdraws it and the call is restarted as a new notification.
func childKillable() {
	flags := NewListener
	if os.Getenv("KILLABLE") == "1" {
		flags |= WaitKillableRecv
	}
	fd, err := InstallProgram(denyProgram(map[uint32]uint32{unix.SYS_GETPPID: retUserNotif}), WithFlags(flags))
	if err != nil {
		fail("InstallProgram: %v", err)
	}
	tidc := make(chan int, 1)
	done := make(chan unix.Errno, 1)
	go func() {
		runtime.LockOSThread()
		tidc <- unix.Gettid()
		_, e := rawCall(unix.SYS_GETPPID)
		done <- e
	}()
	tid := <-tidc
	recv := func() uint64 {
		var notif [80]byte
		if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&notif))); e != 0 {
			fail("NOTIF_RECV: %v", e)
		}
		return binary.NativeEndian.Uint64(notif[:])
	}
	id := recv()
	// SIGURG is the runtime's own preemption signal: handled, restartable.
	if err := unix.Tgkill(os.Getpid(), tid, unix.SIGURG); err != nil {
		fail("tgkill: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	_, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_ID_VALID, uintptr(unsafe.Pointer(&id)))
	fmt.Printf("still-valid=%v\n", e == 0)
	if e != 0 {
		id = recv() // the restarted call
	}
	var resp [24]byte
	binary.NativeEndian.PutUint64(resp[0:], id)
	eperm := -int32(unix.EPERM)
	binary.NativeEndian.PutUint32(resp[16:], uint32(eperm))
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&resp))); e != 0 {
		fail("NOTIF_SEND: %v", e)
	}
	fmt.Printf("getppid errno=%d\n", int(<-done))
}

func TestWaitKillableRecv(t *testing.T) {
	if !kernelAtLeast(t, 5, 19) {
		t.Skip("WAIT_KILLABLE_RECV needs Linux 5.19")
	}
	for _, tc := range []struct {
		env  string
		want string
	}{{"KILLABLE=1", "still-valid=true"}, {"KILLABLE=0", "still-valid=false"}} {
		t.Run(tc.env, func(t *testing.T) {
			out := mustChild(t, "killable", tc.env)
			if !hasLine(out, tc.want) || !hasLine(out, "getppid errno=1") {
				t.Fatalf("want %q and EPERM, got:\n%s", tc.want, out)
			}
		})
	}
}

func TestFlagErrorsBeforeSyscall(t *testing.T) {
	// The combination rules are checked before seccomp(2) and name the
	// flag; nothing needs a child because nothing reaches the kernel.
	for _, f := range []Flag{WaitKillableRecv, 1 << 7} {
		_, err := InstallProgram(allowAll, WithFlags(f))
		var fe *FlagError
		if !errors.As(err, &fe) || !errors.Is(err, ErrFlagCombination) {
			t.Errorf("WithFlags(%v): %v, want a FlagError", f, err)
		}
	}
	_, err := SetFilter(allowAll, TSync|NewListener)
	if !errors.Is(err, ErrFlagCombination) || !strings.Contains(err.Error(), "TSYNC_ESRCH") {
		t.Errorf("SetFilter(TSYNC|NEW_LISTENER): %v", err)
	}
	// A bad program is caught by the verifier, with the instruction.
	_, err = InstallProgram([]bpf.RawInstruction{{Op: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: 2}, {Op: unix.BPF_RET | unix.BPF_K, K: retAllow}})
	if !errors.Is(err, ErrProgram) || !strings.Contains(err.Error(), "instruction 0") {
		t.Errorf("misaligned load: %v", err)
	}
	if _, err = InstallProgram(nil); !errors.Is(err, ErrProgram) {
		t.Errorf("empty program: %v", err)
	}
}

// sortedKeys is for stable messages.
func sortedKeys(m map[int]map[string]string) []int {
	ks := make([]int, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Ints(ks)
	return ks
}
