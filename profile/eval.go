package profile

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

// Options are what a runtime knows when it applies a profile and the
// profile's own text does not say.
type Options struct {
	// Arches are the ABIs to target, in any spelling arch.Lookup accepts.
	// Empty means the profile's own: its architectures (plus the native
	// ABI, which libseccomp always adds), or its archMap entry for the
	// native ABI, or else the native ABI alone.
	Arches []string
	// Caps is the container's capability (bounding) set that
	// includes/excludes.caps are checked against, "CAP_SYS_ADMIN" or
	// "SYS_ADMIN"; "ALL" stands for every capability. nil means Docker's
	// default set (DockerDefaultCaps); an empty non-nil slice means none.
	Caps []string
	// Kernel is the kernel version ("X.Y") for minKernel; "" means the
	// running kernel's.
	Kernel string
	// Host, when set, evaluates the profile exactly as dockerd on that
	// host would (any arch.Lookup spelling, "amd64"): the host's archMap
	// entry and native ABI are used, and includes/excludes.arches are
	// compared with the host's name in Docker's spelling for every target
	// ABI, so on an amd64 host a rule for [amd64, x32] holds for i386 too
	// and "x32" never matches. Empty means this machine's ABI for choosing
	// architectures, and each target ABI matched on its own.
	Host string
	// RuncUnknown gives syscall numbers unknown to the ABI's table the
	// default action, as runc and libseccomp do. When false (the default)
	// they get ERRNO(ENOSYS), so libc falls back as on an older kernel.
	RuncUnknown bool
}

// Policy evaluates the profile for the target ABIs, capabilities and kernel
// in o, with runc's meaning (see the package documentation), and returns one
// compiler.Policy for all target ABIs. Rules that hold on some of them only
// carry compiler.Rule.Arches. The warnings list syscall names skipped on an
// ABI and other things ignored.
func (p *Profile) Policy(o Options) (*compiler.Policy, []Warning, error) {
	if p == nil {
		return nil, nil, &Error{Offset: -1, Entry: -1, Err: fmt.Errorf("%w: no profile", ErrMissing)}
	}
	if err := p.validate(nil); err != nil {
		return nil, nil, err
	}
	e := &evaluator{p: p, o: o}
	if err := e.targets(); err != nil {
		return nil, nil, err
	}
	var unknownCaps []string
	e.caps, unknownCaps = newCapSet(o.Caps)
	if len(unknownCaps) > 0 {
		e.warn("Options.Caps", -1, "", "unknown capabilities "+strings.Join(unknownCaps, ", "))
	}
	def, err := e.defaultAction()
	if err != nil {
		return nil, nil, err
	}
	e.notifyWarnings()
	pol := &compiler.Policy{Default: def}
	for _, a := range e.abis {
		pol.Arches = append(pol.Arches, a.Name)
	}
	if o.RuncUnknown {
		pol.Unknown = def
	}
	for i := range p.Syscalls {
		rules, err := e.entry(i, def)
		if err != nil {
			return nil, nil, err
		}
		pol.Rules = append(pol.Rules, rules...)
	}
	return pol, e.warnings, nil
}

type evaluator struct {
	p        *Profile
	o        Options
	host     *arch.Arch // Options.Host, nil for per-ABI matching
	abis     []*arch.Arch
	caps     capSet
	kernel   KernelVersion
	kernelOK bool
	warnings []Warning
}

func (e *evaluator) warn(field string, entry int, abi, msg string) {
	e.warnings = append(e.warnings, Warning{Field: field, Entry: entry, Arch: abi, Msg: msg})
}

func fail(field string, entry int, err error) error {
	return &Error{Offset: -1, Field: field, Entry: entry, Err: err}
}

