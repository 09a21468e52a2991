package seccomp

import (
	"fmt"
	"strings"
)

// Flag is a SECCOMP_FILTER_FLAG_* bit of seccomp(SECCOMP_SET_MODE_FILTER).
// Flags combine with |.
type Flag uint32

// The filter flags (include/uapi/linux/seccomp.h) and the kernel version
// that introduced each. Install and InstallProgram always add TSync, and
// add TSyncESRCH when NewListener is set, because the kernel refuses
// TSYNC|NEW_LISTENER without it (a listener fd and a failing thread's TID
// would both be positive return values).
const (
	// TSync applies the filter to every thread of the process (3.17).
	TSync Flag = 1 << 0
	// Log logs every action except ALLOW, subject to
	// /proc/sys/kernel/seccomp/actions_logged (4.14).
	Log Flag = 1 << 1
	// SpecAllow leaves the Speculative Store Bypass mitigation off; by
	// default seccomp turns it on (arch_seccomp_spec_mitigate) (4.17).
	SpecAllow Flag = 1 << 2
	// NewListener returns a user-notification listener fd for the filter's
	// USER_NOTIF actions. Only one filter in a thread's chain may have a
	// listener: a second gives EBUSY (5.0).
	NewListener Flag = 1 << 3
	// TSyncESRCH makes a TSYNC failure return ESRCH instead of the TID of
	// the thread that could not be synchronized (5.7).
	TSyncESRCH Flag = 1 << 4
	// WaitKillableRecv makes a notified thread wait killably once the
	// supervisor has received its notification, so that non-fatal signals
	// (Go's preemption signal among them) no longer withdraw it. It
	// requires NewListener (5.19).
	WaitKillableRecv Flag = 1 << 5

	allFlags = TSync | Log | SpecAllow | NewListener | TSyncESRCH | WaitKillableRecv
)

var flagInfo = [...]struct {
	flag  Flag
	name  string
	since string
}{
	{TSync, "TSYNC", "3.17"},
	{Log, "LOG", "4.14"},
	{SpecAllow, "SPEC_ALLOW", "4.17"},
	{NewListener, "NEW_LISTENER", "5.0"},
	{TSyncESRCH, "TSYNC_ESRCH", "5.7"},
	{WaitKillableRecv, "WAIT_KILLABLE_RECV", "5.19"},
}

// String spells f as the kernel's names without the common prefix, joined
// with '|': "TSYNC|NEW_LISTENER". Unknown bits print in hex; 0 is "0".
func (f Flag) String() string {
	if f == 0 {
		return "0"
	}
	var parts []string
	for _, fi := range flagInfo {
		if f&fi.flag != 0 {
			parts = append(parts, fi.name)
			f &^= fi.flag
		}
	}
	if f != 0 {
		parts = append(parts, fmt.Sprintf("%#x", uint32(f)))
	}
	return strings.Join(parts, "|")
}

// since returns the kernel version that introduced the single flag f.
func (f Flag) since() string {
	for _, fi := range flagInfo {
		if fi.flag == f {
			return fi.since
		}
	}
	return "?"
}

// bits returns the single flags set in f, lowest first.
func (f Flag) bits() []Flag {
	var out []Flag
	for b := Flag(1); b != 0; b <<= 1 {
		if f&b != 0 {
			out = append(out, b)
		}
	}
	return out
}

// CheckFlags applies the kernel's rules for combining filter flags
// (seccomp_set_mode_filter), so a bad combination is reported with the
// flags' names before any system call:
//   - bits outside the known flags are refused (the kernel: EINVAL);
//   - TSync with NewListener requires TSyncESRCH;
//   - WaitKillableRecv requires NewListener.
//
// The error wraps ErrFlagCombination.
func CheckFlags(f Flag) error {
	if unknown := f &^ allFlags; unknown != 0 {
		return &FlagError{Flag: unknown, Err: ErrFlagCombination, Detail: "unknown flag bits"}
	}
	if f&TSync != 0 && f&NewListener != 0 && f&TSyncESRCH == 0 {
		return &FlagError{Flag: TSync | NewListener, Err: ErrFlagCombination,
			Detail: "TSYNC with NEW_LISTENER requires TSYNC_ESRCH (a listener fd and a failing TID would both be positive)"}
	}
	if f&WaitKillableRecv != 0 && f&NewListener == 0 {
		return &FlagError{Flag: WaitKillableRecv, Err: ErrFlagCombination, Detail: "WAIT_KILLABLE_RECV requires NEW_LISTENER"}
	}
	return nil
}
