//go:build linux && amd64

package kernelprobe

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The layout shared with prober_linux_amd64.s. The offsets are repeated
// there as #defines; TestLayout checks that they agree.

// ctlBlock is the prober's control block.
type ctlBlock struct {
	NJobs       uint64  // 0
	Jobs        uintptr // 8: *[NJobs]jobBlock
	Job         uint64  // 16: index of the current job (the leader advances it)
	Phase       uint64  // 24: the probing thread's phase, see phase*
	TidWord     uint32  // 32: CLONE_CHILD_CLEARTID word of the probing thread
	_           uint32  // 36
	TStack      uintptr // 40: top of the probing thread's stack
	ThreadSP    uintptr // 48: stack pointer to resume at after a TRAP
	SigHandler  uintptr // 56: struct sigaction for SIGSYS (kernel layout)
	SigFlags    uint64  // 64
	SigRestorer uintptr // 72
	SigMask     uint64  // 80: also the empty mask for rt_sigprocmask
	LeaderErr   int64   // 88: a failed syscall of the leader (-errno)
}

// jobBlock is one Job.
type jobBlock struct {
	NFilters   uint64  // 0
	Fprogs     uintptr // 8: *[NFilters]sockFprog
	InstallRet uintptr // 16: *[NFilters]int64
	NProbes    uint64  // 24
	Probes     uintptr // 32: *[NProbes]probeBlock
	Results    uintptr // 40: *[NProbes]resultBlock
	Next       uint64  // 48: the probe to run next (or running now)
	Done       uint64  // 56
}

// probeBlock is one Probe, as the assembly reads it.
type probeBlock struct {
	Entry uint32    // 0
	Nr    uint32    // 4: eax, with the x32 bit applied
	Args  [6]uint64 // 8
	_     uint64    // 56
}

// resultBlock is one Outcome, as the assembly writes it.
type resultBlock struct {
	Status   uint64 // 0: one of status*
	Ret      int64  // 8
	Signo    int32  // 16
	Errno    int32  // 20
	Code     int32  // 24
	Syscall  int32  // 28
	Arch     uint32 // 32
	_        uint32 // 36
	CallAddr uint64 // 40
	Signal   int32  // 48: set by Go for a killed process
	Exit     int32  // 52
	_        uint64 // 56
}

type sockFprog struct {
	Len    uint16
	_      [6]byte
	Filter uintptr
}

// cloneArgs is struct clone_args, CLONE_ARGS_SIZE_VER0.
type cloneArgs struct {
	Flags, Pidfd, ChildTid, ParentTid, ExitSignal, Stack, StackSize, TLS uint64
}

const (
	statusNotRun        = 0
	statusRunning       = 1
	statusReturned      = 2
	statusTrapped       = 3
	statusKilledThread  = 4
	statusKilledProcess = 5

	phaseInstall = 0 // installing filters
	phaseProbe   = 1 // making probes
	phaseExit    = 2 // done, trying exit
	// 3 (exit_group) and 4 (a deliberate fault) follow when exit is denied.

	exitLeaderFailed = 3 // the leader's own syscall failed

	stackSize  = 64 << 10
	ctlOffset  = 2 * stackSize
	dataOffset = ctlOffset + 4096
	arenaSize  = 32 << 20

	cloneClearSighand = 0x100000000

	saSiginfo  = 0x4
	saRestorer = 0x04000000
	saNodefer  = 0x40000000

	proberTimeout = 20 * time.Second
)

// proberCtl is the control block's address; the assembly reads it.
var proberCtl uintptr

// Implemented in prober_linux_amd64.s.
func clone3Prober(args *cloneArgs, size uintptr) int64
func proberAddrs() (handler, restorer, sys, int80 uintptr)

var siteSyscallIP, siteInt80IP uint64

func init() {
	_, _, sys, int80 := proberAddrs()
	// Both sites start with their two-byte syscall instruction (0f 05,
	// cd 80); the kernel reports the address after it.
	siteSyscallIP, siteInt80IP = uint64(sys)+2, uint64(int80)+2
}

func siteIP(e Entry) uint64 {
	if e == EntryInt80 {
		return siteInt80IP
	}
	return siteSyscallIP
}

