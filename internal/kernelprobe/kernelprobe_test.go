package kernelprobe

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/net/bpf"
)

func TestMain(m *testing.M) {
	Main()
	os.Exit(m.Run())
}

// start starts a prober or skips the test when the platform cannot host it.
func start(t *testing.T) *Prober {
	t.Helper()
	p, err := Start()
	if errors.Is(err, ErrUnsupported) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func ret(k uint32) bpf.RawInstruction { return bpf.RawInstruction{Op: 0x06, K: k} }

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		p    Probe
		safe bool
	}{
		{Probe{Nr: 39}, true},
		{Probe{Nr: 110}, true},
		{Probe{Nr: 0}, false},   // read
		{Probe{Nr: 60}, false},  // exit
		{Probe{Nr: 336}, true},  // uprobe: ENXIO outside a trampoline
		{Probe{Nr: 335}, false}, // uretprobe: SIGILL
		{Probe{Nr: 1024}, true},
		{Probe{Nr: 0xffffffff}, true},
		{Probe{Nr: 0x40000027}, false}, // x32 numbers go through EntryX32
		{Probe{Entry: EntryX32, Nr: 39}, true},
		{Probe{Entry: EntryX32, Nr: 0x40000027}, false},
		{Probe{Entry: EntryX32, Nr: 1}, false},
		{Probe{Entry: EntryInt80, Nr: 20}, true},
		{Probe{Entry: EntryInt80, Nr: 39}, false}, // i386 39 is mkdir
		{Probe{Entry: EntryInt80, Nr: 5000}, true},
		{Probe{Entry: 9, Nr: 39}, false},
	} {
		err := tc.p.Check()
		if (err == nil) != tc.safe {
			t.Errorf("%v nr %#x: Check() = %v, want safe=%v", tc.p.Entry, tc.p.Nr, err, tc.safe)
		}
		if err != nil && !errors.Is(err, ErrUnsafeProbe) {
			t.Errorf("%v: error %v does not wrap ErrUnsafeProbe", tc.p.Entry, err)
		}
	}
}

func TestActions(t *testing.T) {
	p := start(t)
	getpid := Probe{Nr: 39}
	tests := []struct {
		name string
		ret  uint32
		want func(Outcome) bool
	}{
		{"allow", 0x7fff0000, func(o Outcome) bool { return o.Kind == Returned && o.Ret > 0 }},
		{"log", 0x7ffc0000, func(o Outcome) bool { return o.Kind == Returned && o.Ret > 0 }},
		{"errno", 0x00050001, func(o Outcome) bool { return o.Kind == Returned && o.Ret == -1 }},
		{"errno 0", 0x00050000, func(o Outcome) bool { return o.Kind == Returned && o.Ret == 0 }},
		{"errno clamped", 0x0005ffff, func(o Outcome) bool { return o.Kind == Returned && o.Ret == -4095 }},
		{"trace without tracer", 0x7ff00005, func(o Outcome) bool { return o.Kind == Returned && o.Ret == -int64(syscall.ENOSYS) }},
		{"notify without listener", 0x7fc00000, func(o Outcome) bool { return o.Kind == Returned && o.Ret == -int64(syscall.ENOSYS) }},
		{"trap", 0x00030007, func(o Outcome) bool {
			return o.Kind == Trapped && o.Trap.Errno == 7 && o.Trap.Syscall == 39 && o.Trap.Arch == AuditArchX86_64 &&
				o.Trap.Signo == int32(SIGSYS) && o.Trap.Code == 1 && o.Trap.CallAddr == p.InstructionPointer(EntrySyscall)
		}},
		{"kill thread", 0x00000000, func(o Outcome) bool { return o.Kind == KilledThread }},
		{"kill process", 0x80000000, func(o Outcome) bool { return o.Kind == KilledProcess && o.Signal == SIGSYS }},
		{"unknown action", 0x00010000, func(o Outcome) bool { return o.Kind == KilledProcess && o.Signal == SIGSYS }},
	}
	var jobs []Job
	for _, tc := range tests {
		// Three probes: the later ones show that the prober carries on
		// after a trap or a kill.
		jobs = append(jobs, Job{Filters: [][]bpf.RawInstruction{{ret(tc.ret)}}, Probes: []Probe{getpid, getpid, getpid}})
	}
	res, err := p.Run(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := res[i]
			if !r.Accepted() {
				t.Fatalf("install: %v", r.Install)
			}
			for k, o := range r.Outcomes {
				if !tc.want(o) {
					t.Errorf("probe %d: %v", k, o)
				}
			}
		})
	}
}

