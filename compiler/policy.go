package compiler

import (
	"fmt"
	"strconv"
	"strings"
)

// ActionKind is what the kernel does with a syscall, without the 16-bit data.
// The kinds are ordered from most to least restrictive, the order in which
// the kernel ranks stacked filters' results (seccomp_run_filters) and in which
// this package resolves overlapping rules.
type ActionKind uint8

// The action kinds, most restrictive first. The zero ActionKind means "not
// set" and lets a Policy field take its documented default.
const (
	KindUnset       ActionKind = iota
	KindKillProcess            // SECCOMP_RET_KILL_PROCESS: SIGSYS to the whole thread group
	KindKillThread             // SECCOMP_RET_KILL_THREAD: the calling thread exits
	KindTrap                   // SECCOMP_RET_TRAP: SIGSYS to the thread, data in si_errno
	KindErrno                  // SECCOMP_RET_ERRNO: the call fails with -data
	KindUserNotif              // SECCOMP_RET_USER_NOTIF: a supervisor answers
	KindTrace                  // SECCOMP_RET_TRACE: a ptrace tracer decides, data in the event message
	KindLog                    // SECCOMP_RET_LOG: allowed and logged
	KindAllow                  // SECCOMP_RET_ALLOW
)

// Kernel return values of each kind (include/uapi/linux/seccomp.h).
const (
	RetKillProcess uint32 = 0x80000000
	RetKillThread  uint32 = 0x00000000
	RetTrap        uint32 = 0x00030000
	RetErrno       uint32 = 0x00050000
	RetUserNotif   uint32 = 0x7fc00000
	RetTrace       uint32 = 0x7ff00000
	RetLog         uint32 = 0x7ffc0000
	RetAllow       uint32 = 0x7fff0000

	// RetActionFull masks the action of a return value; RetData its data.
	RetActionFull uint32 = 0xffff0000
	RetData       uint32 = 0x0000ffff
)

// MaxErrno is the largest errno the kernel returns unclamped (MAX_ERRNO).
const MaxErrno = 4095

var kindInfo = [...]struct {
	name     string
	ret      uint32
	withData bool
}{
	KindUnset:       {"UNSET", 0, false},
	KindKillProcess: {"KILL_PROCESS", RetKillProcess, false},
	KindKillThread:  {"KILL_THREAD", RetKillThread, false},
	KindTrap:        {"TRAP", RetTrap, true},
	KindErrno:       {"ERRNO", RetErrno, true},
	KindUserNotif:   {"USER_NOTIF", RetUserNotif, false},
	KindTrace:       {"TRACE", RetTrace, true},
	KindLog:         {"LOG", RetLog, false},
	KindAllow:       {"ALLOW", RetAllow, false},
}

// String returns the kind's name as the CLI spells it: ALLOW, ERRNO, ...
func (k ActionKind) String() string {
	if int(k) < len(kindInfo) {
		return kindInfo[k].name
	}
	return "ActionKind(" + strconv.Itoa(int(k)) + ")"
}

// HasData reports whether the kind carries 16 bits of data (ERRNO, TRAP, TRACE).
func (k ActionKind) HasData() bool { return int(k) < len(kindInfo) && kindInfo[k].withData }

// Action is what a filter returns for a syscall: a kind and, for ERRNO,
// TRAP and TRACE, 16 bits of data. Actions are comparable with ==.
// The zero Action is "unset".
type Action struct {
	Kind ActionKind
	Data uint16
}

// The actions without data.
//
// KillThread and Trap are traps for Go programs: a killed thread silently
// removes an M from the runtime, which then hangs, and the runtime turns
// SIGSYS from seccomp into a crash unless the program handles it with
// signal.Notify. Prefer KillProcess or an Errno for Go processes.
var (
	KillProcess = Action{Kind: KindKillProcess}
	KillThread  = Action{Kind: KindKillThread}
	UserNotif   = Action{Kind: KindUserNotif}
	Log         = Action{Kind: KindLog}
	Allow       = Action{Kind: KindAllow}
)

// Errno returns the action that fails the syscall with errno n.
// n must be at most MaxErrno; Compile rejects larger values.
func Errno(n uint16) Action { return Action{Kind: KindErrno, Data: n} }

// Trap returns the action that sends SIGSYS with si_errno = n.
func Trap(n uint16) Action { return Action{Kind: KindTrap, Data: n} }

