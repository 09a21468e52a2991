//go:build linux && amd64

package kernelprobe

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestLayout checks that the offsets the assembly uses (its #defines) agree
// with the Go structs.
func TestLayout(t *testing.T) {
	f, err := os.Open("prober_linux_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defs := map[string]uintptr{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 3 && fields[0] == "#define" {
			if v, err := strconv.ParseUint(fields[2], 0, 64); err == nil {
				defs[fields[1]] = uintptr(v)
			}
		}
	}
	var c ctlBlock
	var j jobBlock
	var p probeBlock
	var r resultBlock
	want := map[string]uintptr{
		"CTL_NJOBS": unsafe.Offsetof(c.NJobs), "CTL_JOBS": unsafe.Offsetof(c.Jobs), "CTL_JOB": unsafe.Offsetof(c.Job),
		"CTL_PHASE": unsafe.Offsetof(c.Phase), "CTL_TID": unsafe.Offsetof(c.TidWord), "CTL_TSTACK": unsafe.Offsetof(c.TStack),
		"CTL_TSP": unsafe.Offsetof(c.ThreadSP), "CTL_SIGACT": unsafe.Offsetof(c.SigHandler), "CTL_SIGMASK": unsafe.Offsetof(c.SigMask),
		"CTL_LEADERERR": unsafe.Offsetof(c.LeaderErr),
		"JOB_NFILTERS":  unsafe.Offsetof(j.NFilters), "JOB_FPROGS": unsafe.Offsetof(j.Fprogs), "JOB_INSTALL": unsafe.Offsetof(j.InstallRet),
		"JOB_NPROBES": unsafe.Offsetof(j.NProbes), "JOB_PROBES": unsafe.Offsetof(j.Probes), "JOB_RESULTS": unsafe.Offsetof(j.Results),
		"JOB_NEXT": unsafe.Offsetof(j.Next), "JOB_DONE": unsafe.Offsetof(j.Done),
		"PROBE_ENTRY": unsafe.Offsetof(p.Entry), "PROBE_NR": unsafe.Offsetof(p.Nr), "PROBE_ARG0": unsafe.Offsetof(p.Args),
		"PROBE_ARG5": unsafe.Offsetof(p.Args) + 40,
		"RES_STATUS": unsafe.Offsetof(r.Status), "RES_RET": unsafe.Offsetof(r.Ret), "RES_SIGNO": unsafe.Offsetof(r.Signo),
		"RES_ERRNO": unsafe.Offsetof(r.Errno), "RES_CODE": unsafe.Offsetof(r.Code), "RES_SYSCALL": unsafe.Offsetof(r.Syscall),
		"RES_ARCH": unsafe.Offsetof(r.Arch), "RES_CALLADDR": unsafe.Offsetof(r.CallAddr),
		"STATUS_RUNNING": statusRunning, "STATUS_RETURNED": statusReturned, "STATUS_TRAPPED": statusTrapped,
		"STATUS_KILLED_THREAD": statusKilledThread, "ENTRY_INT80": uintptr(EntryInt80), "EXIT_LEADER_FAILED": exitLeaderFailed,
	}
	for name, off := range want {
		got, ok := defs[name]
		if !ok {
			t.Errorf("%s is not defined in the assembly", name)
		} else if got != off {
			t.Errorf("%s = %d in the assembly, %d in Go", name, got, off)
		}
	}
	for name, size := range map[string]uintptr{
		"jobBlock": unsafe.Sizeof(j), "probeBlock": unsafe.Sizeof(p), "resultBlock": unsafe.Sizeof(r),
	} {
		if size != 64 {
			t.Errorf("sizeof(%s) = %d, the assembly assumes 64", name, size)
		}
	}
	if unsafe.Sizeof(sockFprog{}) != 16 || unsafe.Sizeof(cloneArgs{}) != 64 {
		t.Errorf("sock_fprog is %d bytes, clone_args %d; want 16 and 64", unsafe.Sizeof(sockFprog{}), unsafe.Sizeof(cloneArgs{}))
	}
}
