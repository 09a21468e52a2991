package profile

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// FromPolicy writes a compiler.Policy as a profile that Policy reads back
// to the same rules:
//
//   - one ABI: plain OCI, with "architectures";
//   - several ABIs: Docker's archMap, one entry per ABI (so the profile
//     works on each of those hosts), and includes.arches, in Docker's
//     spelling, on rules limited to some ABIs;
//   - no ABI (the native one): neither.
//
// Each rule becomes one syscalls entry. Rules that name syscalls by number
// are written by name, per ABI where the names differ.
//
// What a profile cannot say is an error wrapping ErrNotRepresentable: two
// different conditions on one argument (runc ORs them within an entry),
// TRAP with data (runc passes no errnoRet to TRAP), and 32-bit-only
// comparisons other than == and masked == on 64-bit ABIs. The policy's
// BadArch, Unknown and Hot have no place in a profile and are dropped: the
// runtime (or Options, when read back here) decides them.
func FromPolicy(pol *compiler.Policy) (*Profile, error) {
	if pol == nil {
		return nil, fail("", -1, fmt.Errorf("%w: no policy", ErrMissing))
	}
	var abis []*arch.Arch
	for _, s := range pol.Arches {
		a, err := arch.Lookup(s)
		if err != nil {
			return nil, fail("Arches", -1, err)
		}
		if !slices.Contains(abis, a) {
			abis = append(abis, a)
		}
	}
	p := &Profile{}
	def := pol.DefaultAction()
	var err error
	if p.DefaultAction, p.DefaultErrnoRet, err = actionName(def); err != nil {
		return nil, fail("defaultAction", -1, err)
	}
	switch len(abis) {
	case 0:
	case 1:
		p.Architectures = []string{abis[0].OCI}
	default:
		for _, a := range abis {
			m := ArchMap{Arch: a.OCI}
			for _, b := range abis {
				if b != a {
					m.SubArches = append(m.SubArches, b.OCI)
				}
			}
			p.ArchMap = append(p.ArchMap, m)
		}
	}
	scope := abis
	if len(scope) == 0 {
		if n := arch.Native(); n != nil {
			scope = []*arch.Arch{n}
		}
	}
	for i, r := range pol.Rules {
		entries, err := ruleEntries(r, scope, len(abis) > 1)
		if err != nil {
			return nil, fail(fmt.Sprintf("Rules[%d]", i), -1, err)
		}
		p.Syscalls = append(p.Syscalls, entries...)
	}
	return p, nil
}

// actionName spells a as a profile action and errnoRet.
func actionName(a compiler.Action) (string, *uint, error) {
	data := func() *uint { v := uint(a.Data); return &v }
	switch a.Kind {
	case compiler.KindKillProcess:
		return ActKillProcess, nil, nil
	case compiler.KindKillThread:
		return ActKillThread, nil, nil
	case compiler.KindTrap:
		if a.Data != 0 {
			return "", nil, fmt.Errorf("%w: %v: runc passes no data to SCMP_ACT_TRAP", ErrNotRepresentable, a)
		}
		return ActTrap, nil, nil
	case compiler.KindErrno:
		return ActErrno, data(), nil
	case compiler.KindTrace:
		return ActTrace, data(), nil
	case compiler.KindUserNotif:
		return ActNotify, nil, nil
	case compiler.KindLog:
		return ActLog, nil, nil
	case compiler.KindAllow:
		return ActAllow, nil, nil
	}
	return "", nil, fmt.Errorf("%w: action %v", ErrNotRepresentable, a)
}

