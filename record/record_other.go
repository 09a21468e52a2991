//go:build !linux

package record

import (
	"context"
	"fmt"
	"runtime"
)

func availableEBPF() error {
	return fmt.Errorf("%w: recording needs Linux, this is %s", ErrUnavailable, runtime.GOOS)
}

func availableNotify() error { return availableEBPF() }

func runEBPF(context.Context, []string, Options, *Recording) error { return availableEBPF() }

func runNotify(context.Context, []string, Options, *Recording) error { return availableEBPF() }
