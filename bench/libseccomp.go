package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// libseccompCompiler is libseccomp (the system's 2.5.4 through
// libseccomp-golang) at an optimize level: 1 = syscalls in priority order,
// 2 = binary tree by syscall number.
func libseccompCompiler(level int) Compiler {
	return Compiler{
		Name:      fmt.Sprintf("libseccomp opt%d", level),
		MultiArch: true,
		Build:     func(p *compiler.Policy) (*Built, error) { return buildLibseccomp(p, level) },
	}
}

func libseccompAction(a compiler.Action) (libseccomp.ScmpAction, bool) {
	switch a.Kind {
	case compiler.KindAllow:
		return libseccomp.ActAllow, true
	case compiler.KindLog:
		return libseccomp.ActLog, true
	case compiler.KindErrno:
		return libseccomp.ActErrno.SetReturnCode(int16(a.Data)), true
	case compiler.KindTrace:
		return libseccomp.ActTrace.SetReturnCode(int16(a.Data)), true
	case compiler.KindTrap:
		// 2.5.4 has no SCMP_ACT_TRAPX: TRAP carries no data.
		return libseccomp.ActTrap, a.Data == 0
	case compiler.KindUserNotif:
		return libseccomp.ActNotify, true
	case compiler.KindKillThread:
		return libseccomp.ActKillThread, true
	case compiler.KindKillProcess:
		return libseccomp.ActKillProcess, true
	}
	return libseccomp.ActInvalid, false
}

func libseccompCond(c compiler.Cond) (libseccomp.ScmpCondition, bool) {
	c, ok := low32Cond(c)
	if !ok {
		return libseccomp.ScmpCondition{}, false
	}
	var op libseccomp.ScmpCompareOp
	vals := []uint64{c.Value}
	switch c.Op {
	case compiler.OpEQ:
		op = libseccomp.CompareEqual
	case compiler.OpNE:
		op = libseccomp.CompareNotEqual
	case compiler.OpLT:
		op = libseccomp.CompareLess
	case compiler.OpLE:
		op = libseccomp.CompareLessOrEqual
	case compiler.OpGT:
		op = libseccomp.CompareGreater
	case compiler.OpGE:
		op = libseccomp.CompareGreaterEqual
	case compiler.OpMaskedEQ:
		// datum_a is the mask, datum_b the value (as runc passes them).
		op, vals = libseccomp.CompareMaskedEqual, []uint64{c.Mask, c.Value}
	default:
		return libseccomp.ScmpCondition{}, false
	}
	cond, err := libseccomp.MakeCondition(uint(c.Arg), op, vals...)
	return cond, err == nil
}

// libseccompArch maps an ABI to libseccomp's token.
func libseccompArch(a *arch.Arch) (libseccomp.ScmpArch, error) {
	return libseccomp.GetArchFromString(a.Libseccomp)
}

// newLibseccompFilter makes a filter for exactly the given ABIs.
func newLibseccompFilter(p *compiler.Policy, level int, abis []*arch.Arch) (*libseccomp.ScmpFilter, error) {
	def, ok := libseccompAction(p.DefaultAction())
	if !ok {
		return nil, fmt.Errorf("libseccomp cannot express default action %v", p.DefaultAction())
	}
	f, err := libseccomp.NewFilter(def)
	if err != nil {
		return nil, err
	}
	bad, ok := libseccompAction(p.BadArchAction())
	if !ok {
		f.Release()
		return nil, fmt.Errorf("libseccomp cannot express bad-arch action %v", p.BadArchAction())
	}
	if err := f.SetBadArchAction(bad); err != nil {
		f.Release()
		return nil, err
	}
	if err := f.SetOptimize(level); err != nil {
		f.Release()
		return nil, err
	}
	native, err := libseccomp.GetNativeArch()
	if err != nil {
		f.Release()
		return nil, err
	}
	keepNative := false
	for _, a := range abis {
		tok, err := libseccompArch(a)
		if err != nil {
			f.Release()
			return nil, err
		}
		if tok == native {
			keepNative = true
			continue
		}
		if err := f.AddArch(tok); err != nil {
			f.Release()
			return nil, fmt.Errorf("libseccomp: add arch %s: %w", a, err)
		}
	}
	if !keepNative {
		if err := f.RemoveArch(native); err != nil {
			f.Release()
			return nil, fmt.Errorf("libseccomp: remove native arch: %w", err)
		}
	}
	return f, nil
}