// targets decides the ABIs, as dockerd (archMap) and runc (libseccomp adds
// the native ABI to every filter) do together.
func (e *evaluator) targets() error {
	add := func(a *arch.Arch) {
		if !slices.Contains(e.abis, a) {
			e.abis = append(e.abis, a)
		}
	}
	if e.o.Host != "" {
		h, err := arch.Lookup(e.o.Host)
		if err != nil {
			return fail("", -1, fmt.Errorf("host %w", err))
		}
		e.host = h
	}
	if len(e.o.Arches) > 0 {
		for _, s := range e.o.Arches {
			a, err := arch.Lookup(s)
			if err != nil {
				return fail("", -1, fmt.Errorf("target %w", err))
			}
			add(a)
		}
		return nil
	}
	native := e.host
	if native == nil {
		native = arch.Native()
	}
	if native == nil {
		return fail("", -1, fmt.Errorf("%w: this GOARCH has no seccomp ABI; set Options.Arches", ErrNoArch))
	}
	var list []string
	field := "architectures"
	switch {
	case len(e.p.Architectures) > 0:
		list = e.p.Architectures
	case len(e.p.ArchMap) > 0:
		// moby/profiles setupSeccomp: the first entry for the native ABI
		// contributes it and its sub-architectures; the others are ignored.
		for i, m := range e.p.ArchMap {
			if m.Arch == native.OCI {
				list = append([]string{m.Arch}, m.SubArches...)
				field = fmt.Sprintf("archMap[%d]", i)
				break
			}
		}
	}
	for _, s := range list {
		if s == ArchNative {
			add(native)
			continue
		}
		a, err := arch.Lookup(s)
		if err != nil {
			return fail(field, -1, err)
		}
		add(a)
	}
	add(native)
	return nil
}

// notifyWarnings reports what runc (libcontainer/seccomp InitSeccomp)
// refuses about SCMP_ACT_NOTIFY, and a notify with nobody to answer it.
func (e *evaluator) notifyWarnings() {
	notify := e.p.DefaultAction == ActNotify
	if notify {
		// runc writes the listener fd to its parent after loading the
		// filter; a notifying write would never get there.
		e.warn("defaultAction", -1, "", "runc refuses SCMP_ACT_NOTIFY as the default action")
	}
	for i := range e.p.Syscalls {
		s := &e.p.Syscalls[i]
		if s.Action != ActNotify {
			continue
		}
		notify = true
		if slices.Contains(s.names(), "write") {
			e.warn(entryField(i, ".names"), i, "", "runc refuses SCMP_ACT_NOTIFY for write")
		}
	}
	if notify && e.p.ListenerPath == "" {
		e.warn("listenerPath", -1, "", "SCMP_ACT_NOTIFY is used but no listenerPath is set: a runtime has nobody to pass the notify fd to")
	}
}

// action turns an entry's action, errnoRet and errno into the kernel's
// action on ABI a.
func action(name string, errnoRet *uint, errnoName string, a *arch.Arch) (compiler.Action, error) {
	act := compiler.Action{Kind: actionKinds[name]}
	if !takesErrno(name) {
		return act, nil
	}
	act.Data = 1 // EPERM, runc's default for ERRNO and TRACE, on every ABI
	if errnoRet != nil {
		act.Data = uint16(*errnoRet) // validate kept it within MAX_ERRNO
	}
	if errnoName != "" {
		// Podman's getErrno: a name wins over the number.
		v, ok := Errno(errnoName, a.Name)
		if !ok {
			return act, fmt.Errorf("%w %q on %s", ErrUnknownErrno, errnoName, a.Name)
		}
		if v > maxErrno {
			return act, fmt.Errorf("%w: %d", ErrErrnoRange, v)
		}
		act.Data = v
	}
	return act, nil
}

func (e *evaluator) defaultAction() (compiler.Action, error) {
	var def compiler.Action
	for i, a := range e.abis {
		act, err := action(e.p.DefaultAction, e.p.DefaultErrnoRet, e.p.DefaultErrno, a)
		if err != nil {
			return def, fail("defaultErrno", -1, err)
		}
		if i > 0 && act != def {
			return def, fail("defaultErrno", -1, fmt.Errorf("%w: %q is %d on %s and %d on %s; evaluate them separately",
				ErrMixedErrno, e.p.DefaultErrno, def.Data, e.abis[0].Name, act.Data, a.Name))
		}
		def = act
	}
	return def, nil
}