func TestInstallErrors(t *testing.T) {
	p := start(t)
	allow := ret(0x7fff0000)
	// A filter of n `ret` instructions converts to 3 + 2n eBPF
	// instructions; 4096 of them fill 8195, so three fit in the 32768
	// budget of a thread and a fourth does not.
	full := make([]bpf.RawInstruction, 4096)
	for i := range full {
		full[i] = allow
	}
	res, err := p.Run([]Job{
		{Filters: [][]bpf.RawInstruction{{{Op: 0x20, K: 2}, allow}}},
		{Filters: [][]bpf.RawInstruction{{}}},
		{Filters: [][]bpf.RawInstruction{full, full, full, full}},
		// The first filter traps every call, seccomp(2) included.
		{Filters: [][]bpf.RawInstruction{{ret(0x00030000)}, {allow}}, Probes: []Probe{{Nr: 39}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]error{
		{syscall.EINVAL},
		{syscall.EINVAL},
		{nil, nil, nil, syscall.ENOMEM},
		{nil, ErrNotInstalled},
	}
	for i, w := range want {
		for f := range w {
			if !errors.Is(res[i].Install[f], w[f]) && !(w[f] == nil && res[i].Install[f] == nil) {
				t.Errorf("job %d filter %d: %v, want %v", i, f, res[i].Install[f], w[f])
			}
		}
	}
	if o := res[3].Outcomes[0]; o.Kind != NotRun {
		t.Errorf("probe after an interrupted install: %v, want not run", o)
	}
}

// TestArgs checks what the filter sees for each entry: a filter that
// returns ERRNO with the low 12 bits of one 32-bit word of seccomp_data
// shows each word.
func TestArgs(t *testing.T) {
	p := start(t)
	probes := []Probe{
		{Entry: EntrySyscall, Nr: 110, Args: [6]uint64{0x1122334455667788, 0x1001, 0x2002, 0x3003, 0x4004, 0x5005}},
		{Entry: EntryInt80, Nr: 64, Args: [6]uint64{0x1122334400000005, 0x6006, 0x7007, 0x8008, 0x9009, 0xa00a}},
		{Entry: EntryX32, Nr: 110, Args: [6]uint64{0xb00b, 0xc00c, 0xd00d, 0xe00e, 0xf00f, 0xabcd000000000123}},
	}
	var jobs []Job
	for w := uint32(0); w < 16; w++ {
		prog := []bpf.RawInstruction{
			{Op: 0x20, K: 4 * w},      // ld [4w]
			{Op: 0x54, K: 0xfff},      // and #0xfff
			{Op: 0x44, K: 0x00050000}, // or #ERRNO
			{Op: 0x16},                // ret a
		}
		jobs = append(jobs, Job{Filters: [][]bpf.RawInstruction{prog}, Probes: probes})
	}
	res, err := p.Run(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for k, pr := range probes {
		ip := p.InstructionPointer(pr.Entry)
		words := [16]uint32{pr.SeenNr(), pr.Arch(), uint32(ip), uint32(ip >> 32)}
		for i, a := range pr.Args {
			words[4+2*i], words[5+2*i] = uint32(a), uint32(a>>32)
		}
		for w := range 16 {
			o := res[w].Outcomes[k]
			if want := -int64(words[w] & 0xfff); o.Kind != Returned || o.Ret != want {
				t.Errorf("%v probe, word %d: %v, want returned %d", pr.Entry, w, o, want)
			}
		}
	}
}

// TestUprobeException shows seccomp's x86_64 uprobe exception: a filter
// that denies everything does not see uprobe (336), which fails with ENXIO
// outside a uprobe trampoline, while the same number through int $0x80 is
// filtered.
func TestUprobeException(t *testing.T) {
	p := start(t)
	res, err := p.Run([]Job{{
		Filters: [][]bpf.RawInstruction{{ret(0x00050001)}},
		Probes:  []Probe{{Nr: 336}, {Nr: 39}, {Entry: EntryInt80, Nr: 336 + NoSyscall}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := res[0].Outcomes
	if o[0].Kind != Returned || o[0].Ret != -int64(syscall.ENXIO) {
		t.Errorf("uprobe under a deny-all filter: %v, want ENXIO (not filtered)", o[0])
	}
	if o[1].Kind != Returned || o[1].Ret != -1 {
		t.Errorf("getpid under a deny-all filter: %v, want EPERM", o[1])
	}
	if o[2].Kind != Returned || o[2].Ret != -1 {
		t.Errorf("int80 unassigned nr under a deny-all filter: %v, want EPERM", o[2])
	}
}
