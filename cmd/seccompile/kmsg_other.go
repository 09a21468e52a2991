//go:build !linux

package main

import "time"

// kernelLog is Linux's /dev/kmsg; elsewhere there is nothing to read.
type kernelLog struct{}

func openKernelLog() *kernelLog { return nil }

func (k *kernelLog) Close() {}

func (k *kernelLog) seccompKill(pid int, wait time.Duration) (auditArch, nr uint32, ok bool) {
	return 0, 0, false
}