// addLibseccompRules adds the rules that apply to ABI a (nil: all rules) in
// policy order, as runc does: names resolved by libseccomp itself, a rule
// whose action is the default skipped (libseccomp refuses it).
func addLibseccompRules(f *libseccomp.ScmpFilter, p *compiler.Policy, a *arch.Arch, b *Built, seen map[string]bool) {
	note := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		if !seen[s] {
			seen[s] = true
			b.Dropped = append(b.Dropped, s)
		}
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if a != nil && !ruleApplies(r, a) {
			continue
		}
		if r.Action == p.DefaultAction() {
			continue
		}
		act, ok := libseccompAction(r.Action)
		if !ok {
			note("rule %d %q: action %v (no TRAP data in 2.5.4)", i, r.Comment, r.Action)
			continue
		}
		var conds []libseccomp.ScmpCondition
		for _, c := range r.Conds {
			lc, ok := libseccompCond(c)
			if !ok {
				conds = nil
				note("rule %d %q: condition %v has no libseccomp form", i, r.Comment, c)
				break
			}
			conds = append(conds, lc)
		}
		if len(conds) != len(r.Conds) {
			continue
		}
		names := r.Syscalls
		if a != nil {
			names = ruleNames(r, a)
		}
		for _, name := range names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				note("%s: unknown to libseccomp %s", name, libseccompVersion())
				continue
			}
			if len(conds) == 0 {
				err = f.AddRule(nr, act)
			} else {
				err = f.AddRuleConditional(nr, act, conds)
			}
			if err != nil && !errors.Is(err, errNotOnArch) {
				note("rule %d %q: %s: seccomp_rule_add: %v", i, r.Comment, name, err)
			}
		}
	}
	if a == nil || a == arch.Native() {
		for k, name := range p.Hot {
			if nr, err := libseccomp.GetSyscallFromName(name); err == nil {
				_ = f.SetSyscallPriority(nr, uint8(255-min(k, 254)))
			}
		}
	}
}

var errNotOnArch = errors.New("not on this arch")

func libseccompVersion() string {
	a, b, c := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", a, b, c)
}

func buildLibseccomp(p *compiler.Policy, level int) (*Built, error) {
	abis, err := policyArches(p)
	if err != nil {
		return nil, err
	}
	b := &Built{}
	seen := map[string]bool{}
	perArch := false
	for i := range p.Rules {
		if len(p.Rules[i].Arches) > 0 {
			perArch = true
		}
	}
	var f *libseccomp.ScmpFilter
	if !perArch || len(abis) == 1 {
		f, err = newLibseccompFilter(p, level, abis)
		if err != nil {
			return nil, err
		}
		var only *arch.Arch
		if len(abis) == 1 {
			only = abis[0]
		}
		addLibseccompRules(f, p, only, b, seen)
	} else {
		// Rules limited to some ABIs: one filter per ABI, merged
		// (seccomp_merge joins filters with disjoint ABIs).
		for _, a := range abis {
			g, err := newLibseccompFilter(p, level, []*arch.Arch{a})
			if err != nil {
				if f != nil {
					f.Release()
				}
				return nil, err
			}
			addLibseccompRules(g, p, a, b, seen)
			if f == nil {
				f = g
				continue
			}
			if err := f.Merge(g); err != nil {
				f.Release()
				g.Release()
				return nil, fmt.Errorf("libseccomp: merge %s: %w", a, err)
			}
		}
	}
	defer f.Release()
	b.Insns, err = exportLibseccomp(f)
	return b, err
}

// exportLibseccomp writes the filter's program with seccomp_export_bpf to a
// pipe and decodes it: struct sock_filter, host byte order, 8 bytes each.
func exportLibseccomp(f *libseccomp.ScmpFilter) ([]bpf.RawInstruction, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	type result struct {
		data []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		// Read concurrently: a program larger than the pipe buffer would
		// block seccomp_export_bpf (runc's TestDisassembleHugeFilterDoesNotHang).
		data, err := io.ReadAll(r)
		r.Close()
		done <- result{data, err}
	}()
	err = f.ExportBPF(w)
	w.Close()
	res := <-done
	if err != nil {
		return nil, fmt.Errorf("seccomp_export_bpf: %w", err)
	}
	if res.err != nil {
		return nil, res.err
	}
	return decodeSockFilters(res.data)
}

// decodeSockFilters decodes a raw struct sock_filter array in host order.
func decodeSockFilters(data []byte) ([]bpf.RawInstruction, error) {
	if len(data)%8 != 0 {
		return nil, fmt.Errorf("program of %d bytes is not a whole number of 8-byte instructions", len(data))
	}
	out := make([]bpf.RawInstruction, len(data)/8)
	for i := range out {
		d := data[8*i:]
		out[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(d[0:]),
			Jt: d[2],
			Jf: d[3],
			K:  binary.NativeEndian.Uint32(d[4:]),
		}
	}
	return out, nil
}

// encodeSockFilters is decodeSockFilters' inverse.
func encodeSockFilters(insns []bpf.RawInstruction) []byte {
	out := make([]byte, 8*len(insns))
	for i, in := range insns {
		d := out[8*i:]
		binary.NativeEndian.PutUint16(d[0:], in.Op)
		d[2], d[3] = in.Jt, in.Jf
		binary.NativeEndian.PutUint32(d[4:], in.K)
	}
	return out
}
