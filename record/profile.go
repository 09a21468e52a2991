package record

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/profile"
)

// ErrEmpty: the recording holds no syscall with a name, so there is nothing
// to allow (the command did not start, or the backend saw nothing).
var ErrEmpty = errors.New("recording has no named syscalls")

// ProfileOptions shape the profile or policy written from a recording.
type ProfileOptions struct {
	// Default is the action for every call the recording did not see.
	// The zero value means ERRNO(EPERM), what recorders conventionally
	// write: a call the recording missed fails, it does not kill.
	// Allow and USER_NOTIF are refused.
	Default compiler.Action
	// IgnoreArgs allows recorded syscalls whatever their arguments, even
	// when the recording has argument values (Options.Args).
	IgnoreArgs bool
}

// need is what the command needs of one syscall name: the call whatever its
// arguments, or only with argument arg equal to one of values.
type need struct {
	name   string
	any    bool
	arg    int
	values []uint64
}

// needs lists what the recording needs, by name, sorted. Names are merged
// across ABIs: a profile names syscalls, and the runtime resolves each name
// on every ABI the profile lists.
func (r *Recording) needs(o ProfileOptions) []need {
	byName := map[string]*need{}
	for k := range r.Counts {
		if k.Name == "" {
			continue
		}
		if byName[k.Name] == nil {
			byName[k.Name] = &need{name: k.Name, any: true}
		}
	}
	if !o.IgnoreArgs {
		for k, vals := range r.ArgValues {
			n := byName[k.Name]
			if n == nil || len(vals) == 0 {
				continue
			}
			if n.any && n.values == nil {
				n.any = false
				n.arg = k.Arg
			}
			if n.arg != k.Arg {
				// Different argument positions on different ABIs (clone on
				// s390 next to another ABI): conditions would not say the
				// same on both, so allow the name.
				n.any = true
				continue
			}
			for v := range vals {
				n.values = append(n.values, v)
			}
		}
	}
	out := make([]need, 0, len(byName))
	for _, n := range byName {
		if n.any {
			n.values = nil
		}
		slices.Sort(n.values)
		n.values = slices.Compact(n.values)
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b need) int { return cmp.Compare(a.name, b.name) })
	return out
}

// Unnamed returns the recorded syscalls whose numbers the ABI's table does
// not know. A profile cannot name them; a policy gives them its Unknown
// action, ERRNO(ENOSYS) by default.
func (r *Recording) Unnamed() []Key {
	var out []Key
	for _, k := range r.Syscalls() {
		if k.Name == "" {
			out = append(out, k)
		}
	}
	return out
}

func defaultAction(o ProfileOptions) (compiler.Action, error) {
	d := o.Default
	if !d.IsSet() {
		return compiler.Errno(1), nil // EPERM, 1 on every Linux ABI
	}
	switch d.Kind {
	case compiler.KindAllow, compiler.KindUserNotif:
		return d, fmt.Errorf("record: default action %v would allow what the recording did not see", d)
	}
	return d, nil
}

// Policy returns the policy that allows what the recording saw: on the
// ABIs it saw calls from, every recorded syscall name (on each of those
// ABIs), with argument conditions "arg == one of the values seen" for the
// syscalls whose arguments were recorded, and o.Default for everything else.
func (r *Recording) Policy(o ProfileOptions) (*compiler.Policy, error) {
	def, err := defaultAction(o)
	if err != nil {
		return nil, err
	}
	needs := r.needs(o)
	if len(needs) == 0 {
		return nil, ErrEmpty
	}
	p := &compiler.Policy{Default: def}
	for _, a := range r.Arches() {
		p.Arches = append(p.Arches, a.Name)
	}
	all := compiler.Rule{Action: compiler.Allow}
	var conds []compiler.Rule
	for _, n := range needs {
		if n.any {
			all.Syscalls = append(all.Syscalls, n.name)
			continue
		}
		for _, v := range n.values {
			conds = append(conds, compiler.Rule{
				Action:   compiler.Allow,
				Syscalls: []string{n.name},
				Conds:    []compiler.Cond{compiler.Arg(n.arg).EQ(v)},
			})
		}
	}
	if len(all.Syscalls) > 0 {
		p.Rules = append(p.Rules, all)
	}
	p.Rules = append(p.Rules, conds...)
	return p, nil
}

