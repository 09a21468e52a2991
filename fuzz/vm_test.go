package fuzz_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/seccompile/seccompile/vm"
	"golang.org/x/net/bpf"
)

// Seed programs with the shapes real filters have.
var vmSeeds = [][]bpf.Instruction{
	// The reference's 6-instruction filter: getppid fails with EPERM.
	{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xc000003e, SkipFalse: 3},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 110, SkipFalse: 1},
		bpf.RetConstant{Val: 0x00050001},
		bpf.RetConstant{Val: 0x7fff0000},
	},
	// libseccomp's shape: arch check, x32 guard, syscall list, an argument.
	{
		bpf.LoadAbsolute{Off: 4, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0xc000003e, SkipTrue: 1},
		bpf.RetConstant{Val: 0x80000000},
		bpf.LoadAbsolute{Off: 0, Size: 4},
		bpf.JumpIf{Cond: bpf.JumpGreaterOrEqual, Val: 0x40000000, SkipFalse: 1},
		bpf.RetConstant{Val: 0x80000000},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 16, SkipFalse: 4}, // ioctl
		bpf.LoadAbsolute{Off: 28, Size: 4},                     // args[1] high
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0, SkipFalse: 2},
		bpf.LoadAbsolute{Off: 24, Size: 4}, // args[1] low
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: 0x5401, SkipTrue: 1},
		bpf.RetConstant{Val: 0x00050001},
		bpf.RetConstant{Val: 0x7fff0000},
	},
	// The return value computed from the data, and scratch memory.
	{
		bpf.LoadAbsolute{Off: 16, Size: 4},
		bpf.StoreScratch{Src: bpf.RegA, N: 0},
		bpf.TAX{},
		bpf.LoadScratch{Dst: bpf.RegA, N: 0},
		bpf.ALUOpX{Op: bpf.ALUOpDiv},
		bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xfff},
		bpf.ALUOpConstant{Op: bpf.ALUOpOr, Val: 0x00050000},
		bpf.RetA{},
	},
}

func vmInput(t testing.TB, insns []bpf.Instruction, d vm.Data) []byte {
	raw, err := bpf.Assemble(insns)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 64)
	binary.LittleEndian.PutUint32(b[0:], d.Nr)
	binary.LittleEndian.PutUint32(b[4:], d.Arch)
	binary.LittleEndian.PutUint64(b[8:], d.InstructionPointer)
	for i, a := range d.Args {
		binary.LittleEndian.PutUint64(b[16+8*i:], a)
	}
	for _, ins := range raw {
		b = binary.LittleEndian.AppendUint16(b, ins.Op)
		b = append(b, ins.Jt, ins.Jf)
		b = binary.LittleEndian.AppendUint32(b, ins.K)
	}
	return b
}

// FuzzVerifyRun checks the vm package through its public API: no panics;
// Verify and Run agree on which programs are valid; an accepted program
// gives the same value from Run, Prog.Run and Prog.Trace; ConstAllow never
// contradicts Run; single loads read Data.Bytes in the arch's byte order;
// Effective is idempotent and Stack picks one of its inputs.
func FuzzVerifyRun(f *testing.F) {
	for i, s := range vmSeeds {
		f.Add(vmInput(f, s, vm.Data{Nr: uint32(39 + 71*i), Arch: 0xc000003e, Args: [6]uint64{0, 0x5401, 0x1122334455667788}}))
		f.Add(vmInput(f, s, vm.Data{Nr: 16, Arch: 0x80000016, Args: [6]uint64{3, 0x5401}}))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var hdr [64]byte
		n := copy(hdr[:], b)
		d := vm.Data{
			Nr:                 binary.LittleEndian.Uint32(hdr[0:]),
			Arch:               binary.LittleEndian.Uint32(hdr[4:]),
			InstructionPointer: binary.LittleEndian.Uint64(hdr[8:]),
		}
		for i := range d.Args {
			d.Args[i] = binary.LittleEndian.Uint64(hdr[16+8*i:])
		}
		var prog []bpf.RawInstruction
		for rest := b[n:]; len(rest) >= 8; rest = rest[8:] {
			prog = append(prog, bpf.RawInstruction{Op: binary.LittleEndian.Uint16(rest), Jt: rest[2], Jf: rest[3], K: binary.LittleEndian.Uint32(rest[4:])})
		}

		verr := vm.Verify(prog)
		ret, rerr := vm.Run(prog, d)
		if (verr == nil) != (rerr == nil) {
			t.Fatalf("Verify = %v, Run error = %v", verr, rerr)
		}
		if verr != nil {
			var ve *vm.VerifyError
			if !errors.As(verr, &ve) || !errors.Is(verr, vm.ErrInvalid) || ve.Error() == "" {
				t.Fatalf("Verify returned %T %v", verr, verr)
			}
		} else {
			p, err := vm.Load(prog)
			if err != nil {
				t.Fatal(err)
			}
			tret, tr := p.Trace(d)
			if p.Run(d) != ret || tret != ret || tr.Executed < 1 || tr.Executed > len(prog) {
				t.Fatalf("Run %#x, Prog.Run %#x, Trace %#x after %d", ret, p.Run(d), tret, tr.Executed)
			}
			if p.ConstAllowByProgram(d.Nr, d.Arch) && ret != 0x7fff0000 {
				t.Fatalf("ConstAllowByProgram(%#x, %#x) but Run = %#x", d.Nr, d.Arch, ret)
			}
			c := p.NewCoverage()
			c.Add(tr)
			if len(c.Uncovered()) != len(prog)-len(uniq(tr.Path)) {
				t.Fatalf("coverage %v after path %v", c.Uncovered(), tr.Path)
			}
		}

		raw := d.Bytes()
		k := uint32(hdr[0]&15) * 4
		got, err := vm.Run([]bpf.RawInstruction{{Op: 0x20, K: k}, {Op: 0x16}}, d)
		var want uint32
		if d.Arch&0x40000000 != 0 {
			want = binary.LittleEndian.Uint32(raw[k:])
		} else {
			want = binary.BigEndian.Uint32(raw[k:])
		}
		if err != nil || got != want {
			t.Fatalf("ld [%d] = %#x, %v; Bytes has %#x", k, got, err, want)
		}

		x, y := d.Nr, d.Arch
		if e := vm.Effective(x); vm.Effective(e) != e {
			t.Fatalf("Effective(%#x) = %#x is not a fixed point", x, e)
		}
		if s := vm.Stack(x, y); s != x && s != y && s != 0x7fff0000 {
			t.Fatalf("Stack(%#x, %#x) = %#x", x, y, s)
		}
	})
}

func uniq(path []int) map[int]bool {
	m := map[int]bool{}
	for _, pc := range path {
		m[pc] = true
	}
	return m
}
