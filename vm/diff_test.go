package vm

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/seccompile/seccompile/internal/kernelprobe"
	"golang.org/x/net/bpf"
)

// envInt reads a positive integer from the environment, or returns def.
func envInt(t *testing.T, name string, def uint64) uint64 {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	return v
}

// liveEnv finds out what this kernel does with each entry: an allow-all
// filter, and getpid through x32 and int $0x80.
func liveEnv(t *testing.T, p *kernelprobe.Prober) kernelEnv {
	res, err := p.Run([]kernelprobe.Job{{
		Filters: [][]bpf.RawInstruction{{ret(retAllow)}},
		Probes:  []kernelprobe.Probe{{Entry: kernelprobe.EntryX32, Nr: 39}, {Entry: kernelprobe.EntryInt80, Nr: 20}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := res[0].Outcomes
	return kernelEnv{
		x32:   o[0].Kind == kernelprobe.Returned && o[0].Ret > 0,
		int80: o[1].Kind == kernelprobe.Returned && o[1].Ret > 0,
		ip:    p.InstructionPointer,
	}
}

// runsCall reports whether an allowed probe executes a real syscall (which
// returns a positive id) rather than failing with ENOSYS.
func runsCall(pr kernelprobe.Probe, env kernelEnv) bool {
	safe := kernelprobe.SafeX86_64
	switch pr.Entry {
	case kernelprobe.EntryInt80:
		safe = kernelprobe.SafeI386
	case kernelprobe.EntryX32:
		if !env.x32 {
			return false
		}
	}
	return slices.Contains(safe, pr.Nr)
}

// expected describes what the kernel must do with a probe when the filter
// returns ret, in the terms the prober observes.
func expected(ret uint32, pr kernelprobe.Probe, env kernelEnv) (want string, ok func(kernelprobe.Outcome) bool) {
	e := Effective(ret)
	data := e & retData
	returns := func(v int64) func(kernelprobe.Outcome) bool {
		return func(o kernelprobe.Outcome) bool { return o.Kind == kernelprobe.Returned && o.Ret == v }
	}
	switch e & retActionFull {
	case retKillProcess:
		return "process killed by SIGSYS", func(o kernelprobe.Outcome) bool {
			return o.Kind == kernelprobe.KilledProcess && o.Signal == kernelprobe.SIGSYS
		}
	case retKillThread:
		return "thread killed", func(o kernelprobe.Outcome) bool { return o.Kind == kernelprobe.KilledThread }
	case retTrap:
		si := kernelprobe.Sigsys{Signo: int32(kernelprobe.SIGSYS), Errno: int32(data), Code: 1, // SYS_SECCOMP
			Syscall: int32(pr.SeenNr()), Arch: pr.Arch(), CallAddr: env.ip(pr.Entry)}
		return fmt.Sprintf("trap %+v", si), func(o kernelprobe.Outcome) bool {
			return o.Kind == kernelprobe.Trapped && o.Trap == si
		}
	case retErrno:
		return fmt.Sprintf("returned -%d", data), returns(-int64(data))
	case retTrace, retUserNotif:
		return "returned -ENOSYS (no tracer or listener)", returns(-int64(syscall.ENOSYS))
	case retLog, retAllow:
		if runsCall(pr, env) {
			return "returned a positive id (call ran)", func(o kernelprobe.Outcome) bool {
				return o.Kind == kernelprobe.Returned && o.Ret > 0
			}
		}
		return "returned -ENOSYS (call ran, no such syscall)", returns(-int64(syscall.ENOSYS))
	}
	panic("unreachable: Effective returned an unknown action")
}

func probeString(pr kernelprobe.Probe) string {
	return fmt.Sprintf("%v nr %#x args %#x", pr.Entry, pr.SeenNr(), pr.Args)
}

// diffStats counts what a differential run covered.
type diffStats struct {
	programs, accepted, probes int
	rules                      map[Rule]int
	kinds                      map[kernelprobe.Kind]int
	actions                    map[string]int
}

func newDiffStats() *diffStats {
	return &diffStats{rules: map[Rule]int{}, kinds: map[kernelprobe.Kind]int{}, actions: map[string]int{}}
}

func actionName(ret uint32) string {
	switch Effective(ret) & retActionFull {
	case retKillProcess:
		if ret&retActionFull != retKillProcess {
			return "unknown"
		}
		return "kill_process"
	case retKillThread:
		return "kill_thread"
	case retTrap:
		return "trap"
	case retErrno:
		return "errno"
	case retUserNotif:
		return "user_notif"
	case retTrace:
		return "trace"
	case retLog:
		return "log"
	}
	return "allow"
}

func (s *diffStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d programs (%d accepted, %d rejected), %d probes compared\n", s.programs, s.accepted, s.programs-s.accepted, s.probes)
	fmt.Fprintf(&b, "rejections by rule: ")
	for r := RuleLength; r <= RuleDataOffset; r++ {
		fmt.Fprintf(&b, "%v=%d ", r, s.rules[r])
	}
	fmt.Fprintf(&b, "\nkernel outcomes: ")
	for k := kernelprobe.NotRun; k <= kernelprobe.KilledProcess; k++ {
		fmt.Fprintf(&b, "%v=%d ", k, s.kinds[k])
	}
	fmt.Fprintf(&b, "\nfilter results: ")
	for _, a := range []string{"kill_process", "unknown", "kill_thread", "trap", "errno", "user_notif", "trace", "log", "allow"} {
		fmt.Fprintf(&b, "%s=%d ", a, s.actions[a])
	}
	return b.String()
}

// compare checks one program against the kernel's verdict and outcomes
// and returns the disagreements.
func compare(prog []bpf.RawInstruction, probes []kernelprobe.Probe, res kernelprobe.Result, env kernelEnv, s *diffStats) []string {
	var bad []string
	s.programs++
	verr := Verify(prog)
	kerr := res.Install[0]
	if verr != nil {
		var ve *VerifyError
		if e, ok := verr.(*VerifyError); ok {
			ve = e
			s.rules[ve.Rule]++
		}
		if kerr != syscall.EINVAL {
			bad = append(bad, fmt.Sprintf("Verify: %v; kernel: %v\n%s", verr, kerr, listing(prog)))
		}
		return bad
	}
	if kerr != nil {
		return append(bad, fmt.Sprintf("Verify accepts; kernel: %v\n%s", kerr, listing(prog)))
	}
	s.accepted++
	p, err := Load(prog)
	if err != nil {
		return append(bad, fmt.Sprintf("Verify accepts but Load fails: %v", err))
	}
	for i, pr := range probes {
		o := res.Outcomes[i]
		s.probes++
		s.kinds[o.Kind]++
		ret := p.Run(env.data(pr))
		s.actions[actionName(ret)]++
		if want, ok := expected(ret, pr, env); !ok(o) {
			bad = append(bad, fmt.Sprintf("probe %s: Run = %#x, so the kernel should have %s; kernel: %v\n%s",
				probeString(pr), ret, want, o, listing(prog)))
		}
	}
	return bad
}

// TestKernelDifferential compares Verify and Run with the running kernel on
// random programs: accept/reject for every program, and for every probe of
// an accepted program the action the kernel took. SECCOMPILE_DIFF_N sets
// the number of programs (6 probes each), SECCOMPILE_DIFF_SEED the seed.
func TestKernelDifferential(t *testing.T) {
	p := prober(t)
	n := envInt(t, "SECCOMPILE_DIFF_N", 1500)
	seed := envInt(t, "SECCOMPILE_DIFF_SEED", 1)
	g := newGen(rand.New(rand.NewPCG(seed, 0x5ecc0)))
	g.env = liveEnv(t, p)
	t.Logf("seed %d, %d programs; this kernel: x32 %v, int80 %v", seed, n, g.env.x32, g.env.int80)
	s := newDiffStats()
	var failures []string
	const batch = 500
	for done := uint64(0); done < n && len(failures) < 20; {
		m := min(batch, n-done)
		jobs := make([]kernelprobe.Job, m)
		for i := range jobs {
			g.setProbes(g.probeSet(6))
			jobs[i] = kernelprobe.Job{Filters: [][]bpf.RawInstruction{g.program()}, Probes: g.probes}
		}
		res, err := p.Run(jobs)
		if err != nil {
			t.Fatal(err)
		}
		for i, j := range jobs {
			failures = append(failures, compare(j.Filters[0], j.Probes, res[i], g.env, s)...)
		}
		done += m
	}
	t.Log(s)
	for _, f := range failures {
		t.Error(f)
	}
}

// regressions are programs kept because they once split an interpreter
// from the kernel (the scratch pass is the class an earlier, independent
// interpreter got wrong) or sit on an edge worth re-checking on every run.
var regressions = []struct {
	name   string
	prog   []bpf.RawInstruction
	probes []kernelprobe.Probe
}{
	{"scratch quirk: ret falls through into a load", prog(ld(0), jk(jmpJEQ, 39, 2, 0), st(0), ja(1), ret(retAllow), ldm(0), reta()), nil},
	{"scratch: dead load after a store and a ret", prog(ldi(retErrno|3), st(0), ret(retAllow), ldm(0), reta()), nil},
	{"scratch: dead load after ja", prog(ja(1), ldm(0), ret(retErrno|4)), nil},
	{"scratch: join of a stored and an unstored path", prog(ld(0), jk(jmpJEQ, 39, 0, 1), st(0), ldm(0), reta()), nil},
	{"div by X == 0 kills the thread", prog(ld(0), aluk(aluSUB, 39), I(opTax, 0, 0, 0), ldi(1), alux(aluDIV), ret(retErrno|5)), nil},
	{"lsh by X >= 32 is masked", prog(ldi(1), ldxi(33), alux(aluLSH), aluk(aluOR, retErrno), reta()), nil},
	{"ERRNO data above 4095 is clamped", prog(ret(retErrno | 0xffff)), nil},
	{"ERRNO 0 returns 0", prog(ret(retErrno)), nil},
	{"ALLOW with data", prog(ret(retAllow | 0x1234)), nil},
	{"unknown action between KILL_THREAD and TRAP", prog(ret(0x00010000)), nil},
	{"unknown action above LOG", prog(ret(0x7ffe0000)), nil},
	{"ret a of the arch value", prog(ld(4), reta()), nil},
	{"ld len is 64", prog(I(opLdLen, 0, 0, 0), aluk(aluOR, retErrno), reta()), nil},
	{"int80 sees the high register half", prog(ld(20), aluk(aluAND, 0xfff), aluk(aluOR, retErrno), reta()), []kernelprobe.Probe{
		{Entry: kernelprobe.EntryInt80, Nr: 20, Args: [6]uint64{0x1122334400000005}},
		{Entry: kernelprobe.EntrySyscall, Nr: 39, Args: [6]uint64{0x1122334400000005}},
	}},
	{"x32 nr carries bit 30", prog(ld(0), jk(jmpJGE, 0x40000000, 0, 1), ret(retErrno|6), ret(retAllow)), []kernelprobe.Probe{
		{Entry: kernelprobe.EntryX32, Nr: 39}, {Entry: kernelprobe.EntrySyscall, Nr: 39},
	}},
	{"syscall(-1) is nr 0xffffffff", prog(ld(0), aluk(aluAND, 0xfff), aluk(aluOR, retErrno), reta()), []kernelprobe.Probe{
		{Entry: kernelprobe.EntrySyscall, Nr: 0xffffffff}, {Entry: kernelprobe.EntryInt80, Nr: 0xffffffff},
	}},
	{"instruction pointer words", prog(ld(8), aluk(aluAND, 0xfff), aluk(aluOR, retTrap), reta()), nil},
	{"jeq with a k whose bit 31 is set", prog(ld(4), jk(jmpJEQ, archX86_64, 0, 1), ret(retErrno|7), ret(retErrno|8)), nil},
}

func TestKernelRegressions(t *testing.T) {
	p := prober(t)
	env := liveEnv(t, p)
	defaultProbes := []kernelprobe.Probe{
		{Nr: 39}, {Nr: 110, Args: [6]uint64{1, 2, 3}}, {Entry: kernelprobe.EntryInt80, Nr: 64}, {Entry: kernelprobe.EntryX32, Nr: 186},
	}
	var jobs []kernelprobe.Job
	for _, tc := range regressions {
		probes := tc.probes
		if probes == nil {
			probes = defaultProbes
		}
		jobs = append(jobs, kernelprobe.Job{Filters: [][]bpf.RawInstruction{tc.prog}, Probes: probes})
	}
	res, err := p.Run(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range regressions {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range compare(tc.prog, jobs[i].Probes, res[i], env, newDiffStats()) {
				t.Error(f)
			}
		})
	}
}

// pad returns an allow-all filter whose converted length is exactly l
// (5 <= l <= 8195): each ret #k costs 2, ld #k 1, the prologue 3.
func pad(l int) []bpf.RawInstruction {
	var p []bpf.RawInstruction
	if l%2 == 0 {
		p = append(p, ldi(0))
		l--
	}
	for ; l > 3; l -= 2 {
		p = append(p, ret(retAllow))
	}
	return p
}

// chain returns allow-all filters whose charge as older filters in a chain
// (length + 4 each) adds up to exactly s.
func chain(s int) [][]bpf.RawInstruction {
	if s == 0 {
		return nil
	}
	const most = 8195 + 4
	k := (s + most - 1) / most
	var out [][]bpf.RawInstruction
	for i := range k {
		part := s / k
		if i < s%k {
			part++
		}
		out = append(out, pad(part-4))
	}
	return out
}

// TestKernelConvertedLen measures, for each program, the converted length
// the kernel charges: with older filters charging 32768-c the program must
// attach, with one more it must fail with ENOMEM. That pins the length to
// exactly c = ConvertedLen.
func TestKernelConvertedLen(t *testing.T) {
	p := prober(t)
	progs := [][]bpf.RawInstruction{
		prog(ret(0)), prog(reta()), prog(alux(aluDIV), ret(0)),
		prog(ld(0), jk(jmpJEQ, 1, 0, 0), ret(0)), prog(ld(0), jk(jmpJEQ, 1, 1, 0), ret(0), ret(0)),
		prog(ld(0), jk(jmpJEQ, 1, 0, 1), ret(0), ret(0)), prog(ld(0), jk(jmpJSET, 1, 0, 1), ret(0), ret(0)),
		prog(ld(0), jk(jmpJGT, 0x80000000, 0, 1), ret(0), ret(0)), prog(ld(0), jk(jmpJGE, 0x80000000, 1, 1), ret(0), ret(0), ret(0)),
		prog(ld(0), jx(jmpJEQ, 1, 1), ret(0), ret(0), ret(0)), prog(ld(0), jk(jmpJSET, 0xffffffff, 0, 0), ret(0)),
		prog(I(opLdLen, 0, 0, 0), st(0), ldxm(0), I(opTxa, 0, 0, 0), I(opNeg, 0, 0, 0), ja(0), reta()),
		rets(4096),
	}
	r := rand.New(rand.NewPCG(7, 8))
	g := newGen(r)
	for len(progs) < 60 {
		q := g.program()
		if Verify(q) == nil {
			progs = append(progs, q)
		}
	}
	var jobs []kernelprobe.Job
	for _, q := range progs {
		c := ConvertedLen(q)
		jobs = append(jobs,
			kernelprobe.Job{Filters: append(chain(MaxInsnsPerPath-c), q)},
			kernelprobe.Job{Filters: append(chain(MaxInsnsPerPath-c+1), q)})
	}
	res, err := p.Run(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, q := range progs {
		fits, over := res[2*i], res[2*i+1]
		last := len(over.Install) - 1
		if !fits.Accepted() || over.Install[last] != syscall.ENOMEM || !slices.Equal(over.Install[:last], make([]error, last)) {
			t.Errorf("ConvertedLen = %d, but the kernel: at the limit %v, one over %v\n%s",
				ConvertedLen(q), fits.Install, over.Install, listing(q))
		}
	}
}

// TestKernelStackBudget is the reference's measurement: three stacked
// 4096-instruction ret-only filters fit in one thread, a fourth does not.
func TestKernelStackBudget(t *testing.T) {
	full := rets(4096)
	if c := ConvertedLen(full); c != 8195 {
		t.Fatalf("ConvertedLen(4096 rets) = %d, want 8195", c)
	}
	if PathLen(8195, 8195, 8195) > MaxInsnsPerPath || PathLen(8195, 8195, 8195, 8195) <= MaxInsnsPerPath {
		t.Fatalf("PathLen says 3 fit: %d, 4 fit: %d", PathLen(8195, 8195, 8195), PathLen(8195, 8195, 8195, 8195))
	}
	p := prober(t)
	res, err := p.Run([]kernelprobe.Job{{Filters: [][]bpf.RawInstruction{full, full, full, full}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []error{nil, nil, nil, syscall.ENOMEM}; !slices.Equal(res[0].Install, want) {
		t.Errorf("kernel: %v, want %v", res[0].Install, want)
	}
}

// TestKernelStack installs two or three filters that each return a random
// value and checks that getpid gets the effect of Stack(newest, ..., oldest).
func TestKernelStack(t *testing.T) {
	p := prober(t)
	env := liveEnv(t, p)
	r := rand.New(rand.NewPCG(9, 10))
	g := newGen(r)
	// Older filters must let seccomp(2) through so the next one installs.
	older := func(v uint32) []bpf.RawInstruction {
		return prog(ld(0), jk(jmpJEQ, 317, 0, 1), ret(retAllow), ret(v))
	}
	type stack struct{ rets []uint32 } // newest first
	var cases []stack
	var jobs []kernelprobe.Job
	for range 300 {
		n := 2 + r.IntN(2)
		var st stack
		var filters [][]bpf.RawInstruction
		for i := range n {
			v := g.action()
			st.rets = append([]uint32{v}, st.rets...)
			if i == n-1 {
				filters = append(filters, prog(ret(v)))
			} else {
				filters = append(filters, older(v))
			}
		}
		cases = append(cases, st)
		jobs = append(jobs, kernelprobe.Job{Filters: filters, Probes: []kernelprobe.Probe{{Nr: 39}}})
	}
	res, err := p.Run(jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		if !res[i].Accepted() {
			t.Fatalf("stack %#x: install %v", c.rets, res[i].Install)
		}
		got := Stack(c.rets...)
		pr := jobs[i].Probes[0]
		if want, ok := expected(got, pr, env); !ok(res[i].Outcomes[0]) {
			t.Errorf("results %#x (newest first): Stack = %#x, so the kernel should have %s; kernel: %v",
				c.rets, got, want, res[i].Outcomes[0])
		}
	}
}

// TestKernelUprobeException shows the one case where the kernel does not
// do what the filter returns: x86_64 uprobe (336) bypasses a deny-all filter
// (outside a uprobe trampoline it fails with ENXIO), and ConstAllow, unlike
// ConstAllowByProgram, predicts it.
func TestKernelUprobeException(t *testing.T) {
	p := prober(t)
	deny := prog(ret(retErrno | 1))
	probes := []kernelprobe.Probe{{Nr: 336}, {Nr: 39}, {Entry: kernelprobe.EntryInt80, Nr: 20}}
	res, err := p.Run([]kernelprobe.Job{{Filters: [][]bpf.RawInstruction{deny}, Probes: probes}})
	if err != nil {
		t.Fatal(err)
	}
	q, err := Load(deny)
	if err != nil {
		t.Fatal(err)
	}
	for i, pr := range probes {
		o := res[0].Outcomes[i]
		bypassed := o.Kind == kernelprobe.Returned && o.Ret == -int64(syscall.ENXIO)
		if got := q.ConstAllow(pr.SeenNr(), pr.Arch()); got != bypassed {
			t.Errorf("%s: ConstAllow = %v, kernel %v", probeString(pr), got, o)
		}
		if q.ConstAllowByProgram(pr.SeenNr(), pr.Arch()) {
			t.Errorf("%s: ConstAllowByProgram of a deny-all filter", probeString(pr))
		}
	}
}