// ruleEntries writes one rule as one entry, or one per ABI when the rule's
// syscall numbers name different syscalls on different ABIs.
func ruleEntries(r compiler.Rule, scope []*arch.Arch, multi bool) ([]Syscall, error) {
	abis := scope
	if len(r.Arches) > 0 {
		abis = nil
		for _, s := range r.Arches {
			a, err := arch.Lookup(s)
			if err != nil {
				return nil, fmt.Errorf("Arches: %w", err)
			}
			if slices.Contains(scope, a) && !slices.Contains(abis, a) {
				abis = append(abis, a)
			}
		}
		if len(abis) == 0 {
			return nil, nil // the rule applies to no ABI of the policy
		}
	}
	name, errnoRet, err := actionName(r.Action)
	if err != nil {
		return nil, err
	}
	args, err := condArgs(r.Conds, abis)
	if err != nil {
		return nil, err
	}
	base := Syscall{Action: name, ErrnoRet: errnoRet, Args: args, Comment: ruleComment(r.Comment)}
	restrict := func(e *Syscall, on []*arch.Arch) {
		if !multi || len(on) == len(scope) {
			return
		}
		e.Includes = &Filter{}
		for _, a := range on {
			e.Includes.Arches = append(e.Includes.Arches, dockerArchNames[a.Name])
		}
	}
	if len(r.Numbers) == 0 {
		e := base
		e.Names = slices.Clone(r.Syscalls)
		restrict(&e, abis)
		return []Syscall{e}, nil
	}
	// Numbers: resolve on each ABI, then group ABIs with equal name lists.
	type group struct {
		names []string
		abis  []*arch.Arch
	}
	var groups []*group
	for _, a := range abis {
		names := slices.Clone(r.Syscalls)
		for _, nr := range r.Numbers {
			n, ok := a.SyscallName(nr)
			if !ok {
				return nil, fmt.Errorf("%w: syscall number %d has no name on %s", ErrNotRepresentable, nr, a.Name)
			}
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		k := slices.IndexFunc(groups, func(g *group) bool { return slices.Equal(g.names, names) })
		if k < 0 {
			groups = append(groups, &group{names: names})
			k = len(groups) - 1
		}
		groups[k].abis = append(groups[k].abis, a)
	}
	if len(groups) > 1 && !multi {
		return nil, fmt.Errorf("%w: syscall numbers name different syscalls on the policy's ABIs", ErrNotRepresentable)
	}
	var out []Syscall
	for _, g := range groups {
		e := base
		e.Args = slices.Clone(args)
		e.Names = g.names
		restrict(&e, g.abis)
		out = append(out, e)
	}
	return out, nil
}

// ruleComment drops the "syscalls[N]" provenance Policy puts in comments.
func ruleComment(c string) string {
	if rest, ok := strings.CutPrefix(c, "syscalls["); ok {
		if i := strings.IndexByte(rest, ']'); i >= 0 && strings.Trim(rest[:i], "0123456789") == "" {
			rest = rest[i+1:]
			if s, ok := strings.CutPrefix(rest, ": "); ok {
				return s
			}
			if rest == "" {
				return ""
			}
		}
	}
	return c
}

// condArgs writes a rule's conditions (an AND) as profile args. In a
// profile, two conditions on one argument are ORed (runc), so the policy
// may have at most one per argument.
func condArgs(conds []compiler.Cond, abis []*arch.Arch) ([]Arg, error) {
	only32 := !slices.ContainsFunc(abis, func(a *arch.Arch) bool { return a.Bits == 64 })
	var args []Arg
	var seen [6]*compiler.Cond
	for i := range conds {
		c := conds[i]
		if c.Arg < 0 || c.Arg > 5 {
			return nil, fmt.Errorf("%w: %d", ErrArgIndex, c.Arg)
		}
		if prev := seen[c.Arg]; prev != nil {
			if *prev == c {
				continue
			}
			return nil, fmt.Errorf("%w: %v and %v: conditions on one argument are ORed in a profile", ErrNotRepresentable, *prev, c)
		}
		seen[c.Arg] = &conds[i]
		a := Arg{Index: uint(c.Arg), Value: c.Value}
		op := c.Op
		if c.Low32 && !only32 {
			// (arg & 0xffffffff) == v is what a 32-bit == means; the
			// orderings have no such form.
			switch op {
			case compiler.OpEQ:
				op, c.Mask = compiler.OpMaskedEQ, 0xffffffff
			case compiler.OpMaskedEQ:
				c.Mask &= 0xffffffff
			default:
				return nil, fmt.Errorf("%w: %v compares the low 32 bits only", ErrNotRepresentable, c)
			}
			c.Value &= 0xffffffff
		}
		switch op {
		case compiler.OpEQ:
			a.Op = OpEqualTo
		case compiler.OpNE:
			a.Op = OpNotEqual
		case compiler.OpLT:
			a.Op = OpLessThan
		case compiler.OpLE:
			a.Op = OpLessEqual
		case compiler.OpGT:
			a.Op = OpGreaterThan
		case compiler.OpGE:
			a.Op = OpGreaterEqual
		case compiler.OpMaskedEQ:
			a.Op, a.Value, a.ValueTwo = OpMaskedEqual, c.Mask, c.Value
		default:
			return nil, fmt.Errorf("%w: operator %v", ErrNotRepresentable, c.Op)
		}
		args = append(args, a)
	}
	return args, nil
}

// The JSON shapes, in the field order Docker writes.
type (
	jsonProfile struct {
		DefaultAction    string        `json:"defaultAction"`
		DefaultErrnoRet  *uint         `json:"defaultErrnoRet,omitempty"`
		DefaultErrno     string        `json:"defaultErrno,omitempty"`
		Architectures    []string      `json:"architectures,omitempty"`
		ArchMap          []jsonArchMap `json:"archMap,omitempty"`
		Flags            []string      `json:"flags,omitempty"`
		ListenerPath     string        `json:"listenerPath,omitempty"`
		ListenerMetadata string        `json:"listenerMetadata,omitempty"`
		Syscalls         []jsonSyscall `json:"syscalls,omitempty"`
	}
	jsonArchMap struct {
		Arch      string   `json:"architecture"`
		SubArches []string `json:"subArchitectures"`
	}
	jsonSyscall struct {
		Names    []string    `json:"names,omitempty"`
		Name     string      `json:"name,omitempty"`
		Action   string      `json:"action"`
		ErrnoRet *uint       `json:"errnoRet,omitempty"`
		Errno    string      `json:"errno,omitempty"`
		Args     []jsonArg   `json:"args,omitempty"`
		Comment  string      `json:"comment,omitempty"`
		Includes *jsonFilter `json:"includes,omitempty"`
		Excludes *jsonFilter `json:"excludes,omitempty"`
	}
	jsonArg struct {
		Index    uint   `json:"index"`
		Value    uint64 `json:"value"`
		ValueTwo uint64 `json:"valueTwo,omitempty"`
		Op       string `json:"op"`
	}
	jsonFilter struct {
		Caps      []string `json:"caps,omitempty"`
		Arches    []string `json:"arches,omitempty"`
		MinKernel *string  `json:"minKernel,omitempty"`
	}
)

// MarshalJSON writes the profile as JSON with the runtime-spec's field
// names, plus whichever Docker and Podman fields are set. It checks the
// profile first, so it never writes one Parse would reject. For indented
// output use json.MarshalIndent(p, "", "\t").
func (p *Profile) MarshalJSON() ([]byte, error) {
	if err := p.validate(nil); err != nil {
		return nil, err
	}
	j := jsonProfile{
		DefaultAction:    p.DefaultAction,
		DefaultErrnoRet:  p.DefaultErrnoRet,
		DefaultErrno:     p.DefaultErrno,
		Architectures:    p.Architectures,
		Flags:            p.Flags,
		ListenerPath:     p.ListenerPath,
		ListenerMetadata: p.ListenerMetadata,
	}
	for _, m := range p.ArchMap {
		j.ArchMap = append(j.ArchMap, jsonArchMap(m))
	}
	for _, s := range p.Syscalls {
		js := jsonSyscall{
			Names: s.Names, Name: s.Name, Action: s.Action, ErrnoRet: s.ErrnoRet,
			Errno: s.Errno, Comment: s.Comment,
			Includes: filterJSON(s.Includes), Excludes: filterJSON(s.Excludes),
		}
		for _, a := range s.Args {
			js.Args = append(js.Args, jsonArg(a))
		}
		j.Syscalls = append(j.Syscalls, js)
	}
	return json.Marshal(j)
}

func filterJSON(f *Filter) *jsonFilter {
	if f == nil {
		return nil
	}
	j := &jsonFilter{Caps: f.Caps, Arches: f.Arches}
	if f.MinKernel != nil {
		s := f.MinKernel.String()
		j.MinKernel = &s
	}
	return j
}

// UnmarshalJSON reads a profile with Parse, so a Profile can sit inside
// other JSON documents. Positions in errors are relative to the profile's
// own value.
func (p *Profile) UnmarshalJSON(data []byte) error {
	q, err := Parse(data)
	if err != nil {
		return err
	}
	*p = *q
	return nil
}
