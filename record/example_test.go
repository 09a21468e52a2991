package record_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/seccompile/seccompile/record"
)

// Record a command and print its profile. The eBPF backend needs root; the
// notify backend works for any user.
func ExampleRun() {
	r, err := record.Run(context.Background(), []string{"sh", "-c", "ls / | wc -l"}, record.Options{
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	})
	if err != nil {
		log.Fatal(err)
	}
	p, err := r.Profile(record.ProfileOptions{})
	if err != nil {
		log.Fatal(err)
	}
	js, _ := json.MarshalIndent(p, "", "  ")
	fmt.Printf("%s\n", js)
}

// A recording of a program that read, wrote, exited and made one ioctl
// becomes a profile that allows exactly that.
func ExampleRecording_Profile() {
	r := &record.Recording{
		Counts: map[record.Key]uint64{
			{Arch: "x86_64", Nr: 0, Name: "read"}:         3,
			{Arch: "x86_64", Nr: 1, Name: "write"}:        1,
			{Arch: "x86_64", Nr: 231, Name: "exit_group"}: 1,
			{Arch: "x86_64", Nr: 16, Name: "ioctl"}:       1,
		},
		ArgValues: map[record.ArgKey]map[uint64]uint64{
			{Key: record.Key{Arch: "x86_64", Nr: 16, Name: "ioctl"}, Arg: 1}: {0x5401: 1}, // TCGETS
		},
	}
	p, err := r.Profile(record.ProfileOptions{})
	if err != nil {
		log.Fatal(err)
	}
	js, err := p.MarshalJSON()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", js)
	// Output:
	// {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["exit_group","read","write"],"action":"SCMP_ACT_ALLOW"},{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":21505,"op":"SCMP_CMP_EQ"}]}]}
}
