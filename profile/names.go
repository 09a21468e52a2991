package profile

import (
	"github.com/seccompile/seccompile/compiler"
)

// The action names of the runtime-spec (config-linux.md, "Seccomp").
const (
	ActKill        = "SCMP_ACT_KILL" // KILL_THREAD, as runc maps it
	ActKillProcess = "SCMP_ACT_KILL_PROCESS"
	ActKillThread  = "SCMP_ACT_KILL_THREAD"
	ActTrap        = "SCMP_ACT_TRAP"
	ActErrno       = "SCMP_ACT_ERRNO"
	ActTrace       = "SCMP_ACT_TRACE"
	ActAllow       = "SCMP_ACT_ALLOW"
	ActLog         = "SCMP_ACT_LOG"
	ActNotify      = "SCMP_ACT_NOTIFY"
)

// actionKinds maps the nine action names to what the kernel does.
var actionKinds = map[string]compiler.ActionKind{
	ActKill:        compiler.KindKillThread,
	ActKillProcess: compiler.KindKillProcess,
	ActKillThread:  compiler.KindKillThread,
	ActTrap:        compiler.KindTrap,
	ActErrno:       compiler.KindErrno,
	ActTrace:       compiler.KindTrace,
	ActAllow:       compiler.KindAllow,
	ActLog:         compiler.KindLog,
	ActNotify:      compiler.KindUserNotif,
}

// takesErrno reports whether an action uses errnoRet: runc passes it to
// ERRNO and TRACE only (libcontainer/seccomp getAction) and ignores it
// elsewhere, TRAP included.
func takesErrno(action string) bool { return action == ActErrno || action == ActTrace }

// The comparison operators of the runtime-spec.
const (
	OpNotEqual     = "SCMP_CMP_NE"
	OpLessThan     = "SCMP_CMP_LT"
	OpLessEqual    = "SCMP_CMP_LE"
	OpEqualTo      = "SCMP_CMP_EQ"
	OpGreaterEqual = "SCMP_CMP_GE"
	OpGreaterThan  = "SCMP_CMP_GT"
	OpMaskedEqual  = "SCMP_CMP_MASKED_EQ"
)

var ops = map[string]compiler.Op{
	OpNotEqual:     compiler.OpNE,
	OpLessThan:     compiler.OpLT,
	OpLessEqual:    compiler.OpLE,
	OpEqualTo:      compiler.OpEQ,
	OpGreaterEqual: compiler.OpGE,
	OpGreaterThan:  compiler.OpGT,
	OpMaskedEqual:  compiler.OpMaskedEQ,
}

// The filter flags of the runtime-spec.
const (
	FlagTsync            = "SECCOMP_FILTER_FLAG_TSYNC"
	FlagLog              = "SECCOMP_FILTER_FLAG_LOG"
	FlagSpecAllow        = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
	FlagWaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"
)

var flags = map[string]bool{FlagTsync: true, FlagLog: true, FlagSpecAllow: true, FlagWaitKillableRecv: true}

// ArchNative is the SCMP_ARCH_NATIVE spelling Podman's and the Security
// Profiles Operator's schemas allow: the ABI of the host.
const ArchNative = "SCMP_ARCH_NATIVE"

// ociArches maps the 23 SCMP_ARCH_* names of the runtime-spec (libseccomp
// 2.6) to the arch package's canonical names; "" marks ABIs Linux has but
// the arch package has no table for. Such names are accepted in a profile
// and are an error (arch.ErrUnsupportedArch) only when targeted.
var ociArches = map[string]string{
	"SCMP_ARCH_X86":         "i386",
	"SCMP_ARCH_X86_64":      "x86_64",
	"SCMP_ARCH_X32":         "x32",
	"SCMP_ARCH_ARM":         "arm",
	"SCMP_ARCH_AARCH64":     "aarch64",
	"SCMP_ARCH_MIPS":        "mips",
	"SCMP_ARCH_MIPS64":      "mips64",
	"SCMP_ARCH_MIPS64N32":   "mips64n32",
	"SCMP_ARCH_MIPSEL":      "mipsel",
	"SCMP_ARCH_MIPSEL64":    "mipsel64",
	"SCMP_ARCH_MIPSEL64N32": "mipsel64n32",
	"SCMP_ARCH_PPC":         "ppc",
	"SCMP_ARCH_PPC64":       "ppc64",
	"SCMP_ARCH_PPC64LE":     "ppc64le",
	"SCMP_ARCH_S390":        "s390",
	"SCMP_ARCH_S390X":       "s390x",
	"SCMP_ARCH_PARISC":      "",
	"SCMP_ARCH_PARISC64":    "",
	"SCMP_ARCH_RISCV64":     "riscv64",
	"SCMP_ARCH_LOONGARCH64": "loongarch64",
	"SCMP_ARCH_M68K":        "",
	"SCMP_ARCH_SH":          "",
	"SCMP_ARCH_SHEB":        "",
}

// dockerArchNames is how Docker spells each ABI in includes/excludes.arches:
// its goToNative map (moby/profiles seccomp_linux.go) for ABIs Go has, the
// libseccomp name for the rest. "mips3l64n32" is Docker's own misspelling,
// used consistently there, so it is what matches on such a host.
var dockerArchNames = map[string]string{
	"x86_64":      "amd64",
	"i386":        "x86",
	"x32":         "x32",
	"aarch64":     "arm64",
	"arm":         "arm",
	"riscv64":     "riscv64",
	"ppc64le":     "ppc64le",
	"ppc64":       "ppc64",
	"ppc":         "ppc",
	"s390x":       "s390x",
	"s390":        "s390",
	"mips":        "mips",
	"mipsel":      "mipsel",
	"mips64":      "mips64",
	"mipsel64":    "mipsel64",
	"mips64n32":   "mips64n32",
	"mipsel64n32": "mips3l64n32",
	"loongarch64": "loongarch64",
}