// Trace returns the action that notifies a ptrace tracer with event message n.
func Trace(n uint16) Action { return Action{Kind: KindTrace, Data: n} }

// Ret returns the 32-bit value a filter returns for a. Data is dropped for
// kinds that carry none, so Allow is always exactly SECCOMP_RET_ALLOW, the
// only value the kernel's action cache accepts.
func (a Action) Ret() uint32 {
	if int(a.Kind) >= len(kindInfo) || a.Kind == KindUnset {
		return RetKillProcess
	}
	info := kindInfo[a.Kind]
	if info.withData {
		return info.ret | uint32(a.Data)
	}
	return info.ret
}

// IsSet reports whether a names an action.
func (a Action) IsSet() bool { return a.Kind != KindUnset }

// MoreRestrictive reports whether a ranks before b in the kernel's order
// (KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW).
// Actions of the same kind are equally restrictive whatever their data.
func (a Action) MoreRestrictive(b Action) bool { return a.Kind < b.Kind }

// String spells a as the CLI prints it: ALLOW, LOG, KILL_PROCESS,
// KILL_THREAD, USER_NOTIF, TRAP(n), ERRNO(n), TRACE(n).
func (a Action) String() string {
	if a.Kind.HasData() {
		return a.Kind.String() + "(" + strconv.Itoa(int(a.Data)) + ")"
	}
	return a.Kind.String()
}

// ActionFromRet decodes a filter's return value. Values whose action part
// is not one the kernel knows report ok == false; the kernel runs them as
// KILL_PROCESS.
func ActionFromRet(ret uint32) (a Action, ok bool) {
	act := ret & RetActionFull
	for k := KindKillProcess; k <= KindAllow; k++ {
		if kindInfo[k].ret == act {
			a = Action{Kind: k}
			if kindInfo[k].withData {
				a.Data = uint16(ret & RetData)
			}
			return a, true
		}
	}
	return KillProcess, false
}

// ParseAction parses the spellings String produces (case-insensitive), and
// also KILL (= KILL_THREAD, as runc) and ERRNO/TRAP/TRACE without data (0).
func ParseAction(s string) (Action, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	name, arg, hasArg := u, "", false
	if i := strings.IndexByte(u, '('); i >= 0 && strings.HasSuffix(u, ")") {
		name, arg, hasArg = u[:i], u[i+1:len(u)-1], true
	}
	if name == "KILL" {
		name = "KILL_THREAD"
	}
	for k := KindKillProcess; k <= KindAllow; k++ {
		if kindInfo[k].name != name {
			continue
		}
		a := Action{Kind: k}
		if hasArg {
			if !kindInfo[k].withData {
				return Action{}, fmt.Errorf("action %q: %s takes no data", s, name)
			}
			n, err := strconv.ParseUint(arg, 0, 16)
			if err != nil {
				return Action{}, fmt.Errorf("action %q: data must be a number 0..65535: %w", s, err)
			}
			a.Data = uint16(n)
		}
		return a, nil
	}
	return Action{}, fmt.Errorf("unknown action %q", s)
}

// Op is a comparison of a syscall argument with a constant.
type Op uint8

// The comparison operators. All compare unsigned values.
const (
	OpInvalid  Op = iota
	OpEQ          // arg == Value
	OpNE          // arg != Value
	OpLT          // arg < Value
	OpLE          // arg <= Value
	OpGT          // arg > Value
	OpGE          // arg >= Value
	OpMaskedEQ    // arg & Mask == Value
)

var opNames = [...]string{"invalid", "==", "!=", "<", "<=", ">", ">=", "&=="}

// String returns the operator's symbol.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "Op(" + strconv.Itoa(int(o)) + ")"
}

// Cond is a condition on one syscall argument. The comparison is unsigned and
// 64 bits wide, done on the two 32-bit halves in the ABI's byte order, unless
// Low32 is set: then only the low 32 bits of the argument (and of Value and
// Mask) are compared, as suits int arguments whose upper half the kernel
// ignores. On 32-bit ABIs (i386, arm, mips, mips64n32...) every condition
// compares only the low word; x32, whose syscalls read full 64-bit
// registers, compares 64 bits like x86_64.
type Cond struct {
	Arg   int    // argument index, 0..5
	Op    Op     // comparison
	Value uint64 // the constant compared with
	Mask  uint64 // for OpMaskedEQ: arg & Mask == Value
	Low32 bool   // compare only the low 32 bits
}

