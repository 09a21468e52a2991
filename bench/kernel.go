package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/net/bpf"
	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/vm"
)

// uncachedFilter is `ld [16]; ret ALLOW`: it allows everything, but it
// loads an argument, so the kernel's action cache takes nothing and every
// call runs the filter: the cost of running any filter at all.
var uncachedFilter = []bpf.RawInstruction{
	{Op: 0x20, K: 16},         // ld [16]  (args[0] low word)
	{Op: 0x06, K: 0x7fff0000}, // ret ALLOW
}

// KernelRow is the kernel cost of one filter.
type KernelRow struct {
	Name     string
	Insns    int
	NS       map[string]float64 // call name → ns per call (fastest round of all runs)
	Executed map[string]int     // call name → instructions the filter executes for it (vm)
	Cached   map[string]bool    // call name → the kernel's action cache answers it
}

// kcostCalls are the calls kcost measures, in its output order.
var kcostCalls = []string{"getppid", "personality(0xffffffff)", "acct(NULL)"}

// kcostData are those calls as the filter sees them on x86_64.
var kcostData = map[string]vm.Data{
	"getppid":                 {Nr: unix.SYS_GETPPID, Arch: unix.AUDIT_ARCH_X86_64},
	"personality(0xffffffff)": {Nr: unix.SYS_PERSONALITY, Arch: unix.AUDIT_ARCH_X86_64, Args: [6]uint64{0xffffffff}},
	"acct(NULL)":              {Nr: unix.SYS_ACCT, Arch: unix.AUDIT_ARCH_X86_64},
}

// annotate fills Executed and Cached from the vm.
func (k *KernelRow) annotate(insns []bpf.RawInstruction) {
	k.Executed, k.Cached = map[string]int{}, map[string]bool{}
	if insns == nil {
		return
	}
	prog, err := vm.Load(insns)
	if err != nil {
		return
	}
	for name, d := range kcostData {
		_, tr := prog.Trace(d)
		k.Executed[name] = tr.Executed
		k.Cached[name] = prog.ConstAllow(d.Nr, d.Arch)
	}
}

// buildKcost builds bench/kcost with CGO_ENABLED=0 into dir.
func buildKcost(dir string) (string, error) {
	bin := filepath.Join(dir, "kcost")
	cmd := exec.Command("go", "build", "-o", bin, "./kcost")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./kcost: %v\n%s", err, out)
	}
	return bin, nil
}

// writeFilter writes a raw program for kcost.
func writeFilter(dir, name string, insns []bpf.RawInstruction) (string, error) {
	path := filepath.Join(dir, name+".bpf")
	return path, os.WriteFile(path, encodeSockFilters(insns), 0o644)
}

// kernelCost measures every filter (nil insns: no filter) in rounds,
// round-robin, so that all rows share the machine's state of the moment; each
// call's figure is its fastest round.
func kernelCost(bin, dir string, filters []KernelRow, progs [][]bpf.RawInstruction, rounds, n int) error {
	paths := make([]string, len(filters))
	for i := range filters {
		filters[i].NS = map[string]float64{}
		filters[i].annotate(progs[i])
		if progs[i] == nil {
			continue
		}
		p, err := writeFilter(dir, fmt.Sprintf("kcost-%d", i), progs[i])
		if err != nil {
			return err
		}
		paths[i] = p
	}
	for r := 0; r < rounds; r++ {
		for i := range filters {
			args := []string{"-n", strconv.Itoa(n), "-rounds", "5"}
			if paths[i] != "" {
				args = append(args, "-filter", paths[i])
			}
			args = append(args, "bench")
			out, err := exec.Command(bin, args...).Output()
			if err != nil {
				return fmt.Errorf("kcost %s: %w", filters[i].Name, exitDetail(err))
			}
			sc := bufio.NewScanner(bytes.NewReader(out))
			for sc.Scan() {
				line := sc.Text()
				k := strings.LastIndexByte(line, ' ')
				ns, err := strconv.ParseFloat(line[k+1:], 64)
				if k < 0 || err != nil {
					return fmt.Errorf("kcost %s: bad line %q", filters[i].Name, line)
				}
				name := line[:k]
				if old, ok := filters[i].NS[name]; !ok || ns < old {
					filters[i].NS[name] = ns
				}
			}
		}
	}
	return nil
}

func exitDetail(err error) error {
	if ee, ok := err.(*exec.ExitError); ok && len(ee.Stderr) > 0 {
		return fmt.Errorf("%v: %s", err, strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

// kernelProbe runs one call under a filter in a child and returns the raw
// return value and errno.
func kernelProbe(bin, filter string, nr uint32, args ...uint64) (ret int64, errno int, err error) {
	cmdArgs := []string{"-filter", filter, "probe", strconv.FormatUint(uint64(nr), 10)}
	for _, a := range args {
		cmdArgs = append(cmdArgs, "0x"+strconv.FormatUint(a, 16))
	}
	out, err := exec.Command(bin, cmdArgs...).Output()
	if err != nil {
		return 0, 0, fmt.Errorf("kcost probe: %w", exitDetail(err))
	}
	if _, err := fmt.Sscan(string(out), &ret, &errno); err != nil {
		return 0, 0, fmt.Errorf("kcost probe: bad output %q", out)
	}
	return ret, errno, nil
}

// kernelMarkdown renders the kernel cost table with ratios to the
// unfiltered getppid of the same run.
func kernelMarkdown(rows []KernelRow) string {
	base := map[string]float64{}
	for _, r := range rows {
		if r.Insns == 0 {
			base = r.NS
		}
	}
	var b strings.Builder
	b.WriteString("| filter | insns |")
	for _, c := range kcostCalls {
		fmt.Fprintf(&b, " %s: ns (× no filter), insns executed |", c)
	}
	b.WriteString("\n|---|---:|")
	for range kcostCalls {
		b.WriteString("---:|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		insns := "–"
		if r.Insns > 0 {
			insns = strconv.Itoa(r.Insns)
		}
		fmt.Fprintf(&b, "| %s | %s |", r.Name, insns)
		for _, c := range kcostCalls {
			ns, ok := r.NS[c]
			if !ok {
				b.WriteString(" – |")
				continue
			}
			ex := "–"
			if n, ok := r.Executed[c]; ok {
				ex = strconv.Itoa(n)
				if r.Cached[c] {
					ex += ", cached"
				}
			}
			if base[c] > 0 {
				fmt.Fprintf(&b, " %.0f (%.2f×), %s |", ns, ns/base[c], ex)
			} else {
				fmt.Fprintf(&b, " %.0f, %s |", ns, ex)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
