//go:build !linux

package seccomp

import (
	"os"
	"os/exec"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/compiler"
)

// Cmd is an exec.Cmd whose program runs under a seccomp filter. Linux only.
type Cmd struct {
	*exec.Cmd
	// KeepPrivileges skips no_new_privs in the child.
	KeepPrivileges bool
}

// CommandProgram needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func CommandProgram(insns []bpf.RawInstruction, flags Flag, name string, args ...string) (*Cmd, error) {
	return nil, errUnsupported
}

// Command needs Linux; elsewhere it returns an error matching
// errors.ErrUnsupported.
func Command(p *compiler.Policy, name string, args ...string) (*exec.Cmd, error) {
	return nil, errUnsupported
}

// Listener returns nil off Linux.
func (c *Cmd) Listener() *os.File { return nil }
