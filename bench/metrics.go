package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// Mix is a syscall mix measured from a real workload (testdata/mix-*.txt).
type Mix struct {
	Name  string
	Calls map[string]int
	Total int
}

// loadMixes reads every testdata/mix-*.txt.
func loadMixes(dir string) ([]Mix, error) {
	files, err := filepath.Glob(filepath.Join(dir, "mix-*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []Mix
	for _, f := range files {
		m, err := loadMix(f)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no mix-*.txt in %s", dir)
	}
	return out, nil
}

func loadMix(path string) (Mix, error) {
	f, err := os.Open(path)
	if err != nil {
		return Mix{}, err
	}
	defer f.Close()
	m := Mix{Name: strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), "mix-"), ".txt"), Calls: map[string]int{}}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		t := strings.TrimSpace(sc.Text())
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		fs := strings.Fields(t)
		if len(fs) != 2 {
			return Mix{}, fmt.Errorf("%s:%d: want \"name count\", got %q", path, line, t)
		}
		n, err := strconv.Atoi(fs[1])
		if err != nil || n < 0 {
			return Mix{}, fmt.Errorf("%s:%d: bad count %q", path, line, fs[1])
		}
		m.Calls[fs[0]] += n
		m.Total += n
	}
	return m, sc.Err()
}

// Metrics are the measurements of one program on one policy.
type Metrics struct {
	Insns          int
	Mean           float64            // native ABI (x86_64): every number of the table and its gaps, zero args
	MeanAll        float64            // the same over every ABI of the policy
	Mix            float64            // mean of the per-workload weighted means
	MixBy          map[string]float64 // per workload
	Worst          int                // the longest path over every number of the policy's ABIs, zero args
	WorstProbe     string
	WorstArgs      int // the longest path over every probe of the policy's ABIs, arguments included
	WorstArgsProbe string
	Cached         int // unconditionally allowed syscalls the kernel's action cache takes
	CacheTotal     int // unconditionally allowed syscalls (native + i386 compat)
	Rets           []uint32
}

// measure runs prog on every probe.
func measure(p *compiler.Policy, prog *vm.Prog, probes []Probe, mixes []Mix) Metrics {
	m := Metrics{Insns: prog.Len(), MixBy: map[string]float64{}, Rets: make([]uint32, len(probes))}
	native := arch.Native()
	var sumN, cntN, sumAll, cntAll int
	for i, pr := range probes {
		if pr.Kind == ArgIsNr || pr.Kind == BadArch {
			m.Rets[i] = vm.Effective(prog.Run(pr.Data))
			continue
		}
		ret, tr := prog.Trace(pr.Data)
		m.Rets[i] = vm.Effective(ret)
		if pr.Kind == Sweep {
			sumAll += tr.Executed
			cntAll++
			if pr.ABI == native {
				sumN += tr.Executed
				cntN++
			}
		}
		if pr.Kind != Args && tr.Executed > m.Worst {
			m.Worst, m.WorstProbe = tr.Executed, pr.Label()
		}
		if tr.Executed > m.WorstArgs {
			m.WorstArgs, m.WorstArgsProbe = tr.Executed, pr.Label()
		}
	}
	if cntN > 0 {
		m.Mean = float64(sumN) / float64(cntN)
	}
	if cntAll > 0 {
		m.MeanAll = float64(sumAll) / float64(cntAll)
	}
	var mixSum float64
	for _, mix := range mixes {
		var w, total float64
		for name, n := range mix.Calls {
			nr, ok := native.Syscall(name)
			if !ok {
				continue
			}
			_, tr := prog.Trace(vm.Data{Nr: nr, Arch: native.AuditArch})
			w += float64(n) * float64(tr.Executed)
			total += float64(n)
		}
		if total > 0 {
			m.MixBy[mix.Name] = w / total
			mixSum += w / total
		}
	}
	if len(mixes) > 0 {
		m.Mix = mixSum / float64(len(mixes))
	}
	for _, a := range cacheABIs(p) {
		for _, nr := range unconditionalAllows(p, a) {
			m.CacheTotal++
			if prog.ConstAllowByProgram(nr, a.AuditArch) {
				m.Cached++
			}
		}
	}
	return m
}

// cacheABIs are the ABIs the kernel's action cache covers on this machine:
// the native one and its compat ABI (i386 on x86_64; x32 numbers are past
// NR_syscalls and never cached), where the policy lists them.
func cacheABIs(p *compiler.Policy) []*arch.Arch {
	abis, _ := policyArches(p)
	var out []*arch.Arch
	for _, a := range abis {
		if a.Name == "x86_64" || a.Name == "i386" {
			out = append(out, a)
		}
	}
	return out
}

// unconditionalAllows lists the syscalls of a that the policy allows
// whatever the arguments: an unconditional ALLOW rule names them and no rule
// with another action does.
func unconditionalAllows(p *compiler.Policy, a *arch.Arch) []uint32 {
	allow := map[uint32]bool{}
	other := map[uint32]bool{}
	for i := range p.Rules {
		r := &p.Rules[i]
		if !ruleApplies(r, a) {
			continue
		}
		for _, name := range ruleNames(r, a) {
			nr, ok := a.Syscall(name)
			if !ok {
				continue
			}
			switch {
			case r.Action.Kind != compiler.KindAllow:
				other[nr] = true
			case len(r.Conds) == 0:
				allow[nr] = true
			}
		}
	}
	if p.DefaultAction().Kind == compiler.KindAllow {
		for _, s := range a.Syscalls() {
			allow[s.Nr] = true
		}
	}
	var out []uint32
	for nr := range allow {
		if !other[nr] {
			out = append(out, nr)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
