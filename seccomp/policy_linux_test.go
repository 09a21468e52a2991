package seccomp

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/seccomp/internal/abi"
)

func init() {
	children["policy-open"] = childPolicyOpen
	children["policy-allowlist"] = childPolicyAllowlist
	children["policy-getppid"] = childPolicyGetppid
	children["policy-abi"] = childPolicyABI
	children["policy-args"] = childPolicyArgs
	children["policy-stack"] = childPolicyStack
	children["policy-listener"] = childPolicyListener
}

// mustInstall installs p in a child or ends it.
func mustInstall(p *Policy, opts ...Option) *Installed {
	inst, err := Install(p, opts...)
	if err != nil {
		fail("Install: %v", err)
	}
	return inst
}

// childPolicyOpen is the seed example: a policy that kills (or fails with
// EACCES) on open and openat; then the child opens a file.
func childPolicyOpen() {
	act := KillProcess
	if os.Getenv("ACTION") == "errno" {
		act = Errno(uint16(unix.EACCES))
	}
	mustInstall(&Policy{
		Default: Allow,
		Rules:   []Rule{{Syscalls: []string{"open", "openat"}, Action: act}},
	})
	fmt.Println("installed")
	os.Stdout.Sync()
	_, err := os.Open("/etc/hostname")
	fmt.Printf("open: eacces=%v\n", errors.Is(err, unix.EACCES))
}

func TestSeedOpenPolicy(t *testing.T) {
	t.Run("KILL_PROCESS", func(t *testing.T) {
		r := runChild(t, "policy-open", "ACTION=kill")
		if r.signal != unix.SIGSYS || !strings.Contains(r.stdout, "installed") || strings.Contains(r.stdout, "open:") {
			t.Fatalf("want SIGSYS at the open, got %v", r)
		}
	})
	t.Run("ERRNO(EACCES)", func(t *testing.T) {
		out := mustChild(t, "policy-open", "ACTION=errno")
		if !hasLine(out, "open: eacces=true") {
			t.Fatalf("got %q", out)
		}
	})
}

// childPolicyAllowlist: an allowlist with RuntimeRules and a KILL_PROCESS
// (or errno) default; the child then works the runtime hard (GC, many
// goroutines, timers, preemption, stack growth) and must survive.
func childPolicyAllowlist() {
	def := KillProcess
	if os.Getenv("DEFAULT") == "errno" {
		def = Errno(uint16(unix.EPERM))
	}
	p := &Policy{Default: def, Rules: append(RuntimeRules(),
		Rule{Syscalls: []string{"getppid"}, Action: Errno(uint16(unix.EPERM))})}
	inst := mustInstall(p)
	fmt.Printf("program=%d insns exhaustive=%v\n", len(inst.Program.Insns), inst.Report.Exhaustive)
	deadline := time.Now().Add(time.Duration(envInt("MILLIS", 1000)) * time.Millisecond)
	var sink [][]byte
	rounds := 0
	for time.Now().Before(deadline) {
		var wg sync.WaitGroup
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				b := make([]byte, 64<<10)
				recurse(20) // stack growth
				time.Sleep(time.Millisecond)
				x := 0
				for j := 0; j < 2_000_000; j++ { // long enough to be preempted
					x += j ^ i
				}
				b[0] = byte(x)
				if i == 0 {
					sink = append(sink, b)
				}
			}(i)
		}
		wg.Wait()
		runtime.GC()
		debug.FreeOSMemory()
		if len(sink) > 8 {
			sink = nil
		}
		rounds++
	}
	timer := time.NewTimer(5 * time.Millisecond)
	<-timer.C
	_, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("survived rounds>0=%v getppid-denied=%v\n", rounds > 0, e != 0)
}

//go:noinline
func recurse(n int) int {
	var pad [512]byte
	if n == 0 {
		return int(pad[0])
	}
	return recurse(n-1) + int(pad[n])
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

func TestRuntimeRulesAllowlist(t *testing.T) {
	for _, def := range []string{"kill", "errno"} {
		t.Run(def, func(t *testing.T) {
			r := runChild(t, "policy-allowlist", "DEFAULT="+def)
			if r.exitCode != 0 || !strings.Contains(r.stdout, "survived rounds>0=true getppid-denied=true") {
				t.Fatalf("the runtime did not survive its own allowlist: %v", r)
			}
		})
	}
}

// childPolicyGetppid: a deny-list policy, getppid → $ACTION.
func childPolicyGetppid() {
	act, err := compiler.ParseAction(os.Getenv("ACTION"))
	if err != nil {
		fail("%v", err)
	}
	ppid := os.Getppid()
	mustInstall(&Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"getppid"}, Action: act}}})
	r, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("r=%d errno=%d real=%v\n", int(r), int(e), e == 0 && int(r) == ppid)
}

func TestPolicyActions(t *testing.T) {
	for _, tc := range []struct {
		action string
		want   string
		signal syscall.Signal
	}{
		{action: "ERRNO(1)", want: "r=-1 errno=1 real=false"},
		{action: "ERRNO(13)", want: "r=-1 errno=13 real=false"},
		{action: "ERRNO(95)", want: "r=-1 errno=95 real=false"},
		{action: "ERRNO(4094)", want: "r=-1 errno=4094 real=false"},
		{action: "LOG", want: "errno=0 real=true"},
		{action: "TRACE(7)", want: fmt.Sprintf("r=-1 errno=%d real=false", int(unix.ENOSYS))},
		{action: "USER_NOTIF", want: fmt.Sprintf("r=-1 errno=%d real=false", int(unix.ENOSYS))},
		{action: "KILL_PROCESS", signal: unix.SIGSYS},
	} {
		t.Run(tc.action, func(t *testing.T) {
			r := runChild(t, "policy-getppid", "ACTION="+tc.action)
			if tc.signal != 0 {
				if r.signal != tc.signal {
					t.Fatalf("want %v, got %v", tc.signal, r)
				}
				return
			}
			if r.exitCode != 0 || !strings.Contains(r.stdout, tc.want) {
				t.Fatalf("want %q, got %v", tc.want, r)
			}
		})
	}
}