func supported() error {
	if _, err := unix.PrctlRetInt(unix.PR_GET_SECCOMP, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("%w: prctl(PR_GET_SECCOMP): %v", ErrUnsupported, err)
	}
	return nil
}

type server struct {
	mem  []byte
	base uintptr
	ctl  *ctlBlock
	next uintptr // bump allocator within the data area
}

func newServer() (*server, error) {
	// The prober shares this address space. It must never dump core (a
	// dump of a shared mm is pointless and slow), so mark the mm
	// undumpable: fatal signals then kill without a dump.
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return nil, fmt.Errorf("prctl(PR_SET_DUMPABLE): %w", err)
	}
	_ = unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	mem, err := unix.Mmap(-1, 0, arenaSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	s := &server{mem: mem, base: uintptr(unsafe.Pointer(&mem[0]))}
	s.ctl = (*ctlBlock)(unsafe.Pointer(&mem[ctlOffset]))
	proberCtl = s.base + ctlOffset
	return s, nil
}

func (s *server) alloc(n uintptr) (uintptr, error) {
	n = (n + 63) &^ 63
	if s.next+n > arenaSize {
		return 0, errors.New("batch too large")
	}
	p := s.base + s.next
	clear(s.mem[s.next : s.next+n])
	s.next += n
	return p, nil
}

func jobSize(j wireJob) uintptr {
	n := uintptr(64) + 64*3 + uintptr(len(j.Filters))*24 + uintptr(len(j.Probes))*128
	for _, f := range j.Filters {
		n += uintptr(len(f)) + 64
	}
	return n
}

// run runs jobs in batches that fit the arena.
func (s *server) run(jobs []wireJob) ([]wireResult, error) {
	var out []wireResult
	for start := 0; start < len(jobs); {
		end, size := start, uintptr(0)
		for end < len(jobs) && (end == start || size+jobSize(jobs[end]) < arenaSize-dataOffset-4096) {
			size += jobSize(jobs[end])
			end++
		}
		res, err := s.batch(jobs[start:end])
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
		start = end
	}
	return out, nil
}

// at returns the arena object at absolute address addr (as the assembly
// sees it), through the slice so that the address is checked.
func at[T any](s *server, addr uintptr) *T { return (*T)(unsafe.Pointer(&s.mem[addr-s.base])) }

