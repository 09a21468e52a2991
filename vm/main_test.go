package vm

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/seccompile/seccompile/internal/kernelprobe"
	"golang.org/x/net/bpf"
)

func TestMain(m *testing.M) {
	kernelprobe.Main() // the prober server, when re-executed by kernelprobe.Start
	code := m.Run()
	if liveProber != nil {
		liveProber.Close()
	}
	os.Exit(code)
}

var (
	liveOnce   sync.Once
	liveProber *kernelprobe.Prober
	liveErr    error
)

// prober returns the shared live-kernel prober, or skips the test when the
// platform cannot host one (not linux/amd64, no seccomp). Any other failure
// to start it fails the test.
func prober(t testing.TB) *kernelprobe.Prober {
	t.Helper()
	liveOnce.Do(func() { liveProber, liveErr = kernelprobe.Start() })
	if errors.Is(liveErr, kernelprobe.ErrUnsupported) {
		t.Skipf("no live kernel to compare with: %v", liveErr)
	}
	if liveErr != nil {
		t.Fatalf("starting the kernel prober: %v", liveErr)
	}
	return liveProber
}

// I builds one instruction.
func I(op uint16, jt, jf uint8, k uint32) bpf.RawInstruction {
	return bpf.RawInstruction{Op: op, Jt: jt, Jf: jf, K: k}
}

// Instruction shorthands in bpf_asm spelling.
func ld(k uint32) bpf.RawInstruction   { return I(opLdAbsW, 0, 0, k) }
func ldi(k uint32) bpf.RawInstruction  { return I(opLdImm, 0, 0, k) }
func ldxi(k uint32) bpf.RawInstruction { return I(opLdxImm, 0, 0, k) }
func ldm(k uint32) bpf.RawInstruction  { return I(opLdMem, 0, 0, k) }
func ldxm(k uint32) bpf.RawInstruction { return I(opLdxMem, 0, 0, k) }
func st(k uint32) bpf.RawInstruction   { return I(opSt, 0, 0, k) }
func stx(k uint32) bpf.RawInstruction  { return I(opStx, 0, 0, k) }
func ret(k uint32) bpf.RawInstruction  { return I(opRetK, 0, 0, k) }
func reta() bpf.RawInstruction         { return I(opRetA, 0, 0, 0) }
func ja(k uint32) bpf.RawInstruction   { return I(opJa, 0, 0, k) }
func aluk(o uint16, k uint32) bpf.RawInstruction {
	return I(clsALU|o|srcK, 0, 0, k)
}
func alux(o uint16) bpf.RawInstruction { return I(clsALU|o|srcX, 0, 0, 0) }
func jk(o uint16, k uint32, jt, jf uint8) bpf.RawInstruction {
	return I(clsJMP|o|srcK, jt, jf, k)
}
func jx(o uint16, jt, jf uint8) bpf.RawInstruction { return I(clsJMP|o|srcX, jt, jf, 0) }

func prog(ins ...bpf.RawInstruction) []bpf.RawInstruction { return ins }

// listing formats a raw program for failure messages.
func listing(p []bpf.RawInstruction) string {
	var b strings.Builder
	for i, ins := range p {
		fmt.Fprintf(&b, "\t%d: %s\n", i, insnString(ins))
	}
	return b.String()
}

const (
	archX86_64 = 0xc000003e
	archI386   = 0x40000003
	archS390X  = 0x80000016 // big-endian
	archPPC64  = 0x80000015 // big-endian
	archARM64  = 0xc00000b7
)