// Profile returns the recording as an OCI/Docker seccomp profile:
// defaultAction from o.Default (SCMP_ACT_ERRNO, EPERM, unless set), the
// observed ABIs as "architectures", one SCMP_ACT_ALLOW entry with the sorted
// names, and, for syscalls whose arguments were recorded, one entry per
// value seen ({"index": i, "value": v, "op": "SCMP_CMP_EQ"}). One entry per
// value, rather than several conditions on one index in one entry, means
// "any of these values" in every runtime; runc ORs same-index conditions,
// but other readers of the format AND them.
//
// Syscalls the ABI's table does not know (Unnamed) cannot be written; a
// runtime answers them with its default or, here, ERRNO(ENOSYS).
func (r *Recording) Profile(o ProfileOptions) (*profile.Profile, error) {
	def, err := defaultAction(o)
	if err != nil {
		return nil, err
	}
	dp, err := profile.FromPolicy(&compiler.Policy{Default: def})
	if err != nil {
		return nil, fmt.Errorf("record: default action: %w", err)
	}
	base := &profile.Profile{DefaultAction: dp.DefaultAction, DefaultErrnoRet: dp.DefaultErrnoRet}
	for _, a := range r.Arches() {
		base.Architectures = append(base.Architectures, a.OCI)
	}
	if len(r.needs(o)) == 0 {
		return nil, ErrEmpty
	}
	p, _, err := Merge(base, r, o)
	return p, err
}

// Merge returns existing extended so that the recorded calls are allowed;
// existing is not modified. o.Default is not used: the existing profile's
// default stays. The rules:
//
//   - the recording's ABIs are added to "architectures" (or, in Docker's
//     archMap form, to the native ABI's entry);
//   - a syscall the existing profile already allows whatever its arguments
//     (an SCMP_ACT_ALLOW entry without args, includes or excludes, or an
//     SCMP_ACT_ALLOW default) is left alone;
//   - a syscall an entry with another action names (a deliberate errno, kill
//     or trace) is left as the existing profile decides, and a warning says
//     so: a rule in a base profile outranks a recording, as in
//     oci-seccomp-bpf-hook;
//   - otherwise recorded names are added to an SCMP_ACT_ALLOW entry appended
//     at the end, and recorded argument values become one SCMP_ACT_ALLOW
//     entry each, unless an entry allowing exactly that value exists;
//   - a syscall the existing profile allows only under conditions, recorded
//     without argument values, keeps those conditions (a warning says so):
//     the recording cannot tell whether the calls it saw met them.
//
// The warnings say what was kept and why.
func Merge(existing *profile.Profile, r *Recording, o ProfileOptions) (*profile.Profile, []string, error) {
	if existing == nil {
		return nil, nil, errors.New("record: merge: no existing profile")
	}
	if r == nil {
		return nil, nil, errors.New("record: merge: no recording")
	}
	p := cloneProfile(existing)
	var warns []string
	addArches(p, r.Arches())

	defaultAllows := p.DefaultAction == profile.ActAllow
	type use struct{ allowAny, allowCond, other []int }
	uses := map[string]*use{}
	for i, e := range p.Syscalls {
		for _, n := range entryNames(&e) {
			u := uses[n]
			if u == nil {
				u = &use{}
				uses[n] = u
			}
			switch {
			case e.Action != profile.ActAllow:
				u.other = append(u.other, i)
			case len(e.Args) == 0 && e.Includes == nil && e.Excludes == nil:
				u.allowAny = append(u.allowAny, i)
			default:
				u.allowCond = append(u.allowCond, i)
			}
		}
	}
	allowed := &profile.Syscall{Action: profile.ActAllow}
	var added []profile.Syscall
	for _, n := range r.needs(o) {
		u := uses[n.name]
		if u == nil {
			u = &use{}
		}
		switch {
		case len(u.allowAny) > 0:
			continue
		case len(u.other) > 0:
			e := p.Syscalls[u.other[0]]
			warns = append(warns, fmt.Sprintf("%s: kept syscalls[%d] (%s): the existing profile decides it, the recording does not override it", n.name, u.other[0], e.Action))
			continue
		case defaultAllows:
			continue
		}
		if n.any {
			if len(u.allowCond) > 0 {
				warns = append(warns, fmt.Sprintf("%s: kept the conditions of syscalls[%d]: recorded without argument values", n.name, u.allowCond[0]))
				continue
			}
			allowed.Names = append(allowed.Names, n.name)
			continue
		}
		for _, v := range n.values {
			if hasEQEntry(p.Syscalls, u.allowCond, n.arg, v) {
				continue
			}
			added = append(added, profile.Syscall{
				Names:  []string{n.name},
				Action: profile.ActAllow,
				Args:   []profile.Arg{{Index: uint(n.arg), Value: v, Op: profile.OpEqualTo}},
			})
		}
	}
	if len(allowed.Names) > 0 {
		p.Syscalls = append(p.Syscalls, *allowed)
	}
	p.Syscalls = append(p.Syscalls, added...)
	return p, warns, nil
}

