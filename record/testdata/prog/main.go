// Command prog is the program the record package's tests record and then
// run under the recorded profile. It is built with CGO_ENABLED=0.
//
//	prog files FILE     read FILE, write it to stdout
//	prog socket FILE [inet|unix]
//	                    the same, then socket(family, SOCK_DGRAM): exit 3 if denied
//	prog threads FILE   4 locked threads read FILE, then fork+exec /bin/true
//	prog x32            getpid through the x32 syscall number (ENOSYS here)
//	prog loop N         N getppid calls
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: prog files|socket|threads|x32|loop ...")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "files":
		copyFile(os.Args[2])
	case "socket":
		copyFile(os.Args[2])
		family := syscall.AF_INET
		if len(os.Args) > 3 && os.Args[3] == "unix" {
			family = syscall.AF_UNIX
		}
		fd, err := syscall.Socket(family, syscall.SOCK_DGRAM, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, "socket:", err)
			os.Exit(3)
		}
		syscall.Close(fd)
	case "threads":
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				if _, err := os.ReadFile(os.Args[2]); err != nil {
					fail(err)
				}
			}()
		}
		wg.Wait()
		if err := exec.Command("/bin/true").Run(); err != nil {
			fail(err)
		}
		fmt.Println("threads ok")
	case "x32":
		_, _, e := syscall.RawSyscall(0x40000000|syscall.SYS_GETPID, 0, 0, 0)
		fmt.Println("x32 getpid:", e)
	case "loop":
		n, _ := strconv.Atoi(os.Args[2])
		for range n {
			syscall.RawSyscall(syscall.SYS_GETPPID, 0, 0, 0)
		}
	default:
		fail(fmt.Errorf("unknown mode %q", os.Args[1]))
	}
}

func copyFile(name string) {
	b, err := os.ReadFile(name)
	if err != nil {
		fail(err)
	}
	if _, err := os.Stdout.Write(b); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
