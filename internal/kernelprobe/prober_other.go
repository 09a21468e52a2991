//go:build !(linux && amd64)

package kernelprobe

import (
	"fmt"
	"runtime"
)

func supported() error {
	return fmt.Errorf("%w: the prober is written for linux/amd64, not %s/%s", ErrUnsupported, runtime.GOOS, runtime.GOARCH)
}

func siteIP(Entry) uint64 { return 0 }

type server struct{}

func newServer() (*server, error) { return nil, supported() }

func (*server) run([]wireJob) ([]wireResult, error) { return nil, supported() }
