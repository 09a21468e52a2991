package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"

	"github.com/seccompile/seccompile/arch"
)

// kernelLayout is what the eBPF program needs to know about the running
// kernel's structures: where a task's compat flag lives, and where each
// ABI's argument registers sit in struct pt_regs.
type kernelLayout struct {
	compat          *arch.Arch // the 32-bit ABI a task can enter, nil if not told apart
	compatStatusOff int32      // offset of the status word in task_struct
	compatMask      int32      // the bit in it that marks a compat call
	regs            map[string][6]uint32
	fromBTF         bool // offsets were read from the kernel's BTF, not assumed
}

var (
	layoutOnce sync.Once
	layout     kernelLayout
	layoutErr  error
)

// x86Regs are the pt_regs members holding syscall arguments 0..5 on x86:
// x86_64 and x32 pass them in rdi rsi rdx r10 r8 r9 (syscall_get_arguments,
// arch/x86/include/asm/syscall.h), i386 in ebx ecx edx esi edi ebp.
var x86Regs = map[string][6]string{
	"x86_64": {"di", "si", "dx", "r10", "r8", "r9"},
	"x32":    {"di", "si", "dx", "r10", "r8", "r9"},
	"i386":   {"bx", "cx", "dx", "si", "di", "bp"},
}

// x86PtRegs are the offsets of those members in struct pt_regs
// (arch/x86/include/asm/ptrace.h), fixed by the entry code's push order; used
// when the kernel has no BTF.
var x86PtRegs = map[string]uint32{
	"bp": 32, "bx": 40, "r10": 56, "r9": 64, "r8": 72, "cx": 88, "dx": 96, "si": 104, "di": 112,
}

// kernelLayoutFor reads the layout from the kernel's BTF (cached).
//
// On x86_64 a task that enters the kernel through int $0x80 or the 32-bit
// sysenter/syscall paths is an i386 call even in a 64-bit process; the
// kernel marks it with TS_COMPAT in current_thread_info()->status before the
// sys_enter tracepoint runs (syscall_32_enter, arch/x86/entry/syscall_32.c)
// and clears it on the way back to user mode
// (arch_exit_to_user_mode_prepare), which is what in_ia32_syscall() and so
// seccomp's syscall_get_arch() test. The registers do not tell: orig_ax and
// the tracepoint's id are the same i386 number, and cs is the 64-bit one for
// int $0x80 from a 64-bit process. thread_info is the first member of
// task_struct (CONFIG_THREAD_INFO_IN_TASK), status follows flags and
// syscall_work; with BTF the offsets are read, without it they are assumed.
//
// Other architectures are recorded as their native ABI only: the compat
// marks there (arm64's TIF_32BIT and others) are not read, so a compat
// task's calls would be named from the native table.
func kernelLayoutFor() (kernelLayout, error) {
	layoutOnce.Do(func() {
		if runtime.GOARCH != "amd64" {
			return
		}
		i386, _ := arch.Lookup("i386")
		l := kernelLayout{
			compat:          i386,
			compatStatusOff: 16,
			compatMask:      0x0002, // TS_COMPAT, arch/x86/include/asm/thread_info.h
			regs:            map[string][6]uint32{},
		}
		spec, err := btf.LoadKernelSpec()
		if err == nil {
			ti, err1 := memberOffset(spec, "task_struct", "thread_info")
			st, err2 := memberOffset(spec, "thread_info", "status")
			if err := errors.Join(err1, err2); err != nil {
				layoutErr = fmt.Errorf("kernel BTF: %w", err)
				return
			}
			l.compatStatusOff = int32(ti + st)
			l.fromBTF = true
		}
		for abi, names := range x86Regs {
			var offs [6]uint32
			for i, n := range names {
				offs[i] = x86PtRegs[n]
				if spec != nil {
					off, err := memberOffset(spec, "pt_regs", n)
					if err != nil {
						layoutErr = fmt.Errorf("kernel BTF: %w", err)
						return
					}
					offs[i] = off
				}
			}
			l.regs[abi] = offs
		}
		layout = l
	})
	return layout, layoutErr
}

