package main

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// kernelLog reads the kernel's audit records of seccomp actions
// (type=1326, AUDIT_SECCOMP) from /dev/kmsg, to name the syscall that got a
// process killed. The kernel logs KILL_PROCESS and KILL_THREAD by default
// (/proc/sys/kernel/seccomp/actions_logged) with "pid=<tgid> ... sig=31
// arch=<AUDIT_ARCH hex> syscall=<nr>". Reading /dev/kmsg needs CAP_SYSLOG
// (or kernel.dmesg_restrict=0), and the records pass printk's rate limit
// when no audit daemon takes them, so this is best effort: nil when the
// log cannot be read.
type kernelLog struct {
	fd int
}

// openKernelLog opens /dev/kmsg positioned at its end, so that only records
// written after this call are read.
func openKernelLog() *kernelLog {
	fd, err := unix.Open("/dev/kmsg", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	if _, err := unix.Seek(fd, 0, unix.SEEK_END); err != nil {
		unix.Close(fd)
		return nil
	}
	return &kernelLog{fd: fd}
}

func (k *kernelLog) Close() {
	if k != nil {
		unix.Close(k.fd)
	}
}

// seccompKill waits up to wait for the record of a seccomp kill (sig=31) of
// process pid and returns its AUDIT_ARCH and syscall number. kauditd
// prints the record from its own thread, so it may arrive a little after
// the process is reaped.
func (k *kernelLog) seccompKill(pid int, wait time.Duration) (auditArch, nr uint32, ok bool) {
	if k == nil {
		return 0, 0, false
	}
	deadline := time.Now().Add(wait)
	buf := make([]byte, 8192)
	want := "pid=" + strconv.Itoa(pid) + " "
	for {
		n, err := unix.Read(k.fd, buf)
		switch {
		case err == unix.EPIPE:
			// Records were overwritten before we read them; go on with
			// the next one.
			continue
		case err == unix.EAGAIN:
			if time.Now().After(deadline) {
				return 0, 0, false
			}
			time.Sleep(10 * time.Millisecond)
			continue
		case err != nil || n <= 0:
			return 0, 0, false
		}
		rec := string(buf[:n])
		if !strings.Contains(rec, "type=1326") || !strings.Contains(rec, want) || !strings.Contains(rec, " sig=31 ") {
			continue
		}
		a, ok1 := auditField(rec, "arch", 16)
		s, ok2 := auditField(rec, "syscall", 10)
		if ok1 && ok2 {
			return uint32(a), uint32(s), true
		}
	}
}

// auditField reads " key=value" from an audit record.
func auditField(rec, key string, base int) (uint64, bool) {
	i := strings.Index(rec, " "+key+"=")
	if i < 0 {
		return 0, false
	}
	v := rec[i+len(key)+2:]
	if j := strings.IndexAny(v, " \n"); j >= 0 {
		v = v[:j]
	}
	n, err := strconv.ParseUint(strings.TrimSpace(v), base, 64)
	return n, err == nil
}
