package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"golang.org/x/net/bpf"

	"github.com/seccompile/seccompile/compiler"
	"github.com/seccompile/seccompile/vm"
)

// build compiles pol and proves the program before anything uses it: the
// kernel's load-time checks (vm.Verify) and equivalence with the policy
// (compiler.Check). A failure of either is a seccompile bug, and says so.
func build(pol *compiler.Policy) (*compiler.Program, *compiler.Report, error) {
	prog, err := compiler.Compile(pol)
	if err != nil {
		return nil, nil, err
	}
	if err := vm.Verify(prog.Insns); err != nil {
		return nil, nil, fmt.Errorf("internal error: the compiled program fails the kernel's load-time checks (please report this bug): %w", err)
	}
	rep, err := compiler.Check(pol, prog)
	if err != nil {
		return nil, nil, fmt.Errorf("internal error: the compiled program does not do what the profile says (please report this bug): %w", err)
	}
	return prog, rep, nil
}

// sockFilterSize is sizeof(struct sock_filter).
const sockFilterSize = 8

// readProgram reads a raw program: struct sock_filter array in host byte
// order, as seccomp_export_bpf writes it. "-" is stdin.
func readProgram(e *env, file string) ([]bpf.RawInstruction, error) {
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(e.stdin)
		file = "stdin"
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, err
	}
	return decodeProgram(file, data)
}

func decodeProgram(file string, data []byte) ([]bpf.RawInstruction, error) {
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file, want a raw BPF program (struct sock_filter array)", file)
	}
	if len(data)%sockFilterSize != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte struct sock_filter instructions (is it a raw BPF program?)",
			file, len(data), sockFilterSize)
	}
	insns := make([]bpf.RawInstruction, len(data)/sockFilterSize)
	for i := range insns {
		b := data[i*sockFilterSize:]
		insns[i] = bpf.RawInstruction{
			Op: binary.NativeEndian.Uint16(b[0:2]),
			Jt: b[2],
			Jf: b[3],
			K:  binary.NativeEndian.Uint32(b[4:8]),
		}
	}
	return insns, nil
}

// indentJSON lays out JSON for people who will read and edit it, ending
// with a newline.
func indentJSON(data []byte) ([]byte, error) {
	var b bytes.Buffer
	if err := json.Indent(&b, data, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// isTerminal reports whether w is a character device such as a terminal,
// where raw bytes would only make a mess.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// writeOutput writes data to the file -o names, or to stdout.
func writeOutput(e *env, file string, data []byte) error {
	if file == "" || file == "-" {
		_, err := e.stdout.Write(data)
		return err
	}
	return os.WriteFile(file, data, 0o644)
}