// String renders c like "a0 == 0x28" or "a2.lo &0x3 == 0x1".
func (c Cond) String() string {
	arg := "a" + strconv.Itoa(c.Arg)
	if c.Low32 {
		arg += ".lo"
	}
	if c.Op == OpMaskedEQ {
		return fmt.Sprintf("%s & %#x == %#x", arg, c.Mask, c.Value)
	}
	return fmt.Sprintf("%s %s %#x", arg, c.Op, c.Value)
}

// ArgRef names a syscall argument for building conditions:
// compiler.Arg(0).EQ(unix.AF_UNIX).
type ArgRef struct {
	index int
	low32 bool
}

// Arg refers to argument i (0..5) of a syscall.
func Arg(i int) ArgRef { return ArgRef{index: i} }

// Low32 returns a reference that compares only the argument's low 32 bits.
func (r ArgRef) Low32() ArgRef { r.low32 = true; return r }

func (r ArgRef) cond(op Op, v uint64) Cond {
	return Cond{Arg: r.index, Op: op, Value: v, Low32: r.low32}
}

// EQ is arg == v.
func (r ArgRef) EQ(v uint64) Cond { return r.cond(OpEQ, v) }

// NE is arg != v.
func (r ArgRef) NE(v uint64) Cond { return r.cond(OpNE, v) }

// LT is arg < v.
func (r ArgRef) LT(v uint64) Cond { return r.cond(OpLT, v) }

// LE is arg <= v.
func (r ArgRef) LE(v uint64) Cond { return r.cond(OpLE, v) }

// GT is arg > v.
func (r ArgRef) GT(v uint64) Cond { return r.cond(OpGT, v) }

// GE is arg >= v.
func (r ArgRef) GE(v uint64) Cond { return r.cond(OpGE, v) }

// MaskedEQ is arg & mask == v.
func (r ArgRef) MaskedEQ(mask, v uint64) Cond {
	c := r.cond(OpMaskedEQ, v)
	c.Mask = mask
	return c
}

// Rule gives an action to syscalls when all its conditions hold.
type Rule struct {
	// Syscalls names the syscalls, resolved on each ABI of the policy. A name
	// unknown on some ABIs is skipped there with a warning; a name unknown on
	// every ABI is an error.
	Syscalls []string
	// Numbers names syscalls by the number the filter sees (x32 numbers
	// include 0x40000000), on every ABI the rule applies to.
	Numbers []uint32
	// Arches, if not empty, limits the rule to these ABIs of the policy.
	Arches []string
	// Action is taken when every condition holds.
	Action Action
	// Conds must all hold (AND). An empty list matches every call.
	Conds []Cond
	// Comment labels the rule in listings and errors.
	Comment string
}

// Policy is a complete seccomp policy: for every ABI it covers and every
// syscall number, the rules decide an action.
//
// When several rules match a call, the most restrictive action wins, in the
// kernel's order (see Action.MoreRestrictive); among rules with actions of
// the same kind, the first rule in the list wins. Overlaps are reported as
// warnings.
type Policy struct {
	// Arches lists the ABIs the program accepts (any spelling arch.Lookup
	// takes). Empty means the native ABI only. Calls from any other ABI,
	// including x32 numbers on x86_64 unless "x32" is listed, get BadArch.
	Arches []string
	// Default is the action for known syscalls that no rule matches.
	// Unset means KillProcess.
	Default Action
	// BadArch is the action for calls from an ABI the policy does not list.
	// Unset means KillProcess.
	BadArch Action
	// Unknown is the action for syscall numbers the ABI's table does not
	// know (newer than our tables, or never assigned). Unset means
	// Errno(ENOSYS) with the ABI's ENOSYS (38; 89 on MIPS), so that libc
	// falls back as it does on an older kernel.
	// Set it to Default to behave as runc and libseccomp do.
	Unknown Action
	// Hot names syscalls to test first, in order, because they are called
	// most often.
	Hot []string
	// Rules are the rules, in priority order among equally restrictive actions.
	Rules []Rule
}

// DefaultAction returns p.Default, or KillProcess when unset.
func (p *Policy) DefaultAction() Action { return orDefault(p.Default, KillProcess) }

// BadArchAction returns p.BadArch, or KillProcess when unset.
func (p *Policy) BadArchAction() Action { return orDefault(p.BadArch, KillProcess) }

func orDefault(a, def Action) Action {
	if a.IsSet() {
		return a
	}
	return def
}
