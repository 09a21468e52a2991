//go:build linux

package notify_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/seccomp"
	"github.com/seccompile/seccompile/seccomp/notify"
)

// The children's bodies. Each prints its observations, one per line, for
// the parent to compare; the parent does the asserting.
func init() {
	children["calls"] = childCalls
	children["idle"] = childIdle
	children["getppid"] = childGetppid
	children["addfd"] = childAddFD
	children["memory"] = childMemory
	children["flood"] = childFlood
	children["supervisor"] = childSupervisor
}

// childCalls makes COUNT calls of nrFake with arguments (i, 2, 3, 4, 5, 6)
// and prints what each returned.
func childCalls() int {
	if err := installAndSend(notifyPolicy(), seccomp.Flag(envInt("FLAGS", 0))); err != nil {
		return childFatal(err)
	}
	for i := range envInt("COUNT", 1) {
		r, e := call(nrFake, uintptr(i), 2, 3, 4, 5, 6)
		fmt.Printf("r=%d errno=%d\n", r, e)
	}
	return 0
}

// childIdle keeps its filter alive until its stdin is closed.
func childIdle() int {
	if err := installAndSend(notifyPolicy(), 0); err != nil {
		return childFatal(err)
	}
	io.Copy(io.Discard, os.Stdin)
	return 0
}

func childGetppid() int {
	if err := installAndSend(notifyPolicy("getppid"), 0); err != nil {
		return childFatal(err)
	}
	r, e := call(unix.SYS_GETPPID)
	fmt.Printf("r=%d errno=%d\n", r, e)
	return 0
}

// childAddFD writes through the fds the supervisor injects: the first is
// the return value of a call answered with AddFD+Send, the second is fd 100
// installed with SetFD before an ordinary answer.
func childAddFD() int {
	if err := installAndSend(notifyPolicy(), 0); err != nil {
		return childFatal(err)
	}
	for i, msg := range []string{"via send", "via setfd"} {
		r, e := call(nrFake, uintptr(i))
		if e != 0 {
			fmt.Printf("r=%d errno=%d\n", r, e)
			continue
		}
		flags, err := unix.FcntlInt(uintptr(r), unix.F_GETFD, 0)
		_, werr := unix.Write(int(r), []byte(msg))
		unix.Close(int(r))
		fmt.Printf("fd=%d cloexec=%v getfd=%v write=%v\n", r, flags&unix.FD_CLOEXEC != 0, err, werr)
	}
	return 0
}

// childMemory passes pointers the supervisor reads: a0 a string at the
// start of a page, a1 a string that ends just before an unreadable page, a2
// bytes without a NUL up to an unreadable page, a3 an unreadable address.
func childMemory() int {
	if err := installAndSend(notifyPolicy(), 0); err != nil {
		return childFatal(err)
	}
	page := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 4*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return childFatal(err)
	}
	for _, p := range []int{1, 3} {
		if err := unix.Mprotect(mem[p*page:(p+1)*page], unix.PROT_NONE); err != nil {
			return childFatal(err)
		}
	}
	copy(mem, "hello, supervisor\x00")
	copy(mem[page-len("edge\x00"):], "edge\x00")
	copy(mem[3*page-4:], "abcd")
	base := uintptr(unsafe.Pointer(&mem[0]))
	r, e := call(nrFake, base, base+uintptr(page-5), base+uintptr(3*page-4), base+uintptr(3*page))
	fmt.Printf("r=%d errno=%d\n", r, e)
	runtime.KeepAlive(mem)
	return 0
}

// childFlood makes FLOOD_N calls from THREADS threads (8 by default), each call (thread, i)
// expecting thread*1e6 + i + 1, and prints how many came back wrong.
func childFlood() int {
	if err := installAndSend(notifyPolicy(), seccomp.Flag(envInt("FLAGS", 0))); err != nil {
		return childFatal(err)
	}
	threads := envInt("THREADS", 8)
	total := envInt("FLOOD_N", 10000)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		bad  int
		tids = map[int]bool{}
	)
	for th := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			mu.Lock()
			tids[unix.Gettid()] = true
			mu.Unlock()
			n := total / threads
			if th < total%threads {
				n++
			}
			wrong := 0
			for i := range n {
				r, e := call(nrFake, uintptr(th), uintptr(i))
				if e != 0 || r != int64(th)*1_000_000+int64(i)+1 {
					wrong++
				}
			}
			mu.Lock()
			bad += wrong
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("calls=%d bad=%d threads=%d\n", total, bad, len(tids))
	return 0
}

// childSupervisor receives one notification on the listener at fd 3 and
// exits without answering it.
func childSupervisor() int {
	l, err := notify.NewListener(3)
	if err != nil {
		return childFatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := l.Receive(ctx)
	if err != nil {
		return childFatal(err)
	}
	fmt.Printf("received nr=%d\n", n.Data.Nr)
	return 0
}
