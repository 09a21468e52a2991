package listenerfd

import (
	"errors"
	"os"
	"strconv"
	"time"
)

// linkName is what /proc/self/fd/N links to for a listener: the kernel
// makes it with anon_inode_getfile("seccomp notify", ...).
const linkName = "anon_inode:seccomp notify"

// ErrTimeout is returned by Wait when no listener appeared in time.
var ErrTimeout = errors.New("no seccomp listener appeared")

// Find returns the lowest fd of this process that is a seccomp listener,
// or -1.
func Find() (int, error) {
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return -1, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return -1, err
	}
	found := -1
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || (found >= 0 && fd > found) {
			continue
		}
		if l, err := os.Readlink("/proc/self/fd/" + name); err == nil && l == linkName {
			found = fd
		}
	}
	return found, nil
}

// Wait polls Find until a listener appears or timeout passes.
func Wait(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	pause := 20 * time.Microsecond
	for {
		fd, err := Find()
		if err != nil || fd >= 0 {
			return fd, err
		}
		if time.Now().After(deadline) {
			return -1, ErrTimeout
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Millisecond)
	}
}