// kernelVersion returns Options.Kernel or the running kernel's version,
// looked up only when a rule asks.
func (e *evaluator) kernelVersion(field string, entry int) (KernelVersion, error) {
	if e.kernelOK {
		return e.kernel, nil
	}
	var err error
	if e.o.Kernel != "" {
		e.kernel, err = ParseKernelVersion(e.o.Kernel)
		if err != nil {
			return KernelVersion{}, fail("Options.Kernel", -1, err)
		}
	} else if e.kernel, err = runningKernel(); err != nil {
		return KernelVersion{}, fail(field, entry, err)
	}
	e.kernelOK = true
	return e.kernel, nil
}

// matchArch reports whether a Docker arch name means ABI a. Docker compares
// the name with its own spelling of the host's GOARCH; here any arch.Lookup
// spelling of the ABI matches, and checkArchNames warns about the ones
// Docker would not match.
func (e *evaluator) matchArch(name string, a *arch.Arch) bool {
	if e.host != nil {
		// moby/profiles setupSeccomp: slices.Contains(arches, goToNative[GOARCH]).
		return name == dockerArchNames[e.host.Name]
	}
	if name == dockerArchNames[a.Name] {
		return true
	}
	b, err := arch.Lookup(name)
	return err == nil && b == a
}

func (e *evaluator) checkArchNames(f *Filter, field string, entry int) {
	for _, n := range f.Arches {
		if dockerSpellings[n] {
			continue
		}
		b, err := arch.Lookup(n)
		switch {
		case errors.Is(err, arch.ErrUnknownArch):
			e.warn(field, entry, "", fmt.Sprintf("unknown architecture %q never matches", n))
		case err != nil:
			e.warn(field, entry, "", fmt.Sprintf("architecture %q: %v", n, err))
		default:
			e.warn(field, entry, "", fmt.Sprintf("%q is not Docker's spelling (%q): it matches %s here but never in Docker",
				n, dockerArchNames[b.Name], b.Name))
		}
	}
}

func (e *evaluator) checkCaps(f *Filter, field string, entry int) {
	for _, c := range f.Caps {
		if !knownCap(c) {
			e.warn(field, entry, "", fmt.Sprintf("capability %q is not a Linux capability name (CAP_...) and never matches", c))
		}
	}
}

// dockerSpellings are the arch names Docker can match.
var dockerSpellings = func() map[string]bool {
	m := map[string]bool{}
	for _, v := range dockerArchNames {
		m[v] = true
	}
	return m
}()

// applies decides includes/excludes for ABI a the way moby/profiles
// setupSeccomp does for the host: excludes first (any match drops the
// entry), then includes (every condition must hold).
func (e *evaluator) applies(s *Syscall, i int, a *arch.Arch) (bool, error) {
	if x := s.Excludes; x != nil {
		if slices.ContainsFunc(x.Arches, func(n string) bool { return e.matchArch(n, a) }) {
			return false, nil
		}
		if slices.ContainsFunc(x.Caps, e.caps.has) {
			return false, nil
		}
		if x.MinKernel != nil {
			k, err := e.kernelVersion(entryField(i, ".excludes.minKernel"), i)
			if err != nil {
				return false, err
			}
			if !k.Less(*x.MinKernel) {
				return false, nil
			}
		}
	}
	if in := s.Includes; in != nil {
		if len(in.Arches) > 0 && !slices.ContainsFunc(in.Arches, func(n string) bool { return e.matchArch(n, a) }) {
			return false, nil
		}
		for _, c := range in.Caps {
			if !e.caps.has(c) {
				return false, nil
			}
		}
		if in.MinKernel != nil {
			k, err := e.kernelVersion(entryField(i, ".includes.minKernel"), i)
			if err != nil {
				return false, err
			}
			if k.Less(*in.MinKernel) {
				return false, nil
			}
		}
	}
	return true, nil
}

