package record

import (
	"github.com/cilium/ebpf/asm"
)

// The eBPF recorder's program, written with cilium/ebpf's asm package so
// that no C compiler is needed at build time. It runs on the raw tracepoint
// sys_enter, whose context (struct bpf_raw_tracepoint_args) holds the
// tracepoint's arguments as u64s: args[0] = struct pt_regs *regs, args[1] =
// long id, the syscall number as the kernel dispatches it (trace_sys_enter in
// kernel/entry/syscall-common.c). x32 numbers keep __X32_SYSCALL_BIT there,
// exactly as seccomp_data.nr shows them.
//
// Per event it does:
//
//  1. scope: bpf_current_task_under_cgroup(scope, 0) == 1, i.e. the caller is
//     in the recording's cgroup or one below it;
//  2. ABI: the AUDIT_ARCH of the call (see compatAudit below);
//  3. start gate: nothing is counted until the first native execve or
//     execveat in the scope. The command's process is put into the cgroup
//     by clone3(CLONE_INTO_CGROUP), so it is in scope from its first
//     instruction, but until it calls execve it is still Go's fork child of
//     the recorder (os/exec's dup2/close/... preparation), not the command;
//  4. count[{arch, nr}]++;
//  5. with argument recording, for the (arch, nr) pairs listed in argsel:
//     argvals[{arch, nr, value}]++, value read from pt_regs.

// Layout of the keys, shared with the Go side (ebpf_linux.go).
const (
	countKeySize = 8  // struct { u32 arch; u32 nr; }
	argKeySize   = 16 // struct { u32 arch; u32 nr; u64 value; }

	stateStarted = 0 // state[0]: 1 once the command has called execve
	stateLost    = 1 // state[1]: events dropped because a map was full
	stateEntries = 2
)

// progConfig is what the program is specialised for; it is baked into the
// instructions as immediates.
type progConfig struct {
	nativeAudit uint32 // AUDIT_ARCH of the native ABI
	execve      uint32 // native execve and execveat numbers: the start gate
	execveat    uint32

	// compat, when set, tells compat (32-bit) calls apart: the program reads
	// the u32 at task + compatStatusOff and, if compatMask is set in it,
	// records compatAudit instead of nativeAudit.
	compat          bool
	compatStatusOff int32
	compatMask      int32
	compatAudit     uint32

	// args enables argument recording through the argsel and argvals maps.
	args bool
}

// progMaps are the file descriptors of the maps the program uses.
type progMaps struct {
	scope, state, counts, argsel, argvals int
}

// Stack slots (offsets from the frame pointer r10).
const (
	fpStateKey = -4  // u32 key into state
	fpKey      = -16 // count key: arch at -16, nr at -12
	fpScratch  = -24 // u64: compat status word, then the value 1 to insert
	fpArgKey   = -40 // arg key: arch -40, nr -36, value -32
	fpArgOne   = -48 // u64 1 for inserting into argvals
)