// memberOffset returns the byte offset of member in struct name, looking
// into anonymous structs and unions.
func memberOffset(spec *btf.Spec, name, member string) (uint32, error) {
	var s *btf.Struct
	if err := spec.TypeByName(name, &s); err != nil {
		return 0, fmt.Errorf("struct %s: %w", name, err)
	}
	if off, ok := findMember(s.Members, member); ok {
		return off / 8, nil
	}
	return 0, fmt.Errorf("struct %s has no member %s", name, member)
}

func findMember(ms []btf.Member, name string) (uint32, bool) {
	for _, m := range ms {
		if m.Name == name {
			return uint32(m.Offset), true
		}
		if m.Name != "" {
			continue
		}
		var inner []btf.Member
		switch t := btf.UnderlyingType(m.Type).(type) {
		case *btf.Struct:
			inner = t.Members
		case *btf.Union:
			inner = t.Members
		}
		if off, ok := findMember(inner, name); ok {
			return uint32(m.Offset) + off, true
		}
	}
	return 0, false
}

// ebpfSession is a loaded, not yet attached recorder.
type ebpfSession struct {
	layout                                kernelLayout
	scope, state, counts, argsel, argvals *ebpf.Map
	prog                                  *ebpf.Program
}

func (s *ebpfSession) Close() {
	if s.prog != nil {
		s.prog.Close()
	}
	for _, m := range []*ebpf.Map{s.scope, s.state, s.counts, s.argsel, s.argvals} {
		if m != nil {
			m.Close()
		}
	}
}

// Sizes of the maps: more distinct (ABI, number) pairs than any ABI has
// syscalls, and room for many argument values.
const (
	maxCounts  = 4096
	maxArgSel  = 256
	maxArgVals = 16384
)

// loadEBPF creates the maps and loads the program (it is not attached).
func loadEBPF(args bool) (_ *ebpfSession, err error) {
	l, err := kernelLayoutFor()
	if err != nil {
		return nil, err
	}
	native := arch.Native()
	execve, ok1 := native.Syscall("execve")
	execveat, ok2 := native.Syscall("execveat")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("no execve/execveat on %s", native)
	}
	s := &ebpfSession{layout: l}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	newMap := func(name string, t ebpf.MapType, k, v, n uint32) (*ebpf.Map, error) {
		m, err := ebpf.NewMap(&ebpf.MapSpec{Name: name, Type: t, KeySize: k, ValueSize: v, MaxEntries: n})
		if err != nil {
			return nil, fmt.Errorf("create map %s: %w", name, err)
		}
		return m, nil
	}
	if s.scope, err = newMap("scc_scope", ebpf.CGroupArray, 4, 4, 1); err != nil {
		return nil, err
	}
	if s.state, err = newMap("scc_state", ebpf.Array, 4, 8, stateEntries); err != nil {
		return nil, err
	}
	if s.counts, err = newMap("scc_counts", ebpf.Hash, countKeySize, 8, maxCounts); err != nil {
		return nil, err
	}
	if s.argsel, err = newMap("scc_argsel", ebpf.Hash, countKeySize, 4, maxArgSel); err != nil {
		return nil, err
	}
	if s.argvals, err = newMap("scc_argvals", ebpf.Hash, argKeySize, 8, maxArgVals); err != nil {
		return nil, err
	}
	cfg := progConfig{
		nativeAudit: native.AuditArch,
		execve:      execve,
		execveat:    execveat,
		args:        args,
	}
	if l.compat != nil {
		cfg.compat = true
		cfg.compatStatusOff = l.compatStatusOff
		cfg.compatMask = l.compatMask
		cfg.compatAudit = l.compat.AuditArch
	}
	if args {
		if err := s.selectArgs(); err != nil {
			return nil, err
		}
	}
	spec := &ebpf.ProgramSpec{
		Name:    "scc_record",
		Type:    ebpf.RawTracepoint,
		License: "Dual MIT/GPL", // bpf_probe_read_kernel and bpf_get_current_task are GPL-only helpers
		Instructions: buildProgram(cfg, progMaps{
			scope: s.scope.FD(), state: s.state.FD(), counts: s.counts.FD(),
			argsel: s.argsel.FD(), argvals: s.argvals.FD(),
		}),
	}
	if s.prog, err = ebpf.NewProgram(spec); err != nil {
		return nil, fmt.Errorf("load the recorder program: %w", err)
	}
	return s, nil
}

