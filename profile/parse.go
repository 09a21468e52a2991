package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Parse reads a profile in OCI, Docker or Podman JSON and checks it: every
// action, operator, flag and architecture name, argument indexes, errno
// values and names, and the rules that tie fields together. Errors are
// *Error values that name the line, column and field. Keys are matched
// case-insensitively and unknown keys are ignored, as encoding/json does.
//
// Two wrappers are unwrapped: an OCI runtime config (the profile under
// "linux": {"seccomp": ...}) and a Kubernetes SeccompProfile resource in
// JSON form (the profile under "spec"), used when the document has no
// profile keys of its own.
//
// Duplicate keys are an error (ErrDuplicate): encoding/json would keep the
// last and merge duplicated objects, which no profile means to rely on.
func Parse(data []byte) (*Profile, error) {
	d := &decoder{data: data, dec: json.NewDecoder(bytes.NewReader(data)), pos: map[string]int64{}}
	d.dec.UseNumber()
	var p Profile
	inner, err := d.profile(&p, "", true)
	if err != nil {
		return nil, err
	}
	off := d.start()
	if _, err := d.dec.Token(); err != io.EOF {
		return nil, d.errAt(off, "", -1, fmt.Errorf("%w: data after the top-level value", ErrSyntax))
	}
	if inner != nil {
		p = *inner.p
		d.prefix = inner.prefix
	}
	if err := p.validate(d); err != nil {
		return nil, err
	}
	return &p, nil
}

// decoder walks the JSON token by token so that every error knows the
// value's position and path, which encoding/json's errors do not give.
type decoder struct {
	data   []byte
	dec    *json.Decoder
	pos    map[string]int64 // path → offset of the value
	prefix string           // path prefix of an unwrapped profile
}

// wrapped is a profile found inside a wrapper document.
type wrapped struct {
	p      *Profile
	prefix string
}

// start returns the offset of the next value: InputOffset stops after the
// previous token, before the separator and white space.
func (d *decoder) start() int64 { return d.skipSep(d.dec.InputOffset()) }

// skipSep advances off over white space and separators.
func (d *decoder) skipSep(off int64) int64 {
	for off < int64(len(d.data)) {
		switch d.data[off] {
		case ' ', '\t', '\n', '\r', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (d *decoder) errAt(off int64, field string, entry int, err error) *Error {
	line, col := lineCol(d.data, off)
	return &Error{Line: line, Column: col, Offset: off, Field: field, Entry: entry, Err: err}
}

// value reads the first token of the value at path and records its
// position.
func (d *decoder) value(path string, entry int) (json.Token, int64, error) {
	tok, off, err := d.token(path, entry)
	d.pos[path] = off
	return tok, off, err
}

// token reads the next token; path and entry are for errors.
func (d *decoder) token(path string, entry int) (json.Token, int64, error) {
	off := d.start()
	tok, err := d.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			// Token reports errors between tokens at the end of the previous
			// one; move to the offending byte.
			return nil, off, d.errAt(d.skipSep(max(se.Offset, off)), path, entry, fmt.Errorf("%w: %s", ErrSyntax, se.Error()))
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, off, d.errAt(int64(len(d.data)), path, entry, fmt.Errorf("%w: unexpected end of input", ErrSyntax))
		default:
			return nil, off, d.errAt(off, path, entry, fmt.Errorf("%w: %v", ErrSyntax, err))
		}
	}
	return tok, off, nil
}

func kind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return "object"
		case '[':
			return "array"
		}
		return "'" + t.String() + "'"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

func (d *decoder) typeErr(off int64, path string, entry int, want string, tok json.Token) error {
	return d.errAt(off, path, entry, fmt.Errorf("%w: want %s, got %s", ErrType, want, kind(tok)))
}

