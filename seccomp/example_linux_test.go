package seccomp_test

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/seccomp"
)

// A server restricts itself before it starts serving: what Go and a
// network server need is allowed, everything else fails with EPERM. (Not
// run as a test: it would sandbox the test binary.)
func Example() {
	rules := append(seccomp.RuntimeRules(), seccomp.Rule{Action: seccomp.Allow,
		Syscalls: must(seccomp.Expand([]string{"@basic-io", "@network-io", "@io-event", "@signal", "fstat", "newfstatat"}))})
	if _, err := seccomp.Install(&seccomp.Policy{Default: seccomp.Errno(uint16(unix.EPERM)), Rules: rules}); err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe("localhost:8080", http.FileServer(http.Dir("/srv"))))
}

func must(names []string, err error) []string {
	if err != nil {
		log.Fatal(err)
	}
	return names
}

// Deny a few dangerous calls and let everything else through, killing the
// process on any of them.
func ExampleInstall() {
	inst, err := seccomp.Install(&seccomp.Policy{
		Default: seccomp.Allow,
		Rules: []seccomp.Rule{
			{Syscalls: []string{"ptrace", "process_vm_readv", "process_vm_writev"}, Action: seccomp.KillProcess},
			{Syscalls: must(seccomp.Expand([]string{"@mount", "@module", "@reboot"})), Action: seccomp.Errno(uint16(unix.EPERM))},
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(inst.Program.Insns) > 0, inst.Report.Exhaustive)
}

// Run another program under a policy; the filter is in place from its
// first instruction.
func ExampleCommand() {
	cmd, err := seccomp.Command(&seccomp.Policy{
		Default: seccomp.Allow,
		Rules:   []seccomp.Rule{{Syscalls: []string{"mkdir", "mkdirat"}, Action: seccomp.Errno(uint16(unix.EACCES))}},
	}, "mkdir", "/tmp/not-allowed")
	if err != nil {
		log.Fatal(err)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C") // mkdir's quotes
	cmd.Stderr = os.Stdout
	err = cmd.Run()
	fmt.Println(err)
	// Output:
	// mkdir: cannot create directory '/tmp/not-allowed': Permission denied
	// exit status 1
}

// The groups resolve per ABI: _llseek is i386's, not x86_64's.
func ExampleExpand() {
	amd64, _ := seccomp.Expand([]string{"@basic-io"}, "amd64")
	i386, _ := seccomp.Expand([]string{"@basic-io"}, "386")
	fmt.Println(amd64)
	fmt.Println(len(i386) - len(amd64))
	// Output:
	// [close close_range dup dup2 dup3 lseek pread64 preadv preadv2 pwrite64 pwritev pwritev2 read readv write writev]
	// 1
}

// Check the kernel's flag rules before asking it.
func ExampleCheckFlags() {
	fmt.Println(seccomp.CheckFlags(seccomp.TSync | seccomp.NewListener))
	fmt.Println(seccomp.CheckFlags(seccomp.TSync | seccomp.NewListener | seccomp.TSyncESRCH))
	// Output:
	// seccomp: flag TSYNC|NEW_LISTENER: invalid flag combination: TSYNC with NEW_LISTENER requires TSYNC_ESRCH (a listener fd and a failing TID would both be positive)
	// <nil>
}

// What does the kernel offer?
func ExampleActionAvailable() {
	ok, err := seccomp.ActionAvailable(seccomp.KillProcess)
	fmt.Println(ok, err)
	sizes, err := seccomp.NotifSizes()
	fmt.Printf("%+v %v\n", sizes, err)
	// Output:
	// true <nil>
	// {Notif:80 Resp:24 Data:64} <nil>
}