// entry evaluates syscalls[i] into zero or more rules.
func (e *evaluator) entry(i int, def compiler.Action) ([]compiler.Rule, error) {
	s := &e.p.Syscalls[i]
	for _, f := range []struct {
		f    *Filter
		name string
	}{{s.Includes, ".includes"}, {s.Excludes, ".excludes"}} {
		if f.f != nil {
			e.checkArchNames(f.f, entryField(i, f.name+".arches"), i)
			e.checkCaps(f.f, entryField(i, f.name+".caps"), i)
		}
	}
	if s.ErrnoRet != nil && !takesErrno(s.Action) {
		e.warn(entryField(i, ".errnoRet"), i, "", fmt.Sprintf("ignored for %s, as runc does", s.Action))
	}
	for j, a := range s.Args {
		if a.ValueTwo != 0 && a.Op != OpMaskedEqual {
			e.warn(entryField(i, fmt.Sprintf(".args[%d].valueTwo", j)), i, "", fmt.Sprintf("ignored for %s, as libseccomp does", a.Op))
		}
	}

	// The ABIs the entry applies to, grouped by the action it has there
	// (a Podman errno name can differ: ENOSYS is 89 on MIPS).
	type group struct {
		act  compiler.Action
		abis []*arch.Arch
	}
	var groups []*group
	for _, a := range e.abis {
		ok, err := e.applies(s, i, a)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		act, err := action(s.Action, s.ErrnoRet, s.Errno, a)
		if err != nil {
			return nil, fail(entryField(i, ".errno"), i, err)
		}
		k := slices.IndexFunc(groups, func(g *group) bool { return g.act == act })
		if k < 0 {
			groups = append(groups, &group{act: act})
			k = len(groups) - 1
		}
		groups[k].abis = append(groups[k].abis, a)
	}

	conds := make([]compiler.Cond, len(s.Args))
	var perIndex [6]int
	split := false
	for j, a := range s.Args {
		c := compiler.Cond{Arg: int(a.Index), Op: ops[a.Op], Value: a.Value}
		if c.Op == compiler.OpMaskedEQ {
			// libseccomp's SCMP_CMP_MASKED_EQ: datum_a is the mask, datum_b
			// the value, and runc passes (value, valueTwo) in that order.
			c.Mask, c.Value = a.Value, a.ValueTwo
		}
		conds[j] = c
		perIndex[a.Index]++
		split = split || perIndex[a.Index] > 1
	}

	var rules []compiler.Rule
	for _, g := range groups {
		if g.act == def {
			continue // runc (libcontainer/seccomp matchCall) skips these
		}
		names := e.knownNames(s, i, g.abis)
		if len(names) == 0 {
			continue
		}
		r := compiler.Rule{Syscalls: names, Action: g.act, Comment: entryField(i, "")}
		if s.Comment != "" {
			r.Comment += ": " + s.Comment
		}
		if len(g.abis) < len(e.abis) {
			for _, a := range g.abis {
				r.Arches = append(r.Arches, a.Name)
			}
		}
		switch {
		case len(conds) == 0:
			rules = append(rules, r)
		case split:
			// runc: with two conditions on one argument libseccomp would
			// refuse the rule, so every condition becomes a rule of its own.
			for _, c := range conds {
				rc := r
				rc.Syscalls = slices.Clone(names)
				rc.Arches = slices.Clone(r.Arches)
				rc.Conds = []compiler.Cond{c}
				rules = append(rules, rc)
			}
		default:
			r.Conds = slices.Clone(conds)
			rules = append(rules, r)
		}
	}
	return rules, nil
}

// knownNames returns the entry's names known on at least one of abis, and
// warns, per ABI, about the ones that ABI does not know. The compiler skips
// a name on ABIs that lack it; a name no ABI knows would be an error there.
func (e *evaluator) knownNames(s *Syscall, i int, abis []*arch.Arch) []string {
	var keep []string
	missing := map[*arch.Arch][]string{}
	seen := map[string]bool{}
	for _, n := range s.names() {
		if seen[n] {
			continue
		}
		seen[n] = true
		known := false
		for _, a := range abis {
			if _, ok := a.Syscall(n); ok {
				known = true
			} else {
				missing[a] = append(missing[a], n)
			}
		}
		if known {
			keep = append(keep, n)
		}
	}
	for _, a := range abis {
		if m := missing[a]; len(m) > 0 {
			e.warn(entryField(i, ".names"), i, a.Name, "unknown syscalls skipped: "+strings.Join(m, ", "))
		}
	}
	return keep
}
