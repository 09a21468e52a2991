package profile

import (
	"slices"
	"strings"
)

// DockerDefaultCaps returns the capabilities Docker gives a container by
// default, the set Policy uses when Options.Caps is nil. moby/profiles does
// not export the list; it is moby/moby daemon/pkg/oci/caps/defaults.go
// (DefaultCapabilities), as of moby b985e231 (2026-08).
func DockerDefaultCaps() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
	}
}

// PodmanDefaultCaps returns the capabilities Podman gives a container by
// default (containers/common pkg/config/default.go): Docker's without
// MKNOD, NET_RAW and AUDIT_WRITE.
func PodmanDefaultCaps() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
		"CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
		"CAP_SETUID", "CAP_SYS_CHROOT",
	}
}

// allCaps are the capabilities of include/uapi/linux/capability.h, in
// number order (CAP_CHOWN = 0 ... CAP_CHECKPOINT_RESTORE = 40).
var allCaps = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

// AllCaps returns every Linux capability name, as Options.Caps for a
// privileged container.
func AllCaps() []string { return slices.Clone(allCaps) }

// normCap spells a capability as the kernel headers do: "sys_admin" and
// "CAP_SYS_ADMIN" are both "CAP_SYS_ADMIN".
func normCap(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if !strings.HasPrefix(s, "CAP_") {
		s = "CAP_" + s
	}
	return s
}

func knownCap(c string) bool { return slices.Contains(allCaps, c) }

// capSet is the bounding set Policy checks includes/excludes.caps against.
type capSet map[string]bool

// newCapSet normalizes caps; nil means Docker's default set and "ALL"
// means every capability.
func newCapSet(caps []string) (capSet, []string) {
	if caps == nil {
		caps = DockerDefaultCaps()
	}
	s := capSet{}
	var unknown []string
	for _, c := range caps {
		if strings.EqualFold(strings.TrimSpace(c), "ALL") {
			for _, a := range allCaps {
				s[a] = true
			}
			continue
		}
		n := normCap(c)
		if !knownCap(n) {
			unknown = append(unknown, c)
		}
		s[n] = true
	}
	return s, unknown
}

// has checks a capability named in a profile. Docker compares the strings
// as they are, and its profiles spell them "CAP_X"; a profile that writes
// "sys_admin" would never match in Docker, so it does not match here either.
func (s capSet) has(c string) bool { return s[c] }
