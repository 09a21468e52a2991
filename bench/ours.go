package main

import (
	"github.com/seccompile/seccompile/compiler"
)

// seccompileCompiler is ours, fed the same policy as the peers (unknown
// numbers get the default action).
var seccompileCompiler = Compiler{Name: "seccompile", MultiArch: true, Build: buildSeccompile}

// seccompileENOSYS is ours with its own default for numbers the ABI's table
// does not know, ERRNO(ENOSYS); it is fed Case.Ours and checked against
// that policy.
var seccompileENOSYS = Compiler{Name: "seccompile (ENOSYS)", MultiArch: true, Build: buildSeccompile, Ours: true}

func buildSeccompile(p *compiler.Policy) (*Built, error) {
	prog, err := compiler.Compile(p)
	if err != nil {
		return nil, err
	}
	// Down to the bytes seccomp(2) takes, as the peers' timings include
	// their export.
	if _, err := prog.MarshalBinary(); err != nil {
		return nil, err
	}
	return &Built{Insns: prog.Insns}, nil
}