// childPolicyABI: a native deny-list policy; getppid through int $0x80 or
// with the x32 bit must get the bad-arch action (KILL_PROCESS).
func childPolicyABI() {
	mustInstall(&Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"ptrace"}, Action: Errno(1)}}})
	fmt.Println("installed")
	os.Stdout.Sync()
	switch os.Getenv("MODE") {
	case "int80":
		abi.Int80(64, 0, 0, 0)
	case "x32":
		rawCall(unix.SYS_GETPPID | 0x40000000)
	case "native":
		rawCall(unix.SYS_GETPPID)
	}
	fmt.Println("returned")
}

func TestPolicyABIHoles(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("x86_64 only")
	}
	for _, mode := range []string{"int80", "x32"} {
		t.Run(mode, func(t *testing.T) {
			r := runChild(t, "policy-abi", "MODE="+mode)
			if r.signal != unix.SIGSYS || !strings.Contains(r.stdout, "installed") || strings.Contains(r.stdout, "returned") {
				t.Fatalf("want KILL_PROCESS for the foreign ABI, got %v", r)
			}
		})
	}
	t.Run("native control", func(t *testing.T) {
		if out := mustChild(t, "policy-abi", "MODE=native"); !hasLine(out, "returned") {
			t.Fatalf("got %q", out)
		}
	})
}

// childPolicyArgs: conditions on 64-bit values whose high words differ.
func childPolicyArgs() {
	mustInstall(&Policy{Default: Allow, Rules: []Rule{
		{Syscalls: []string{"getppid"}, Action: Errno(11), Conds: []Cond{Arg(0).EQ(1<<32 | 5)}},
		{Syscalls: []string{"getppid"}, Action: Errno(12), Conds: []Cond{Arg(0).Low32().EQ(5)}},
		{Syscalls: []string{"getppid"}, Action: Errno(13), Conds: []Cond{Arg(1).GT(0xffffffff)}},
		{Syscalls: []string{"getppid"}, Action: Errno(14), Conds: []Cond{Arg(2).MaskedEQ(0xff00000000, 0x4200000000)}},
	}})
	for _, a := range [][3]uint64{
		{1<<32 | 5, 0, 0}, {2<<32 | 5, 0, 0}, {5, 0, 0}, {6, 0, 0},
		{0, 1 << 32, 0}, {0, 0xffffffff, 0},
		{0, 0, 0x4211111111}, {0, 0, 0x4311111111}, {0, 0, 0x42},
	} {
		_, e := rawCall(unix.SYS_GETPPID, uintptr(a[0]), uintptr(a[1]), uintptr(a[2]))
		fmt.Printf("%#x,%#x,%#x:%d\n", a[0], a[1], a[2], int(e))
	}
}

func TestPolicyArgumentHighWords(t *testing.T) {
	out := mustChild(t, "policy-args")
	for _, want := range []string{
		"0x100000005,0x0,0x0:11", // both ERRNO rules match; the first wins
		"0x200000005,0x0,0x0:12", // only the low word matches
		"0x5,0x0,0x0:12",
		"0x6,0x0,0x0:0",
		"0x0,0x100000000,0x0:13", // > 0xffffffff only through the high word
		"0x0,0xffffffff,0x0:0",
		"0x0,0x0,0x4211111111:14", // mask on the high word
		"0x0,0x0,0x4311111111:0",
		"0x0,0x0,0x42:0",
	} {
		if !hasLine(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

// childPolicyStack: two Installs; the kernel ranks their results.
func childPolicyStack() {
	first, _ := compiler.ParseAction(os.Getenv("FIRST"))
	second, _ := compiler.ParseAction(os.Getenv("SECOND"))
	mustInstall(&Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"getppid"}, Action: first}}})
	mustInstall(&Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"getppid"}, Action: second}}})
	_, e := rawCall(unix.SYS_GETPPID)
	fmt.Printf("errno=%d filters=%s\n", int(e), taskStatus("Seccomp_filters")[unix.Gettid()]["Seccomp_filters"])
}

func TestPolicyStacked(t *testing.T) {
	for _, tc := range []struct{ first, second, want string }{
		{"ERRNO(1)", "ERRNO(2)", "errno=2 filters=2"},
		{"ERRNO(3)", "LOG", "errno=3 filters=2"},
		{"ALLOW", "ERRNO(4)", "errno=4 filters=2"},
	} {
		t.Run(tc.first+"+"+tc.second, func(t *testing.T) {
			out := mustChild(t, "policy-stack", "FIRST="+tc.first, "SECOND="+tc.second)
			if !hasLine(out, tc.want) {
				t.Fatalf("want %q, got %q", tc.want, out)
			}
		})
	}
}

// childPolicyListener: Install with NewListener returns the fd.
func childPolicyListener() {
	inst := mustInstall(&Policy{Default: Allow, Rules: []Rule{{Syscalls: []string{"getppid"}, Action: UserNotif}}},
		WithFlags(NewListener|WaitKillableRecv))
	link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(inst.ListenerFD))
	fmt.Printf("flags=%v link=%s\n", inst.Flags, link)
}

func TestPolicyListener(t *testing.T) {
	out := mustChild(t, "policy-listener")
	if !hasLine(out, "flags=TSYNC|NEW_LISTENER|TSYNC_ESRCH|WAIT_KILLABLE_RECV link=anon_inode:seccomp notify") {
		t.Fatalf("got %q", out)
	}
}