// skipRest consumes the rest of a value whose first token was tok.
func (d *decoder) skipRest(tok json.Token, path string, entry int) error {
	delim, ok := tok.(json.Delim)
	if !ok || (delim != '{' && delim != '[') {
		return nil
	}
	for depth := 1; depth > 0; {
		t, _, err := d.token(path, entry)
		if err != nil {
			return err
		}
		if dl, ok := t.(json.Delim); ok {
			switch dl {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
	}
	return nil
}

// object reads an object (or null) at path, calling field for each key with
// the key folded to lower case.
func (d *decoder) object(path string, entry int, field func(key, lower string) error) (null bool, err error) {
	tok, off, err := d.value(path, entry)
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if tok != json.Delim('{') {
		if err := d.skipRest(tok, path, entry); err != nil {
			return false, err
		}
		return false, d.typeErr(off, path, entry, "object", tok)
	}
	seen := map[string]bool{}
	for {
		keyOff := d.start()
		tok, _, err := d.token(path, entry)
		if err != nil {
			return false, err
		}
		if tok == json.Delim('}') {
			return false, nil
		}
		key, ok := tok.(string)
		if !ok { // json.Decoder only returns strings here
			return false, d.typeErr(keyOff, path, entry, "key", tok)
		}
		lower := strings.ToLower(key)
		// encoding/json would keep the last of duplicate keys, merging
		// objects into each other; rather than guess, refuse. Keys match
		// case-insensitively, so "names" and "Names" are duplicates too.
		if seen[lower] {
			at := path + "." + key
			if path == "" {
				at = key
			}
			return false, d.errAt(keyOff, at, entry, fmt.Errorf("%w %q", ErrDuplicate, key))
		}
		seen[lower] = true
		if err := field(key, lower); err != nil {
			return false, err
		}
	}
}

// array reads an array (or null) at path, calling elem for each element;
// elem must consume exactly one value.
func (d *decoder) array(path string, entry int, elem func(i int) error) (null bool, err error) {
	tok, off, err := d.value(path, entry)
	if err != nil {
		return false, err
	}
	if tok == nil {
		return true, nil
	}
	if tok != json.Delim('[') {
		if err := d.skipRest(tok, path, entry); err != nil {
			return false, err
		}
		return false, d.typeErr(off, path, entry, "array", tok)
	}
	for i := 0; ; i++ {
		if !d.dec.More() {
			_, _, err := d.token(path, entry) // ']'
			return false, err
		}
		if err := elem(i); err != nil {
			return false, err
		}
	}
}

// skip reads and discards one value.
func (d *decoder) skip(path string, entry int) error {
	tok, _, err := d.value(path, entry)
	if err != nil {
		return err
	}
	return d.skipRest(tok, path, entry)
}

// str reads a string; null leaves *dst unchanged, as encoding/json does.
func (d *decoder) str(path string, entry int, dst *string) error {
	tok, off, err := d.value(path, entry)
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case nil:
		return nil
	case string:
		*dst = t
		return nil
	}
	if err := d.skipRest(tok, path, entry); err != nil {
		return err
	}
	return d.typeErr(off, path, entry, "string", tok)
}

// strs reads an array of strings; null gives nil. The positions of the
// elements are recorded for the lists validate checks element by element
// (architectures, flags), not for syscall names, which are many.
func (d *decoder) strs(path string, entry int, dst *[]string) error {
	elemPos := !strings.HasSuffix(path, ".names")
	var out []string
	null, err := d.array(path, entry, func(i int) error {
		var tok json.Token
		var off int64
		var err error
		if elemPos {
			tok, off, err = d.value(path+"["+strconv.Itoa(i)+"]", entry)
		} else {
			tok, off, err = d.token(path, entry)
		}
		if err != nil {
			return err
		}
		s, ok := tok.(string)
		if !ok {
			p := path + "[" + strconv.Itoa(i) + "]"
			if err := d.skipRest(tok, p, entry); err != nil {
				return err
			}
			return d.typeErr(off, p, entry, "string", tok)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return err
	}
	if null {
		*dst = nil
	} else if out == nil {
		*dst = []string{}
	} else {
		*dst = out
	}
	return nil
}

// uint reads an unsigned integer of at most 64 bits; null reports set ==
// false.
func (d *decoder) uint(path string, entry int) (v uint64, set bool, err error) {
	tok, off, err := d.value(path, entry)
	if err != nil {
		return 0, false, err
	}
	switch t := tok.(type) {
	case nil:
		return 0, false, nil
	case json.Number:
		v, err := strconv.ParseUint(string(t), 10, 64)
		if err != nil {
			return 0, false, d.errAt(off, path, entry, fmt.Errorf("%w: want an unsigned 64-bit integer, got %s", ErrType, t))
		}
		return v, true, nil
	}
	if err := d.skipRest(tok, path, entry); err != nil {
		return 0, false, err
	}
	return 0, false, d.typeErr(off, path, entry, "unsigned integer", tok)
}

// uintPtr reads an optional uint (errnoRet); null gives nil.
func (d *decoder) uintPtr(path string, entry int, dst **uint) error {
	v, set, err := d.uint(path, entry)
	if err != nil {
		return err
	}
	if !set {
		*dst = nil
		return nil
	}
	if uint64(uint(v)) != v { // 32-bit hosts: uint is 32 bits wide
		return d.errAt(d.pos[path], path, entry, fmt.Errorf("%w: %d does not fit in uint", ErrType, v))
	}
	u := uint(v)
	*dst = &u
	return nil
}

// profile reads the top-level object. Wrappers (an OCI config's
// linux.seccomp, a resource's spec) are read into a second Profile that
// Parse uses when the top level is not itself a profile.
func (d *decoder) profile(p *Profile, path string, top bool) (*wrapped, error) {
	var inner *wrapped
	own := false // the object has profile keys of its own
	at := func(f string) string {
		if path == "" {
			return f
		}
		return path + "." + f
	}
	null, err := d.object(path, -1, func(key, k string) error {
		switch k {
		case "defaultaction", "defaulterrnoret", "defaulterrno", "architectures", "archmap",
			"flags", "listenerpath", "listenermetadata", "syscalls":
			own = true
		}
		switch k {
		case "defaultaction":
			return d.str(at("defaultAction"), -1, &p.DefaultAction)
		case "defaulterrnoret":
			return d.uintPtr(at("defaultErrnoRet"), -1, &p.DefaultErrnoRet)
		case "defaulterrno":
			return d.str(at("defaultErrno"), -1, &p.DefaultErrno)
		case "architectures":
			return d.strs(at("architectures"), -1, &p.Architectures)
		case "archmap":
			return d.archMap(p, at("archMap"))
		case "flags":
			return d.strs(at("flags"), -1, &p.Flags)
		case "listenerpath":
			return d.str(at("listenerPath"), -1, &p.ListenerPath)
		case "listenermetadata":
			return d.str(at("listenerMetadata"), -1, &p.ListenerMetadata)
		case "syscalls":
			return d.syscalls(p, at("syscalls"))
		case "spec":
			if top {
				w := &wrapped{p: &Profile{}, prefix: "spec"}
				if _, err := d.profile(w.p, "spec", false); err != nil {
					return err
				}
				inner = w
				return nil
			}
		case "linux":
			if top {
				return d.linux(&inner)
			}
		}
		return d.skip(at(key), -1)
	})
	if err != nil {
		return nil, err
	}
	if null {
		return nil, d.errAt(d.pos[path], path, -1, fmt.Errorf("%w: want object, got null", ErrType))
	}
	if own {
		return nil, nil
	}
	return inner, nil
}

// linux reads an OCI config's "linux" object for its "seccomp" member.
func (d *decoder) linux(inner **wrapped) error {
	_, err := d.object("linux", -1, func(key, k string) error {
		if k != "seccomp" {
			return d.skip("linux."+key, -1)
		}
		w := &wrapped{p: &Profile{}, prefix: "linux.seccomp"}
		if _, err := d.profile(w.p, "linux.seccomp", false); err != nil {
			return err
		}
		*inner = w
		return nil
	})
	return err
}

func (d *decoder) archMap(p *Profile, path string) error {
	var out []ArchMap
	null, err := d.array(path, -1, func(i int) error {
		var m ArchMap
		ep := path + "[" + strconv.Itoa(i) + "]"
		null, err := d.object(ep, -1, func(key, k string) error {
			switch k {
			case "architecture":
				return d.str(ep+".architecture", -1, &m.Arch)
			case "subarchitectures":
				return d.strs(ep+".subArchitectures", -1, &m.SubArches)
			}
			return d.skip(ep+"."+key, -1)
		})
		if err != nil {
			return err
		}
		if null {
			return d.errAt(d.pos[ep], ep, -1, fmt.Errorf("%w: want object, got null", ErrType))
		}
		out = append(out, m)
		return nil
	})
	if err != nil {
		return err
	}
	if !null {
		p.ArchMap = out
	} else {
		p.ArchMap = nil
	}
	return nil
}

func (d *decoder) syscalls(p *Profile, path string) error {
	var out []Syscall
	null, err := d.array(path, -1, func(i int) error {
		var s Syscall
		ep := path + "[" + strconv.Itoa(i) + "]"
		null, err := d.object(ep, i, func(key, k string) error {
			switch k {
			case "names":
				return d.strs(ep+".names", i, &s.Names)
			case "name":
				return d.str(ep+".name", i, &s.Name)
			case "action":
				return d.str(ep+".action", i, &s.Action)
			case "errnoret":
				return d.uintPtr(ep+".errnoRet", i, &s.ErrnoRet)
			case "errno":
				return d.str(ep+".errno", i, &s.Errno)
			case "args":
				return d.args(&s, ep+".args", i)
			case "comment":
				return d.str(ep+".comment", i, &s.Comment)
			case "includes":
				return d.filter(&s.Includes, ep+".includes", i)
			case "excludes":
				return d.filter(&s.Excludes, ep+".excludes", i)
			}
			return d.skip(ep+"."+key, i)
		})
		if err != nil {
			return err
		}
		if null {
			// runc and Docker fail on a null entry too ("encountered nil
			// syscall"), rather than skip it.
			return d.errAt(d.pos[ep], ep, i, fmt.Errorf("%w: want object, got null", ErrType))
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return err
	}
	if null {
		p.Syscalls = nil
	} else {
		p.Syscalls = out
	}
	return nil
}

func (d *decoder) args(s *Syscall, path string, entry int) error {
	var out []Arg
	null, err := d.array(path, entry, func(i int) error {
		var a Arg
		ap := path + "[" + strconv.Itoa(i) + "]"
		null, err := d.object(ap, entry, func(key, k string) error {
			switch k {
			case "index":
				v, set, err := d.uint(ap+".index", entry)
				if set {
					a.Index = uint(v)
					if uint64(a.Index) != v {
						a.Index = ^uint(0) // out of range either way
					}
				}
				return err
			case "value":
				v, set, err := d.uint(ap+".value", entry)
				if set {
					a.Value = v
				}
				return err
			case "valuetwo":
				v, set, err := d.uint(ap+".valueTwo", entry)
				if set {
					a.ValueTwo = v
				}
				return err
			case "op":
				return d.str(ap+".op", entry, &a.Op)
			}
			return d.skip(ap+"."+key, entry)
		})
		if err != nil {
			return err
		}
		if null {
			return d.errAt(d.pos[ap], ap, entry, fmt.Errorf("%w: want object, got null", ErrType))
		}
		out = append(out, a)
		return nil
	})
	if err != nil {
		return err
	}
	if null {
		s.Args = nil
	} else {
		s.Args = out
	}
	return nil
}

func (d *decoder) filter(dst **Filter, path string, entry int) error {
	f := new(Filter)
	null, err := d.object(path, entry, func(key, k string) error {
		switch k {
		case "caps":
			return d.strs(path+".caps", entry, &f.Caps)
		case "arches":
			return d.strs(path+".arches", entry, &f.Arches)
		case "minkernel":
			var s string
			if err := d.str(path+".minKernel", entry, &s); err != nil {
				return err
			}
			if s == "" {
				f.MinKernel = &KernelVersion{} // moby: "" leaves a 0.0 version
				return nil
			}
			v, err := ParseKernelVersion(s)
			if parts := strings.Split(s, "."); err == nil && (len(parts) != 2 || strings.Trim(parts[1], "0123456789") != "") {
				// moby's KernelVersion.UnmarshalJSON wants exactly two
				// numbers, where uname's release may have more.
				err = fmt.Errorf("%w: %q", ErrKernelVersion, s)
			}
			if err != nil {
				return d.errAt(d.pos[path+".minKernel"], path+".minKernel", entry, err)
			}
			f.MinKernel = &v
			return nil
		}
		return d.skip(path+"."+key, entry)
	})
	if err != nil {
		return err
	}
	if null {
		*dst = nil
	} else {
		*dst = f
	}
	return nil
}

// ParseKernelVersion reads "major.minor" the way Docker does: anything after
// the minor number ("5.10.0-8-amd64", "6.1-rc5") is ignored, and 0.0 is not
// a version.
func ParseKernelVersion(s string) (KernelVersion, error) {
	num := func(s string) (uint64, string, bool) {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 {
			return 0, s, false
		}
		n, _ := strconv.ParseUint(s[:i], 10, 64)
		return n, s[i:], true
	}
	major, rest, ok := num(s)
	if !ok || !strings.HasPrefix(rest, ".") {
		return KernelVersion{}, fmt.Errorf("%w: %q", ErrKernelVersion, s)
	}
	minor, _, ok := num(rest[1:])
	if !ok || (major == 0 && minor == 0) {
		return KernelVersion{}, fmt.Errorf("%w: %q", ErrKernelVersion, s)
	}
	return KernelVersion{Major: major, Minor: minor}, nil
}
