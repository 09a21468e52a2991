package vm

import (
	"encoding/binary"
	"errors"
	"testing"

	"golang.org/x/net/bpf"
)

// fuzzInput encodes seccomp_data (64 bytes, little-endian fields) followed
// by the program (8 bytes an instruction, struct sock_filter on a
// little-endian host).
func fuzzInput(prog []bpf.RawInstruction, d Data) []byte {
	b := make([]byte, 64, 64+8*len(prog))
	binary.LittleEndian.PutUint32(b[0:], d.Nr)
	binary.LittleEndian.PutUint32(b[4:], d.Arch)
	binary.LittleEndian.PutUint64(b[8:], d.InstructionPointer)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	for _, ins := range prog {
		b = binary.LittleEndian.AppendUint16(b, ins.Op)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.LittleEndian.AppendUint32(b, ins.K)
	}
	return b
}

func parseFuzzInput(b []byte) ([]bpf.RawInstruction, Data) {
	var hdr [64]byte
	n := copy(hdr[:], b)
	b = b[n:]
	d := Data{
		Nr:                 binary.LittleEndian.Uint32(hdr[0:]),
		Arch:               binary.LittleEndian.Uint32(hdr[4:]),
		InstructionPointer: binary.LittleEndian.Uint64(hdr[8:]),
	}
	for i := range d.Args {
		d.Args[i] = binary.LittleEndian.Uint64(hdr[16+8*i:])
	}
	var prog []bpf.RawInstruction
	for ; len(b) >= 8; b = b[8:] {
		prog = append(prog, bpf.RawInstruction{Op: binary.LittleEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.LittleEndian.Uint32(b[4:])})
	}
	return prog, d
}

// FuzzVerifyRun feeds arbitrary programs and data to the verifier and the
// interpreters: nothing panics, a rejection is a *VerifyError pointing into
// the program, and an accepted program runs to a ret on a forward-only path
// with the same result in Run, Trace and package-level Run, a result the
// action-cache emulation does not contradict.
func FuzzVerifyRun(f *testing.F) {
	seedData := []Data{
		{Nr: 39, Arch: archX86_64, InstructionPointer: 0x401000, Args: [6]uint64{1, 2, 3}},
		{Nr: 110, Arch: archS390X, Args: [6]uint64{0x1122334455667788}},
		{Nr: 0x40000027, Arch: archX86_64},
		{Nr: 64, Arch: archI386, Args: [6]uint64{0x1122334400000005}},
	}
	i := 0
	for _, tc := range verifyCases {
		f.Add(fuzzInput(tc.prog, seedData[i%len(seedData)]))
		i++
	}
	for _, tc := range regressions {
		f.Add(fuzzInput(tc.prog, seedData[i%len(seedData)]))
		i++
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		prog, d := parseFuzzInput(b)
		err := Verify(prog)
		p, lerr := Load(prog)
		if (err == nil) != (lerr == nil) {
			t.Fatalf("Verify = %v, Load = %v", err, lerr)
		}
		if err != nil {
			var ve *VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify returned %T %v", err, err)
			}
			if ve.Index < -1 || ve.Index >= len(prog) || (ve.Index == -1) != (ve.Rule == RuleLength) {
				t.Fatalf("error index %d, rule %v, program of %d", ve.Index, ve.Rule, len(prog))
			}
			if _, rerr := Run(prog, d); rerr == nil {
				t.Fatal("Run accepted a program Verify rejects")
			}
			return
		}
		got := p.Run(d)
		tgot, tr := p.Trace(d)
		pgot, perr := Run(prog, d)
		if got != tgot || got != pgot || perr != nil {
			t.Fatalf("Run %#x, Trace %#x, package Run %#x %v", got, tgot, pgot, perr)
		}
		for i := 1; i < len(tr.Path); i++ {
			if tr.Path[i] <= tr.Path[i-1] {
				t.Fatalf("path goes backwards: %v", tr.Path)
			}
		}
		last := prog[tr.Path[len(tr.Path)-1]].Op
		divX := last == clsALU|aluDIV|srcX
		if last != opRetK && last != opRetA && !divX {
			t.Fatalf("run ended on %#x, not a ret", last)
		}
		if p.ConstAllowByProgram(d.Nr, d.Arch) && got != retAllow {
			t.Fatalf("const-allowed (%#x, %#x) but Run = %#x", d.Nr, d.Arch, got)
		}
		if c := ConvertedLen(prog); c < 3+len(prog) || c > 3+5*len(prog) {
			t.Fatalf("ConvertedLen = %d for %d instructions", c, len(prog))
		}
	})
}
