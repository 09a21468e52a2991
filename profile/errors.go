package profile

import (
	"errors"
	"strconv"
	"strings"
)

// Causes an *Error wraps; compare with errors.Is. Unknown architecture
// names wrap arch.ErrUnknownArch, and targeting an ABI without a syscall
// table wraps arch.ErrUnsupportedArch.
var (
	ErrSyntax         = errors.New("malformed JSON")
	ErrType           = errors.New("wrong type")
	ErrDuplicate      = errors.New("duplicate key")
	ErrMissing        = errors.New("missing required field")
	ErrUnknownAction  = errors.New("unknown action")
	ErrUnknownOp      = errors.New("unknown operator")
	ErrUnknownFlag    = errors.New("unknown flag")
	ErrUnknownErrno   = errors.New("unknown errno name")
	ErrArgIndex       = errors.New("argument index out of range 0..5")
	ErrErrnoRange     = errors.New("errno out of range 0..4095")
	ErrErrnoAction    = errors.New("errno given for an action that carries none")
	ErrListener       = errors.New("listenerMetadata without listenerPath")
	ErrNameAndNames   = errors.New("both name and names are set")
	ErrArchMapAndList = errors.New("both architectures and archMap are set")
	ErrKernelVersion  = errors.New(`invalid kernel version, want "major.minor"`)
	ErrNoArch         = errors.New("no target architecture")
	ErrMixedErrno     = errors.New("errno name has different values on the target ABIs")
	// ErrNotRepresentable: FromPolicy met a policy the JSON formats cannot
	// express with the same meaning.
	ErrNotRepresentable = errors.New("not representable in a profile")
)

// Error is a problem with a profile: where it is and what it is. Parse
// fills in the position; errors from Policy and FromPolicy have none.
type Error struct {
	// Line and Column (1-based, column in characters) locate the value in
	// the JSON input; 0 when unknown.
	Line, Column int
	// Offset is the byte offset of the value in the input, or -1.
	Offset int64
	// Field is the path of the value: "syscalls[12].args[1].op",
	// "defaultAction", or "" for the whole document.
	Field string
	// Entry is the index of the syscalls entry the value is in, or -1.
	Entry int
	// Err is the cause, one of the Err* values above (possibly wrapped with
	// the offending input).
	Err error
}

// Error renders e as "line 40:15: syscalls[12].args[1].op: unknown
// operator "SCMP_CMP_FOO"".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("profile: ")
	if e.Line > 0 {
		b.WriteString("line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Warning is something Policy or FromPolicy did that the caller should know
// about but that does not stop it: syscall names unknown on an ABI,
// architecture spellings Docker would not match, ignored fields.
type Warning struct {
	Field string // path of the value, "" for the whole profile
	Entry int    // syscalls index, or -1
	Arch  string // the ABI concerned (canonical name), "" for all
	Msg   string
}

// String renders w as "syscalls[3].names: x86_64: msg".
func (w Warning) String() string {
	var b strings.Builder
	if w.Field != "" {
		b.WriteString(w.Field)
		b.WriteString(": ")
	}
	if w.Arch != "" {
		b.WriteString(w.Arch)
		b.WriteString(": ")
	}
	b.WriteString(w.Msg)
	return b.String()
}

// entryField returns the path of syscalls[i] plus a suffix.
func entryField(i int, suffix string) string {
	return "syscalls[" + strconv.Itoa(i) + "]" + suffix
}

// lineCol turns a byte offset into a 1-based line and column (in runes).
func lineCol(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, r := range string(data[:off]) {
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
