//go:build !linux

package seccomp

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/compiler"
)

// errUnsupported is what every kernel-facing call returns off Linux; it
// matches errors.ErrUnsupported.
var errUnsupported = fmt.Errorf("seccomp: Linux only: %w", errors.ErrUnsupported)

// InstallProgram needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func InstallProgram(insns []bpf.RawInstruction, opts ...Option) (listenerFD int, err error) {
	return -1, errUnsupported
}

// Seccomp needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func Seccomp(op uint, flags Flag, arg unsafe.Pointer) (uintptr, error) { return 0, errUnsupported }

// SetFilter needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func SetFilter(insns []bpf.RawInstruction, flags Flag) (int, error) { return -1, errUnsupported }

// SetNoNewPrivs needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func SetNoNewPrivs() error { return errUnsupported }

// NoNewPrivs needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func NoNewPrivs() (bool, error) { return false, errUnsupported }

// FlagAvailable needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func FlagAvailable(f Flag) (bool, error) { return false, errUnsupported }

// InstallStrict needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func InstallStrict() error { return errUnsupported }

// ExitThread needs Linux; elsewhere it blocks the goroutine forever.
func ExitThread() { select {} }

// CurrentMode needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func CurrentMode() (Mode, error) { return 0, errUnsupported }

// ActionAvailable needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func ActionAvailable(a compiler.Action) (bool, error) { return false, errUnsupported }

// Supported returns an error matching errors.ErrUnsupported: seccomp is
// Linux only.
func Supported() error { return errUnsupported }

// NotifSizes needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func NotifSizes() (Sizes, error) { return Sizes{}, errUnsupported }

// Install needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func Install(p *compiler.Policy, opts ...Option) (*Installed, error) { return nil, errUnsupported }
