package profile

import (
	"fmt"
	"syscall"
)

// runningKernel reads the running kernel's version from uname(2), as
// moby/profiles does (kernel_linux.go: "%d.%d" of the release).
func runningKernel() (KernelVersion, error) {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return KernelVersion{}, fmt.Errorf("uname: %w", err)
	}
	var rel []byte
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		rel = append(rel, byte(c))
	}
	return ParseKernelVersion(string(rel))
}
