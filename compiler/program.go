package compiler

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"go/format"
	"strconv"
	"strings"

	"github.com/seccompile/seccompile/arch"
	"golang.org/x/net/bpf"
)

// Role says what an instruction does for the policy.
type Role uint8

// The roles of instructions in a compiled program.
const (
	RoleNone     Role = iota
	RoleLoadArch      // A = seccomp_data.arch
	RoleArch          // the test that picks an ABI's section
	RoleLoadNr        // A = seccomp_data.nr
	RoleHot           // the test of a hot syscall, before the search
	RoleSearch        // a step of the binary search over syscall-number ranges
	RoleLoadArg       // A = one 32-bit half of an argument
	RoleMask          // A &= mask, for a masked comparison
	RoleArg           // a test of an argument half
	RoleJump          // ja: a conditional jump's target was more than 255 away
	RoleReturn        // return a rule's action
	RoleDefault       // return the default action (a known syscall no rule matched)
	RoleUnknown       // return the unknown-syscall action (a number the table lacks)
	RoleBadArch       // return the bad-arch action (an ABI the policy does not list)
)

var roleNames = [...]string{"", "load-arch", "arch", "load-nr", "hot", "search", "load-arg", "mask", "arg", "jump", "return", "default", "unknown", "bad-arch"}

// String names the role.
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "Role(" + strconv.Itoa(int(r)) + ")"
}

// Origin is the provenance of one instruction: which ABI section, rule and
// syscall it serves, and in what role. Instructions shared by several
// rules or syscalls (a common return, a shared argument test) name the
// first that needed them.
type Origin struct {
	Role Role
	// Arch is the ABI section the instruction belongs to, "" for the arch
	// dispatch and the bad-arch return.
	Arch string
	// Rule is the index in Policy.Rules of the rule served, or -1.
	Rule int
	// Syscall names the syscall whose arguments are tested (RoleArg,
	// RoleLoadArg, RoleMask, RoleReturn), or "".
	Syscall string
}

// Program is a compiled seccomp filter with its provenance.
type Program struct {
	// Insns are the instructions, ready for seccomp(2).
	Insns []bpf.RawInstruction
	// Arches are the ABIs the program accepts, in section order.
	Arches []*arch.Arch
	// Origins has one entry per instruction.
	Origins []Origin
	// Warnings are what Compile noticed about the policy.
	Warnings []Warning

	comments []string // the policy's rule comments, for the listing
}

// MarshalBinary returns the program as the kernel's struct sock_filter
// array in host byte order, 8 bytes an instruction: the bytes
// seccomp_export_bpf writes and `seccompile compile --format raw` prints.
func (p *Program) MarshalBinary() ([]byte, error) {
	b := make([]byte, 8*len(p.Insns))
	for i, in := range p.Insns {
		binary.NativeEndian.PutUint16(b[8*i:], in.Op)
		b[8*i+2] = in.Jt
		b[8*i+3] = in.Jf
		binary.NativeEndian.PutUint32(b[8*i+4:], in.K)
	}
	return b, nil
}

// UnmarshalInsns decodes struct sock_filter bytes in host byte order, the
// inverse of MarshalBinary, for programs other tools wrote.
func UnmarshalInsns(b []byte) ([]bpf.RawInstruction, error) {
	if len(b)%8 != 0 {
		return nil, fmt.Errorf("program of %d bytes: not a whole number of 8-byte instructions", len(b))
	}
	insns := make([]bpf.RawInstruction, len(b)/8)
	for i := range insns {
		insns[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(b[8*i:]),
			Jt: b[8*i+2],
			Jf: b[8*i+3],
			K:  binary.NativeEndian.Uint32(b[8*i+4:]),
		}
	}
	return insns, nil
}

// String returns the annotated listing (see Disassemble for the format),
// with each instruction's provenance after a '#'.
func (p *Program) String() string {
	return listing(p.Insns, p.Arches, p.annotation)
}

func (p *Program) annotation(pc int) string {
	if pc >= len(p.Origins) {
		return ""
	}
	o := p.Origins[pc]
	var parts []string
	if o.Arch != "" && (o.Role == RoleArch || o.Role == RoleLoadNr || o.Role == RoleDefault || o.Role == RoleUnknown) {
		parts = append(parts, o.Arch)
	}
	switch o.Role {
	case RoleDefault:
		parts = append(parts, "default")
	case RoleUnknown:
		parts = append(parts, "unknown syscall")
	case RoleBadArch:
		parts = append(parts, "bad arch")
	case RoleHot:
		parts = append(parts, "hot")
	case RoleJump:
		parts = append(parts, "long jump")
	}
	if o.Syscall != "" && o.Role != RoleSearch && o.Role != RoleHot {
		parts = append(parts, o.Syscall)
	}
	if o.Rule >= 0 {
		r := "rule " + strconv.Itoa(o.Rule)
		if o.Rule < len(p.comments) && p.comments[o.Rule] != "" {
			r += " " + strconv.Quote(p.comments[o.Rule])
		}
		parts = append(parts, r)
	}
	return strings.Join(parts, ": ")
}

// GoSource returns a gofmt'ed Go file of package pkg that declares varName
// as the precompiled program, a []bpf.RawInstruction (golang.org/x/net/bpf)
// with the listing as comments, for programs that install a fixed filter
// without compiling at run time.
func (p *Program) GoSource(pkg, varName string) []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated by seccompile. DO NOT EDIT.\n\n")
	fmt.Fprintf(&b, "package %s\n\n", pkg)
	b.WriteString("import \"golang.org/x/net/bpf\"\n\n")
	names := make([]string, len(p.Arches))
	for i, a := range p.Arches {
		names[i] = a.Name
	}
	fmt.Fprintf(&b, "// %s is a seccomp filter of %d instructions for %s.\n", varName, len(p.Insns), strings.Join(names, ", "))
	fmt.Fprintf(&b, "var %s = []bpf.RawInstruction{\n", varName)
	lines := listingLines(p.Insns, p.Arches, p.annotation)
	for i, in := range p.Insns {
		fmt.Fprintf(&b, "\t{Op: %#04x, Jt: %d, Jf: %d, K: %#08x}, // %04d: %s\n", in.Op, in.Jt, in.Jf, in.K, i, lines[i])
	}
	b.WriteString("}\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		return b.Bytes() // cannot happen for the text above; unformatted is still valid Go
	}
	return out
}