// selectArgs fills argsel: for each (ABI, number) whose argument is
// recorded, the offset of the argument's register in pt_regs.
func (s *ebpfSession) selectArgs() error {
	if len(s.layout.regs) == 0 {
		return fmt.Errorf("%w: argument recording with eBPF needs amd64, this is %s", ErrUnavailable, runtime.GOARCH)
	}
	for abi, offs := range s.layout.regs {
		a, err := arch.Lookup(abi)
		if err != nil {
			return err
		}
		for _, sc := range argSyscalls {
			nr, ok := a.Syscall(sc.name)
			if !ok {
				continue
			}
			i, _ := recordedArg(a, sc.name)
			if err := s.argsel.Put(countKey(a.AuditArch, nr), offs[i]); err != nil {
				return fmt.Errorf("fill argsel: %w", err)
			}
		}
	}
	return nil
}

func countKey(audit, nr uint32) []byte {
	k := make([]byte, countKeySize)
	binary.NativeEndian.PutUint32(k, audit)
	binary.NativeEndian.PutUint32(k[4:], nr)
	return k
}

// read copies the maps into r.
func (s *ebpfSession) read(r *Recording) error {
	var k [countKeySize]byte
	var v uint64
	it := s.counts.Iterate()
	for it.Next(&k, &v) {
		r.add(keyOf(binary.NativeEndian.Uint32(k[:]), binary.NativeEndian.Uint32(k[4:])), v)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read counts: %w", err)
	}
	var ak [argKeySize]byte
	it = s.argvals.Iterate()
	for it.Next(&ak, &v) {
		key := keyOf(binary.NativeEndian.Uint32(ak[:]), binary.NativeEndian.Uint32(ak[4:]))
		a, err := arch.Lookup(key.Arch)
		if err != nil {
			continue
		}
		i, _ := recordedArg(a, key.Name)
		r.addArg(ArgKey{Key: key, Arg: i}, binary.NativeEndian.Uint64(ak[8:]), v)
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("read argument values: %w", err)
	}
	var lost uint64
	if err := s.state.Lookup(uint32(stateLost), &lost); err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	r.Lost = lost
	return nil
}

// availableEBPF loads (but does not attach) the recorder and finds a cgroup2
// hierarchy.
func availableEBPF() error {
	if _, _, err := cgroup2Dir(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s, err := loadEBPF(false)
	if err != nil {
		if errors.Is(err, ebpf.ErrNotSupported) || errors.Is(err, syscall.EPERM) {
			return fmt.Errorf("%w: needs root or CAP_BPF and CAP_PERFMON: %v", ErrUnavailable, err)
		}
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	s.Close()
	return nil
}

func runEBPF(ctx context.Context, argv []string, o Options, r *Recording) (err error) {
	s, err := loadEBPF(o.Args)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer s.Close()
	cg, err := newScopeCgroup()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	defer func() {
		if e := cg.remove(); err == nil && e != nil {
			err = e
		}
	}()
	if err := s.scope.Put(uint32(0), uint32(cg.dir.Fd())); err != nil {
		return fmt.Errorf("set the cgroup scope: %w", err)
	}
	lk, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sys_enter", Program: s.prog})
	if err != nil {
		return fmt.Errorf("%w: attach to raw tracepoint sys_enter: %w", ErrUnavailable, err)
	}
	defer lk.Close()

	cmd := command(ctx, argv, o)
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(cg.dir.Fd())}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	werr := waitExit(cmd.Process.Pid)
	r.Duration = time.Since(start)
	// Processes the command left behind would keep its output pipes open
	// and Wait from returning.
	kerr := cg.kill(5 * time.Second)
	lk.Close()
	if werr != nil {
		cmd.Process.Kill()
	}
	if err := exitStatus(cmd, cmd.Wait(), r); err != nil {
		return err
	}
	if err := s.read(r); err != nil {
		return err
	}
	return kerr
}
