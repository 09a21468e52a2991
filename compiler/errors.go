package compiler

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. A *PolicyError wraps one of them (or an arch package
// error for an unknown ABI), so callers can test with errors.Is.
var (
	// ErrInvalidAction: an action kind the kernel does not know, an unset
	// rule action, or data on a kind that carries none.
	ErrInvalidAction = errors.New("invalid action")
	// ErrErrnoRange: ERRNO data above MaxErrno. The kernel would clamp it
	// to 4095 (seccomp_run_filters); a policy that asks for more is a mistake.
	ErrErrnoRange = errors.New("errno out of range 0..4095")
	// ErrEmptyRule: a rule naming no syscall.
	ErrEmptyRule = errors.New("rule names no syscall")
	// ErrArgIndex: a condition on an argument outside 0..5.
	ErrArgIndex = errors.New("argument index out of range 0..5")
	// ErrInvalidOp: a condition whose operator is not one of the Op constants.
	ErrInvalidOp = errors.New("invalid comparison operator")
	// ErrUnknownSyscall: a syscall name no ABI of the rule knows.
	ErrUnknownSyscall = errors.New("unknown syscall")
	// ErrNoArch: the policy lists no ABI and the running GOARCH has none.
	ErrNoArch = errors.New("no ABI to compile for")
	// ErrTooLong: the program exceeds the kernel's BPF_MAXINSNS (4096).
	ErrTooLong = errors.New("program too long")
	// ErrTooComplex: the argument checks of one syscall need more decision
	// nodes than the compiler allows itself (see maxArgNodes).
	ErrTooComplex = errors.New("argument rules too complex")
	// ErrMismatch: Check found inputs where the program and the policy differ.
	ErrMismatch = errors.New("program differs from policy")
)

// PolicyError reports an invalid policy: which rule (or policy field), which
// field of it, and why. Err is one of the sentinel errors above, or an error
// from arch.Lookup (which wraps arch.ErrUnknownArch or arch.ErrUnsupportedArch).
type PolicyError struct {
	// Rule is the index of the offending rule in Policy.Rules, or -1 for a
	// field of the Policy itself.
	Rule int
	// Comment is the rule's Comment, if any.
	Comment string
	// Field names the offending field: "Action", "Syscalls[2]",
	// "Conds[0].Arg", "Arches[1]", "Default"...
	Field string
	// Value is the offending value as text ("getpidd", "7", "ERRNO(5000)").
	Value string
	// Err is why.
	Err error
}

func (e *PolicyError) Error() string {
	var b strings.Builder
	if e.Rule >= 0 {
		b.WriteString("rule ")
		b.WriteString(strconv.Itoa(e.Rule))
		if e.Comment != "" {
			b.WriteString(" (")
			b.WriteString(strconv.Quote(e.Comment))
			b.WriteString(")")
		}
	} else {
		b.WriteString("policy")
	}
	if e.Field != "" {
		b.WriteString(" ")
		b.WriteString(e.Field)
	}
	if e.Value != "" {
		b.WriteString(" ")
		b.WriteString(strconv.Quote(e.Value))
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *PolicyError) Unwrap() error { return e.Err }

// WarningKind classifies a Warning.
type WarningKind uint8

// The warning kinds.
const (
	// WarnUnknownName: a syscall name unknown on some (not all) ABIs of its
	// rule; the rule skips it there.
	WarnUnknownName WarningKind = iota + 1
	// WarnOverlap: two rules with different actions name the same syscall;
	// where both match, the more restrictive (or the earlier) wins.
	WarnOverlap
	// WarnShadowed: a rule can never decide anything because an
	// unconditional rule that ranks before it names the same syscall.
	WarnShadowed
	// WarnTruncated: a condition's Value or Mask has bits above 32 on an
	// ABI that compares only the low word; they are ignored there.
	WarnTruncated
	// WarnNumberRange: a rule's Number can never be seen on an ABI (an x32
	// number on x86_64, or a plain number on x32).
	WarnNumberRange
	// WarnArch: a rule's Arches names an ABI the policy does not list.
	WarnArch
	// WarnHot: a Hot name unknown on every ABI, or listed twice.
	WarnHot
)

var warningKindNames = [...]string{"", "unknown-name", "overlap", "shadowed", "truncated", "number-range", "arch", "hot"}

// String names the kind.
func (k WarningKind) String() string {
	if int(k) < len(warningKindNames) && k != 0 {
		return warningKindNames[k]
	}
	return "WarningKind(" + strconv.Itoa(int(k)) + ")"
}

// Warning is something legal but probably unintended that Compile noticed.
type Warning struct {
	Kind WarningKind
	// Rule is the rule concerned, -1 for the policy's own fields (Hot).
	Rule int
	// Other is the second rule of an overlap or shadowing, else -1.
	Other int
	// Arch is the ABI concerned, "" if every ABI.
	Arch string
	// Syscall is the syscall concerned, "" if none.
	Syscall string
	// Msg says what happened in words.
	Msg string
}

// String renders the warning on one line.
func (w Warning) String() string {
	var b strings.Builder
	b.WriteString(w.Kind.String())
	b.WriteString(": ")
	if w.Rule >= 0 {
		fmt.Fprintf(&b, "rule %d", w.Rule)
		if w.Other >= 0 {
			fmt.Fprintf(&b, " and rule %d", w.Other)
		}
		b.WriteString(": ")
	}
	if w.Syscall != "" {
		b.WriteString(w.Syscall)
		if w.Arch != "" {
			b.WriteString(" on ")
			b.WriteString(w.Arch)
		}
		b.WriteString(": ")
	} else if w.Arch != "" {
		b.WriteString(w.Arch)
		b.WriteString(": ")
	}
	b.WriteString(w.Msg)
	return b.String()
}