// hasEQEntry reports whether one of the entries at idx allows exactly
// "arg == v" and nothing more specific.
func hasEQEntry(es []profile.Syscall, idx []int, arg int, v uint64) bool {
	for _, i := range idx {
		e := es[i]
		if e.Includes == nil && e.Excludes == nil && len(e.Args) == 1 &&
			e.Args[0].Index == uint(arg) && e.Args[0].Op == profile.OpEqualTo && e.Args[0].Value == v {
			return true
		}
	}
	return false
}

func entryNames(e *profile.Syscall) []string {
	if len(e.Names) == 0 && e.Name != "" {
		return []string{e.Name}
	}
	return e.Names
}

// addArches adds the ABIs to the profile's architectures.
func addArches(p *profile.Profile, abis []*arch.Arch) {
	has := func(list []string, a *arch.Arch) bool {
		for _, s := range list {
			if b, err := arch.Lookup(s); err == nil && b == a {
				return true
			}
		}
		return false
	}
	if len(p.ArchMap) > 0 {
		native := arch.Native()
		k := slices.IndexFunc(p.ArchMap, func(m profile.ArchMap) bool {
			b, err := arch.Lookup(m.Arch)
			return err == nil && b == native
		})
		if k < 0 {
			p.ArchMap = append(p.ArchMap, profile.ArchMap{Arch: native.OCI})
			k = len(p.ArchMap) - 1
		}
		m := &p.ArchMap[k]
		for _, a := range abis {
			if a != native && !has(m.SubArches, a) {
				m.SubArches = append(m.SubArches, a.OCI)
			}
		}
		return
	}
	if len(p.Architectures) == 0 {
		// No list means the native ABI; keep it that way unless the
		// recording saw others.
		native := arch.Native()
		if !slices.ContainsFunc(abis, func(a *arch.Arch) bool { return a != native }) {
			return
		}
		p.Architectures = []string{native.OCI}
	}
	for _, a := range abis {
		if !has(p.Architectures, a) {
			p.Architectures = append(p.Architectures, a.OCI)
		}
	}
}

// cloneProfile copies p deeply enough that Merge's changes do not reach it.
func cloneProfile(p *profile.Profile) *profile.Profile {
	q := *p
	q.Architectures = slices.Clone(p.Architectures)
	q.Flags = slices.Clone(p.Flags)
	q.ArchMap = nil
	for _, m := range p.ArchMap {
		q.ArchMap = append(q.ArchMap, profile.ArchMap{Arch: m.Arch, SubArches: slices.Clone(m.SubArches)})
	}
	q.Syscalls = nil
	for _, e := range p.Syscalls {
		e.Names = slices.Clone(e.Names)
		e.Args = slices.Clone(e.Args)
		q.Syscalls = append(q.Syscalls, e)
	}
	return &q
}
