//go:build !linux

package vm

import "testing"

func cpuPerOp(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}