// buildProgram returns the recorder's instructions.
func buildProgram(c progConfig, m progMaps) asm.Instructions {
	const (
		out      = "out"
		native   = "native"
		gateOpen = "gate_open"
		start    = "start"
	)
	in := asm.Instructions{
		asm.Mov.Reg(asm.R6, asm.R1), // r6 = ctx, kept across calls

		// 1. Scope.
		asm.LoadMapPtr(asm.R1, m.scope),
		asm.Mov.Imm(asm.R2, 0),
		asm.FnCurrentTaskUnderCgroup.Call(),
		asm.JNE.Imm(asm.R0, 1, out),

		asm.LoadMem(asm.R7, asm.R6, 8, asm.DWord), // r7 = id
		asm.StoreImm(asm.RFP, fpKey, int64(int32(c.nativeAudit)), asm.Word),
		asm.StoreMem(asm.RFP, fpKey+4, asm.R7, asm.Word),
	}

	// 2. ABI.
	if c.compat {
		in = append(in,
			asm.Mov.Imm(asm.R1, 0),
			asm.StoreMem(asm.RFP, fpScratch, asm.R1, asm.DWord),
			asm.FnGetCurrentTask.Call(),
			asm.Mov.Reg(asm.R3, asm.R0),
			asm.Add.Imm(asm.R3, c.compatStatusOff),
			asm.Mov.Reg(asm.R1, asm.RFP),
			asm.Add.Imm(asm.R1, fpScratch),
			asm.Mov.Imm(asm.R2, 4),
			asm.FnProbeReadKernel.Call(),
			// A failed read leaves the zero stored above: native.
			asm.LoadMem(asm.R1, asm.RFP, fpScratch, asm.Word),
			asm.And.Imm(asm.R1, c.compatMask),
			asm.JEq.Imm(asm.R1, 0, native),
			asm.StoreImm(asm.RFP, fpKey, int64(int32(c.compatAudit)), asm.Word),
			asm.Mov.Imm(asm.R0, 0).WithSymbol(native),
		)
	}

	// 3. Start gate.
	in = append(in,
		asm.StoreImm(asm.RFP, fpStateKey, stateStarted, asm.Word),
		asm.LoadMapPtr(asm.R1, m.state),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpStateKey),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, out),
		asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord),
		asm.JNE.Imm(asm.R1, 0, gateOpen),
		asm.LoadMem(asm.R1, asm.RFP, fpKey, asm.Word),
		asm.JNE.Imm32(asm.R1, int32(c.nativeAudit), out),
		asm.JEq.Imm32(asm.R7, int32(c.execve), start),
		asm.JEq.Imm32(asm.R7, int32(c.execveat), start),
		asm.Ja.Label(out),
		asm.Mov.Imm(asm.R1, 1).WithSymbol(start),
		asm.StoreMem(asm.R0, 0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 0).WithSymbol(gateOpen),
	)

	// 4. Count.
	in = append(in, increment(m.counts, m.state, fpKey, fpScratch, "count")...)

	// 5. Arguments.
	if c.args {
		in = append(in,
			asm.LoadMapPtr(asm.R1, m.argsel),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, fpKey),
			asm.FnMapLookupElem.Call(),
			asm.JEq.Imm(asm.R0, 0, out),
			asm.LoadMem(asm.R8, asm.R0, 0, asm.Word),  // offset of the register in pt_regs
			asm.LoadMem(asm.R3, asm.R6, 0, asm.DWord), // regs
			asm.Add.Reg(asm.R3, asm.R8),
			asm.Mov.Imm(asm.R1, 0),
			asm.StoreMem(asm.RFP, fpArgKey+8, asm.R1, asm.DWord),
			asm.Mov.Reg(asm.R1, asm.RFP),
			asm.Add.Imm(asm.R1, fpArgKey+8),
			asm.Mov.Imm(asm.R2, 8),
			asm.FnProbeReadKernel.Call(),
			asm.JNE.Imm(asm.R0, 0, out),
			asm.LoadMem(asm.R1, asm.RFP, fpKey, asm.DWord),
			asm.StoreMem(asm.RFP, fpArgKey, asm.R1, asm.DWord),
		)
		in = append(in, increment(m.argvals, m.state, fpArgKey, fpArgOne, "arg")...)
	}

	in = append(in,
		asm.Mov.Imm(asm.R0, 0).WithSymbol(out),
		asm.Return(),
	)
	return in
}

// increment emits map[key at fp+keyOff] += 1 for a hash map of u64
// counters: look up and add atomically; if absent, insert 1 with
// BPF_NOEXIST; if that fails (another CPU inserted it first, or the map is
// full) look up once more, and count the event as lost if it is still
// missing. The code falls through to the instruction after it; labels are
// prefixed with p.
func increment(m, state int, keyOff, oneOff int16, p string) asm.Instructions {
	lookup := func() asm.Instructions {
		return asm.Instructions{
			asm.LoadMapPtr(asm.R1, m),
			asm.Mov.Reg(asm.R2, asm.RFP),
			asm.Add.Imm(asm.R2, int32(keyOff)),
			asm.FnMapLookupElem.Call(),
		}
	}
	add := func(label string) asm.Instructions {
		return asm.Instructions{
			asm.Mov.Imm(asm.R1, 1),
			asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
			asm.Ja.Label(label),
		}
	}
	done := p + "_done"
	var in asm.Instructions
	in = append(in, lookup()...)
	in = append(in, asm.JEq.Imm(asm.R0, 0, p+"_insert"))
	in = append(in, add(done)...)
	in = append(in,
		asm.Mov.Imm(asm.R1, 1).WithSymbol(p+"_insert"),
		asm.StoreMem(asm.RFP, oneOff, asm.R1, asm.DWord),
		asm.LoadMapPtr(asm.R1, m),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, int32(keyOff)),
		asm.Mov.Reg(asm.R3, asm.RFP),
		asm.Add.Imm(asm.R3, int32(oneOff)),
		asm.Mov.Imm(asm.R4, 1), // BPF_NOEXIST
		asm.FnMapUpdateElem.Call(),
		asm.JEq.Imm(asm.R0, 0, done),
	)
	in = append(in, lookup()...)
	in = append(in, asm.JEq.Imm(asm.R0, 0, p+"_lost"))
	in = append(in, add(done)...)
	in = append(in,
		asm.StoreImm(asm.RFP, fpStateKey, stateLost, asm.Word).WithSymbol(p+"_lost"),
		asm.LoadMapPtr(asm.R1, state),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, fpStateKey),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, done),
		asm.Mov.Imm(asm.R1, 1),
		asm.StoreXAdd(asm.R0, asm.R1, asm.DWord),
		asm.Mov.Imm(asm.R0, 0).WithSymbol(done),
	)
	return in
}
