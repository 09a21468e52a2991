package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/compiler"
)

type options struct {
	kernel, timing bool
	rounds, calls  int
}

// Results is one run of the comparison.
type Results struct {
	Date, Kernel, CPU, Go string
	LoadBefore, LoadAfter string // /proc/loadavg at the start and the end
	Versions              []string
	Skipped               []string
	Mixes                 []Mix
	Cases                 []*CaseResult
	KernelRows            []KernelRow
	KernelNote            string
	Leak                  []LeakProbe
	LeakNote              string
	Arch                  []ArchDiff
}

// LeakProbe is one call on which elastic's program answers differently from
// the policy, run in the kernel under elastic's and our program.
type LeakProbe struct {
	Probe              Probe
	Want, Elastic      string // the policy's and elastic's answer in the vm
	KernelElastic      string // what the call returned under elastic's program
	KernelOurs         string // ... and under ours
	ElasticVM, OursVM  uint32
	ElasticKernelErrno int
	OursKernelErrno    int
}

func compilersAll() []Compiler {
	return []Compiler{seccompileCompiler, seccompileENOSYS, libseccompCompiler(1), libseccompCompiler(2), gvisorCompiler, elasticCompiler}
}

func run(o options) (*Results, error) {
	r := &Results{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Kernel: uname(), CPU: cpuModel(),
		Go: runtime.Version(), Versions: versions(), LoadBefore: loadavg()}
	defer func() { r.LoadAfter = loadavg() }()
	var err error
	if r.Mixes, err = loadMixes("testdata"); err != nil {
		return nil, err
	}
	cs, skipped, err := cases()
	if err != nil {
		return nil, err
	}
	r.Skipped = skipped
	for _, c := range cs {
		fmt.Fprintf(os.Stderr, "bench: %s %s\n", c.Profile, c.ABISet())
		cr, err := runCase(c, compilersAll(), r.Mixes, o.timing)
		if err != nil {
			return nil, err
		}
		r.Cases = append(r.Cases, cr)
	}
	r.Arch = crossCheckArches()
	if o.kernel {
		if err := r.kernel(o); err != nil {
			r.KernelNote = err.Error()
		}
	} else {
		r.KernelNote = "not measured (-kernel=false)"
	}
	return r, nil
}

// caseResult finds a case.
func (r *Results) caseResult(profile, abis string) *CaseResult {
	for _, c := range r.Cases {
		if c.Case.Profile == profile && c.Case.ABISet() == abis {
			return c
		}
	}
	return nil
}

// kernel measures the cost per call of Docker's profile as each compiler
// builds it, and confirms elastic's argument leak in the kernel.
func (r *Results) kernel(o options) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("not measured: needs root to install filters")
	}
	dir, err := os.MkdirTemp("", "seccompile-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := buildKcost(dir)
	if err != nil {
		return err
	}
	rows := []KernelRow{{Name: "no filter"}, {Name: "`ld [16]; ret ALLOW` (never cached)", Insns: len(uncachedFilter)}}
	progs := [][]bpf.RawInstruction{nil, uncachedFilter}
	for _, abis := range []string{"x86_64", "x86_64+i386+x32"} {
		cr := r.caseResult("docker-default", abis)
		if cr == nil {
			continue
		}
		for _, row := range cr.Rows {
			if row.Prog == nil {
				continue
			}
			rows = append(rows, KernelRow{Name: fmt.Sprintf("docker-default %s: %s", abis, row.Compiler.Name), Insns: row.M.Insns})
			progs = append(progs, row.Built.Insns)
		}
	}
	if err := kernelCost(bin, dir, rows, progs, o.rounds, o.calls); err != nil {
		return err
	}
	r.KernelRows = rows
	r.leak(bin, dir)
	return nil
}

// leak confirms in the kernel the probes on which elastic's program answers
// ALLOW where the policy denies, for socket(2), the one such call that is
// harmless to let through (it fails with EAFNOSUPPORT or EINVAL).
func (r *Results) leak(bin, dir string) {
	cr := r.caseResult("docker-default", "x86_64")
	if cr == nil {
		return
	}
	el, ours := cr.rowByName("elastic"), cr.rowByName("seccompile")
	if el == nil || el.Prog == nil || ours == nil || ours.Prog == nil {
		r.LeakNote = "no elastic or seccompile program for docker-default x86_64"
		return
	}
	elPath, err1 := writeFilter(dir, "elastic", el.Built.Insns)
	ourPath, err2 := writeFilter(dir, "ours", ours.Built.Insns)
	if err1 != nil || err2 != nil {
		r.LeakNote = fmt.Sprint(err1, err2)
		return
	}
	allow := compiler.Allow.Ret()
	picked := map[uint64]bool{}
	for i, p := range cr.Probes {
		if p.ABI == nil || p.ABI.Name != "x86_64" || len(r.Leak) >= 4 {
			continue
		}
		if name, _ := p.ABI.SyscallName(p.Data.Nr); name != "socket" {
			continue
		}
		if cr.Oracle[i] == allow || el.M.Rets[i] != allow || picked[p.Data.Args[0]] {
			continue
		}
		picked[p.Data.Args[0]] = true
		lp := LeakProbe{Probe: p, Want: retName(cr.Oracle[i]), Elastic: retName(el.M.Rets[i]), ElasticVM: el.M.Rets[i], OursVM: ours.M.Rets[i]}
		_, e1, err := kernelProbe(bin, elPath, p.Data.Nr, p.Data.Args[:]...)
		if err != nil {
			r.LeakNote = err.Error()
			return
		}
		_, e2, err := kernelProbe(bin, ourPath, p.Data.Nr, p.Data.Args[:]...)
		if err != nil {
			r.LeakNote = err.Error()
			return
		}
		lp.ElasticKernelErrno, lp.OursKernelErrno = e1, e2
		lp.KernelElastic, lp.KernelOurs = errnoText(e1), errnoText(e2)
		r.Leak = append(r.Leak, lp)
	}
	if len(r.Leak) == 0 {
		r.LeakNote = "no socket(2) probe on which elastic allows what the policy denies"
	}
}

func errnoText(e int) string {
	if e == 0 {
		return "success"
	}
	return fmt.Sprintf("errno %d (%v)", e, errnoName(e))
}

func errnoName(e int) string {
	switch e {
	case 1:
		return "EPERM: the filter denied it"
	case 22:
		return "EINVAL: the kernel ran it"
	case 93:
		return "EPROTONOSUPPORT: the kernel ran it"
	case 94:
		return "ESOCKTNOSUPPORT: the kernel ran it"
	case 97:
		return "EAFNOSUPPORT: the kernel ran it"
	}
	return "?"
}

// loadavg is the 1, 5 and 15 minute load averages: the timings are only as
// good as the machine was quiet.
func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func uname() string {
	out, err := exec.Command("uname", "-r").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	n := 0
	model := "unknown"
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			model = strings.TrimSpace(v)
		case "processor":
			n++
		}
	}
	return fmt.Sprintf("%s, %d CPUs", model, n)
}

// versions lists the peers' versions from the build info.
func versions() []string {
	out := []string{"libseccomp " + libseccompVersion() + " (Debian libseccomp-dev)"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	for _, d := range bi.Deps {
		switch d.Path {
		case "github.com/seccomp/libseccomp-golang", "gvisor.dev/gvisor", "github.com/elastic/go-seccomp-bpf":
			out = append(out, d.Path+" "+d.Version)
		}
	}
	return out
}
