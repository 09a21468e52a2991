package record

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/seccompile/seccompile/arch"
)

// The backends Options.Backend names.
const (
	BackendEBPF   = "ebpf"
	BackendNotify = "notify"
)

// Errors Run wraps; compare with errors.Is.
var (
	// ErrNoCommand: argv is empty.
	ErrNoCommand = errors.New("no command to record")
	// ErrUnknownBackend: Options.Backend names no backend.
	ErrUnknownBackend = errors.New("unknown recording backend")
	// ErrUnavailable: the backend cannot work here (no privilege, no
	// cgroup2, an old kernel...); the error says why.
	ErrUnavailable = errors.New("recording backend unavailable")
)

// Options say how to run and record a command.
type Options struct {
	// Backend is "ebpf" (root, or CAP_BPF and CAP_PERFMON, plus a cgroup2
	// hierarchy), "notify" (unprivileged: seccomp user notification) or ""
	// for the first of those that is available.
	Backend string
	// Args records the values of the arguments that say what a call does
	// (socket's family, ioctl's request, clone's flags, prctl's option,
	// fcntl's command, personality), so that Profile can allow only those.
	Args bool
	// Stdin, Stdout and Stderr are the command's; nil means /dev/null, as
	// in os/exec.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Env is the command's environment; nil means the recorder's.
	Env []string
	// Dir is the command's working directory; "" means the recorder's.
	Dir string
}

// Key names a syscall as a seccomp filter sees it: the ABI and the number
// (x32 numbers include arch.X32SyscallBit).
type Key struct {
	// Arch is the ABI's canonical name ("x86_64", "i386", "x32"), or
	// "audit:0x..." for an AUDIT_ARCH this module has no table for.
	Arch string
	// Nr is the syscall number.
	Nr uint32
	// Name is the syscall's name, "" when the ABI's table does not know
	// the number.
	Name string
}

// String renders k as "x86_64:openat" or "x86_64:#999".
func (k Key) String() string {
	if k.Name != "" {
		return k.Arch + ":" + k.Name
	}
	return fmt.Sprintf("%s:#%d", k.Arch, k.Nr)
}

// ArgKey names one argument of one syscall.
type ArgKey struct {
	Key
	Arg int // argument index, 0..5
}

// Recording is what Run saw the command do.
type Recording struct {
	// Command is the argv that was run.
	Command []string
	// Backend is the backend that recorded.
	Backend string
	// ExitCode is the command's exit status, or -1 if a signal ended it.
	ExitCode int
	// Duration is the command's run time.
	Duration time.Duration
	// Counts holds how often each syscall was entered, from the command's
	// execve on, in the command and every process it started.
	Counts map[Key]uint64
	// ArgValues holds, with Options.Args, the values seen for each
	// recorded argument and how often each was seen. Values are the full
	// 64-bit registers the kernel passes to seccomp.
	ArgValues map[ArgKey]map[uint64]uint64
	// Lost counts events the eBPF backend had to drop because its maps
	// were full. A recording with lost events may miss syscalls.
	Lost uint64
}

// Run runs argv to completion and records the syscalls it and its
// descendants make from its execve on. The command's exit status is in the
// Recording; Run fails only when it cannot run or record the command. When
// the command's first process exits, processes it left behind are killed
// (they are in the recording as far as they got). Cancelling ctx kills the
// command.
func Run(ctx context.Context, argv []string, o Options) (*Recording, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, ErrNoCommand
	}
	backend := o.Backend
	if backend == "" {
		avail := Available()
		for _, b := range []string{BackendEBPF, BackendNotify} {
			if avail[b] == nil {
				backend = b
				break
			}
		}
		if backend == "" {
			return nil, fmt.Errorf("record: %w: ebpf: %v; notify: %v", ErrUnavailable, avail[BackendEBPF], avail[BackendNotify])
		}
	}
	r := &Recording{
		Command:   slices.Clone(argv),
		Backend:   backend,
		Counts:    map[Key]uint64{},
		ArgValues: map[ArgKey]map[uint64]uint64{},
	}
	var err error
	switch backend {
	case BackendEBPF:
		err = runEBPF(ctx, argv, o, r)
	case BackendNotify:
		err = runNotify(ctx, argv, o, r)
	default:
		return nil, fmt.Errorf("record: %w %q (want %q or %q)", ErrUnknownBackend, backend, BackendEBPF, BackendNotify)
	}
	if err != nil {
		return nil, fmt.Errorf("record %s (%s): %w", argv[0], backend, err)
	}
	return r, nil
}

// Available reports, for each backend, nil if it can record here or the
// reason it cannot (an error wrapping ErrUnavailable).
func Available() map[string]error {
	return map[string]error{
		BackendEBPF:   availableEBPF(),
		BackendNotify: availableNotify(),
	}
}

// add counts one call.
func (r *Recording) add(k Key, n uint64) { r.Counts[k] += n }

// addArg counts one argument value.
func (r *Recording) addArg(k ArgKey, v, n uint64) {
	m := r.ArgValues[k]
	if m == nil {
		m = map[uint64]uint64{}
		r.ArgValues[k] = m
	}
	m[v] += n
}

// Syscalls returns the recorded syscalls ordered by ABI (in arch.All order)
// then name, unnamed numbers last.
func (r *Recording) Syscalls() []Key {
	keys := make([]Key, 0, len(r.Counts))
	for k := range r.Counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareKeys)
	return keys
}

// Arches returns the ABIs the recording saw calls from, in arch.All order.
// ABIs without a table in this module are left out.
func (r *Recording) Arches() []*arch.Arch {
	seen := map[string]bool{}
	for k := range r.Counts {
		seen[k.Arch] = true
	}
	var out []*arch.Arch
	for _, a := range arch.All() {
		if seen[a.Name] {
			out = append(out, a)
		}
	}
	return out
}

// Names returns the sorted names of the syscalls recorded on ABI abi
// (canonical name), without unnamed numbers.
func (r *Recording) Names(abi string) []string {
	var names []string
	for k := range r.Counts {
		if k.Arch == abi && k.Name != "" {
			names = append(names, k.Name)
		}
	}
	slices.Sort(names)
	return names
}

func archRank(name string) int {
	for i, a := range arch.All() {
		if a.Name == name {
			return i
		}
	}
	return len(arch.All())
}

func compareKeys(a, b Key) int {
	if c := cmp.Compare(archRank(a.Arch), archRank(b.Arch)); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Arch, b.Arch); c != 0 {
		return c
	}
	if (a.Name == "") != (b.Name == "") {
		if a.Name == "" {
			return 1
		}
		return -1
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.Nr, b.Nr)
}
