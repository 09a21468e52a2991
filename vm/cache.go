package vm

// AUDIT_ARCH_X86_64 and the two x86_64 syscalls that seccomp never filters.
const (
	auditArchX86_64 = 0xc000003e
	nrUretprobe     = 335
	nrUprobe        = 336
)

// UprobeException reports whether the kernel passes (nr, arch) through
// without running any filter: seccomp_uprobe_exception (kernel/seccomp.c)
// exempts uretprobe (335; the exemption landed in early 2025, around 6.14,
// and went to stable kernels) and uprobe (336; around 6.17) on x86_64 when
// arch is the native AUDIT_ARCH_X86_64. Both calls are meant to be entered
// only from kernel-installed trampolines; a filter can neither deny nor
// observe them. Kernels without the exemption filter them like any call.
func UprobeException(nr, arch uint32) bool {
	return arch == auditArchX86_64 && (nr == nrUretprobe || nr == nrUprobe)
}

// ConstAllow reports whether the kernel's action cache (5.11+) would mark
// (nr, arch) as always allowed by this filter, as Linux 6.18 decides it on
// x86_64: true for the uprobe exception (UprobeException), otherwise
// ConstAllowByProgram.
//
// The kernel fills the cache only for the arch's native and compat
// AUDIT_ARCH values and 0 <= nr < the size of its syscall table; a nr outside
// that (x32 numbers, -1) always runs the filters. A (nr, arch) is cached when
// every filter in the thread's chain const-allows it. Apart from the uprobe
// exception the cache never changes a result, because it only short-cuts
// calls the filters would allow anyway.
func (p *Prog) ConstAllow(nr, arch uint32) bool {
	return UprobeException(nr, arch) || p.ConstAllowByProgram(nr, arch)
}

// ConstAllowByProgram is seccomp_is_const_allow without the uprobe
// exception: it emulates the original (unrewritten) program with only nr and
// arch known and reports whether every step is decidable and it returns
// exactly SECCOMP_RET_ALLOW (0x7fff0000; ALLOW with data is not cached).
// Only ld [0] (nr), ld [4] (arch), ja, jeq/jge/jgt/jset #k, and #k and
// ret #k are followed; anything else (an argument or ip load, every X form,
// other ALU, ld #k, scratch memory, ret a) makes the answer false.
func (p *Prog) ConstAllowByProgram(nr, arch uint32) bool {
	var a uint32
	prog := p.orig
	for pc := 0; pc < len(prog); pc++ {
		ins := prog[pc]
		switch ins.Op {
		case opLdAbsW:
			switch ins.K {
			case 0:
				a = nr
			case 4:
				a = arch
			default:
				return false
			}
		case opRetK:
			return ins.K == retAllow
		case opJa:
			pc += int(ins.K)
		case clsJMP | jmpJEQ | srcK:
			pc += jump(a == ins.K, ins.Jt, ins.Jf)
		case clsJMP | jmpJGE | srcK:
			pc += jump(a >= ins.K, ins.Jt, ins.Jf)
		case clsJMP | jmpJGT | srcK:
			pc += jump(a > ins.K, ins.Jt, ins.Jf)
		case clsJMP | jmpJSET | srcK:
			pc += jump(a&ins.K != 0, ins.Jt, ins.Jf)
		case clsALU | aluAND | srcK:
			a &= ins.K
		default:
			return false
		}
	}
	// The kernel WARNs if it runs off the end; a verified program cannot.
	return false
}

func jump(c bool, jt, jf uint8) int {
	if c {
		return int(jt)
	}
	return int(jf)
}
