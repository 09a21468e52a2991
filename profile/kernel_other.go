//go:build !linux

package profile

import "fmt"

// runningKernel has no Linux kernel to ask on other systems.
func runningKernel() (KernelVersion, error) {
	return KernelVersion{}, fmt.Errorf("%w: not running on Linux; set Options.Kernel", ErrKernelVersion)
}
