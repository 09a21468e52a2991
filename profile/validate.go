package profile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"github.com/seccompile/seccompile/compiler"
)

const maxErrno = compiler.MaxErrno

// validate checks what Parse promises. d, when not nil, supplies positions.
func (p *Profile) validate(d *decoder) error {
	fail := func(field string, entry int, err error) error {
		e := &Error{Offset: -1, Field: field, Entry: entry, Err: err}
		if d != nil {
			full := field
			if d.prefix != "" {
				full = d.prefix + "." + field
			}
			e.Field = full
			// A missing field has no position: point at what holds it.
			for p := full; ; p = parentPath(p) {
				if off, ok := d.pos[p]; ok {
					e.Offset = off
					e.Line, e.Column = lineCol(d.data, off)
					break
				}
				if p == "" {
					break
				}
			}
		}
		return e
	}
	if p.DefaultAction == "" {
		return fail("defaultAction", -1, fmt.Errorf("%w defaultAction", ErrMissing))
	}
	if _, ok := actionKinds[p.DefaultAction]; !ok {
		return fail("defaultAction", -1, fmt.Errorf("%w %q", ErrUnknownAction, p.DefaultAction))
	}
	if p.DefaultErrnoRet != nil {
		if *p.DefaultErrnoRet > maxErrno {
			return fail("defaultErrnoRet", -1, fmt.Errorf("%w: %d", ErrErrnoRange, *p.DefaultErrnoRet))
		}
		// config-linux.md: "If the action is not able to carry an errno, the
		// runtime MUST print and error and fail."
		if !takesErrno(p.DefaultAction) {
			return fail("defaultErrnoRet", -1, fmt.Errorf("%w: %s", ErrErrnoAction, p.DefaultAction))
		}
	}
	if p.DefaultErrno != "" {
		if err := knownErrno(p.DefaultErrno); err != nil {
			return fail("defaultErrno", -1, err)
		}
		if !takesErrno(p.DefaultAction) {
			return fail("defaultErrno", -1, fmt.Errorf("%w: %s", ErrErrnoAction, p.DefaultAction))
		}
	}
	if len(p.Architectures) > 0 && len(p.ArchMap) > 0 {
		return fail("archMap", -1, ErrArchMapAndList)
	}
	for i, a := range p.Architectures {
		if err := checkOCIArch(a); err != nil {
			return fail("architectures["+strconv.Itoa(i)+"]", -1, err)
		}
	}
	for i, m := range p.ArchMap {
		f := "archMap[" + strconv.Itoa(i) + "]"
		if err := checkOCIArch(m.Arch); err != nil {
			return fail(f+".architecture", -1, err)
		}
		for j, s := range m.SubArches {
			if err := checkOCIArch(s); err != nil {
				return fail(f+".subArchitectures["+strconv.Itoa(j)+"]", -1, err)
			}
		}
	}
	for i, f := range p.Flags {
		if !flags[f] {
			return fail("flags["+strconv.Itoa(i)+"]", -1, fmt.Errorf("%w %q", ErrUnknownFlag, f))
		}
	}
	if p.ListenerMetadata != "" && p.ListenerPath == "" {
		return fail("listenerMetadata", -1, ErrListener)
	}
	for i := range p.Syscalls {
		s := &p.Syscalls[i]
		if s.Name != "" && len(s.Names) > 0 {
			return fail(entryField(i, ".name"), i, ErrNameAndNames)
		}
		if len(s.names()) == 0 {
			return fail(entryField(i, ".names"), i, fmt.Errorf("%w names", ErrMissing))
		}
		if s.Action == "" {
			return fail(entryField(i, ".action"), i, fmt.Errorf("%w action", ErrMissing))
		}
		if _, ok := actionKinds[s.Action]; !ok {
			return fail(entryField(i, ".action"), i, fmt.Errorf("%w %q", ErrUnknownAction, s.Action))
		}
		if s.ErrnoRet != nil && *s.ErrnoRet > maxErrno {
			return fail(entryField(i, ".errnoRet"), i, fmt.Errorf("%w: %d", ErrErrnoRange, *s.ErrnoRet))
		}
		if s.Errno != "" {
			if err := knownErrno(s.Errno); err != nil {
				return fail(entryField(i, ".errno"), i, err)
			}
		}
		for j, a := range s.Args {
			f := entryField(i, ".args["+strconv.Itoa(j)+"]")
			if a.Index > 5 {
				return fail(f+".index", i, fmt.Errorf("%w: %d", ErrArgIndex, a.Index))
			}
			if a.Op == "" {
				return fail(f+".op", i, fmt.Errorf("%w op", ErrMissing))
			}
			if _, ok := ops[a.Op]; !ok {
				return fail(f+".op", i, fmt.Errorf("%w %q", ErrUnknownOp, a.Op))
			}
		}
	}
	return nil
}

// checkOCIArch accepts the 23 SCMP_ARCH_* names and SCMP_ARCH_NATIVE.
func checkOCIArch(name string) error {
	if _, ok := ociArches[name]; ok || name == ArchNative {
		return nil
	}
	return fmt.Errorf("%w %q", arch.ErrUnknownArch, name)
}

// parentPath strips the last ".field" or "[i]" of a path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}