func (s *server) batch(jobs []wireJob) ([]wireResult, error) {
	s.next = dataOffset
	handler, restorer, _, _ := proberAddrs()
	*s.ctl = ctlBlock{
		NJobs:       uint64(len(jobs)),
		TStack:      s.base + 2*stackSize,
		SigHandler:  handler,
		SigFlags:    saSiginfo | saRestorer | saNodefer,
		SigRestorer: restorer,
	}
	jobsAt, err := s.alloc(uintptr(len(jobs)) * 64)
	if err != nil {
		return nil, err
	}
	s.ctl.Jobs = jobsAt
	for i, j := range jobs {
		jb := at[jobBlock](s, jobsAt+uintptr(i)*64)
		if jobSize(j) > arenaSize-dataOffset {
			return nil, fmt.Errorf("job %d does not fit the prober's memory", i)
		}
		jb.NFilters, jb.NProbes = uint64(len(j.Filters)), uint64(len(j.Probes))
		if jb.Fprogs, err = s.alloc(uintptr(len(j.Filters)) * 16); err != nil {
			return nil, err
		}
		if jb.InstallRet, err = s.alloc(uintptr(len(j.Filters)) * 8); err != nil {
			return nil, err
		}
		for f, prog := range j.Filters {
			if len(prog)%8 != 0 || len(prog)/8 > 0xffff {
				return nil, fmt.Errorf("job %d filter %d: %d bytes are not a sock_filter array sock_fprog can hold", i, f, len(prog))
			}
			insns, err := s.alloc(uintptr(len(prog)) + 8)
			if err != nil {
				return nil, err
			}
			copy(s.mem[insns-s.base:], prog)
			*at[sockFprog](s, jb.Fprogs+uintptr(f)*16) = sockFprog{Len: uint16(len(prog) / 8), Filter: insns}
			*at[int64](s, jb.InstallRet+uintptr(f)*8) = notAttempted
		}
		if jb.Probes, err = s.alloc(uintptr(len(j.Probes)) * 64); err != nil {
			return nil, err
		}
		if jb.Results, err = s.alloc(uintptr(len(j.Probes)) * 64); err != nil {
			return nil, err
		}
		for k, pr := range j.Probes {
			*at[probeBlock](s, jb.Probes+uintptr(k)*64) = probeBlock{Entry: uint32(pr.Entry), Nr: pr.SeenNr(), Args: pr.Args}
		}
	}

	for s.ctl.Job < s.ctl.NJobs {
		ws, err := s.spawn()
		if err != nil {
			return nil, err
		}
		if s.ctl.LeaderErr != 0 {
			return nil, fmt.Errorf("prober leader: %v", syscall.Errno(-s.ctl.LeaderErr))
		}
		if s.ctl.Job >= s.ctl.NJobs {
			break
		}
		if ws.Exited() && ws.ExitStatus() == 0 {
			return nil, fmt.Errorf("prober exited early at job %d", s.ctl.Job)
		}
		// The prober process died in the middle of job ctl.Job.
		jb := at[jobBlock](s, jobsAt+uintptr(s.ctl.Job)*64)
		if jb.Done != 0 {
			continue
		}
		if s.ctl.Phase == phaseProbe && jb.Next < jb.NProbes {
			r := at[resultBlock](s, jb.Results+uintptr(jb.Next)*64)
			r.Status = statusKilledProcess
			if ws.Signaled() {
				r.Signal = int32(ws.Signal())
			} else {
				r.Exit = int32(ws.ExitStatus())
			}
			jb.Next++
		} else {
			jb.Done = 1
		}
	}

	out := make([]wireResult, len(jobs))
	for i := range jobs {
		jb := at[jobBlock](s, jobsAt+uintptr(i)*64)
		w := &out[i]
		for f := uintptr(0); f < uintptr(jb.NFilters); f++ {
			w.Install = append(w.Install, *at[int64](s, jb.InstallRet+f*8))
		}
		for k := uintptr(0); k < uintptr(jb.NProbes); k++ {
			w.Outcomes = append(w.Outcomes, outcome(at[resultBlock](s, jb.Results+k*64)))
		}
	}
	return out, nil
}

func outcome(r *resultBlock) Outcome {
	switch r.Status {
	case statusReturned:
		return Outcome{Kind: Returned, Ret: r.Ret}
	case statusTrapped:
		return Outcome{Kind: Trapped, Trap: Sigsys{Signo: r.Signo, Errno: r.Errno, Code: r.Code,
			Syscall: r.Syscall, Arch: r.Arch, CallAddr: r.CallAddr}}
	case statusKilledThread:
		return Outcome{Kind: KilledThread}
	case statusKilledProcess:
		return Outcome{Kind: KilledProcess, Signal: syscall.Signal(r.Signal), Exit: int(r.Exit)}
	}
	return Outcome{Kind: NotRun}
}

// spawn starts the prober process (a clone3 child sharing this address
// space, with every signal handler reset) and waits for it to end.
func (s *server) spawn() (unix.WaitStatus, error) {
	args := cloneArgs{
		Flags:      unix.CLONE_VM | cloneClearSighand,
		ExitSignal: uint64(unix.SIGCHLD),
		Stack:      uint64(s.base),
		StackSize:  stackSize,
	}
	pid := clone3Prober(&args, unsafe.Sizeof(args))
	if pid < 0 {
		return 0, fmt.Errorf("clone3: %w", syscall.Errno(-pid))
	}
	var timedOut atomic.Bool
	t := time.AfterFunc(proberTimeout, func() {
		timedOut.Store(true)
		unix.Kill(int(pid), unix.SIGKILL)
	})
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(int(pid), &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			t.Stop()
			return 0, fmt.Errorf("wait4: %w", err)
		}
		break
	}
	if !t.Stop() && timedOut.Load() {
		return 0, fmt.Errorf("prober hung for %v at job %d and was killed", proberTimeout, s.ctl.Job)
	}
	return ws, nil
}
