package main

import (
	"fmt"
	"testing"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// Row is one (case, compiler) measurement.
type Row struct {
	Case     *Case
	Compiler Compiler
	Built    *Built
	Prog     *vm.Prog
	Err      string // why there is no program or it cannot run
	M        Metrics
	// CompileNS is the time from the evaluated policy to the program's
	// instructions, per build.
	CompileNS float64
	// Diffs are the probes where the program disagrees with the policy
	// (compiler.Policy.Eval of the policy it was fed).
	Diffs     []DiffGroup
	DiffCount int
}

// CaseResult is everything measured for one case.
type CaseResult struct {
	Case   *Case
	Probes []Probe
	Oracle []uint32 // Eval of Case.Policy
	Ours   []uint32 // Eval of Case.Ours
	Rows   []*Row
}

func oracle(p *compiler.Policy, probes []Probe) []uint32 {
	out := make([]uint32, len(probes))
	for i, pr := range probes {
		out[i] = vm.Effective(p.Eval(pr.ABI, pr.Data).Ret())
	}
	return out
}

// timeBuild measures one build with testing.Benchmark: the fastest of up to
// five runs, which keeps a busy machine's spikes out of the figure (a build
// slower than 50 ms is measured once).
func timeBuild(c Compiler, p *compiler.Policy) float64 {
	best := 0.0
	for i := 0; i < 5; i++ {
		r := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				if _, err := c.Build(p); err != nil {
					b.Fatal(err)
				}
			}
		})
		if r.N == 0 {
			break
		}
		ns := float64(r.T.Nanoseconds()) / float64(r.N)
		if best == 0 || ns < best {
			best = ns
		}
		if ns > 50e6 {
			break
		}
	}
	return best
}

// runCase builds and measures every compiler on a case.
func runCase(c *Case, compilers []Compiler, mixes []Mix, timing bool) (*CaseResult, error) {
	probes, err := Probes(c.Policy)
	if err != nil {
		return nil, err
	}
	res := &CaseResult{Case: c, Probes: probes, Oracle: oracle(c.Policy, probes), Ours: oracle(c.Ours, probes)}
	for _, comp := range compilers {
		row := &Row{Case: c, Compiler: comp}
		res.Rows = append(res.Rows, row)
		if !comp.MultiArch && len(c.ABIs) > 1 {
			row.Err = "one ABI per program"
			continue
		}
		pol, want := c.Policy, res.Oracle
		if comp.Ours {
			pol, want = c.Ours, res.Ours
		}
		b, err := comp.Build(pol)
		if err != nil {
			row.Err = err.Error()
			continue
		}
		row.Built = b
		row.M.Insns = len(b.Insns)
		if timing {
			row.CompileNS = timeBuild(comp, pol)
		}
		prog, err := vm.Load(b.Insns)
		if err != nil {
			row.Err = fmt.Sprintf("the kernel refuses it: %v", err)
			continue
		}
		row.Prog = prog
		row.M = measure(pol, prog, probes, mixes)
		row.Diffs = compareRets(probes, want, row.M.Rets)
		row.DiffCount = countDiffs(want, row.M.Rets)
	}
	return res, nil
}

// rowByName finds a compiler's row.
func (r *CaseResult) rowByName(name string) *Row {
	for _, row := range r.Rows {
		if row.Compiler.Name == name {
			return row
		}
	}
	return nil
}
