package arch

import (
	"errors"
	"strconv"
)

// Errors Lookup wraps; compare with errors.Is.
var (
	// ErrUnknownArch: the name is no ABI spelling this package knows.
	ErrUnknownArch = errors.New("unknown architecture")
	// ErrUnsupportedArch: Linux has the ABI (OCI or libseccomp names it)
	// but this package has no syscall table for it.
	ErrUnsupportedArch = errors.New("unsupported architecture")
)

// Error is the error Lookup returns: the name as given and why it failed
// (ErrUnknownArch or ErrUnsupportedArch).
type Error struct {
	Name string
	Err  error
}

// Error says which name failed and why.
func (e *Error) Error() string { return "arch " + strconv.Quote(e.Name) + ": " + e.Err.Error() }

// Unwrap returns ErrUnknownArch or ErrUnsupportedArch.
func (e *Error) Unwrap() error { return e.Err }
