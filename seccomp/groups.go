package seccomp

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/seccompile/seccompile/arch"
)

// SyscallGroup is a named set of syscalls, in the manner of systemd's
// SystemCallFilter= groups (src/shared/seccomp-util.c): "@basic-io",
// "@file-system", "@system-service"... A group may include other groups
// ("@system-service" includes "@basic-io" and more).
//
// Members are kernel syscall names across every ABI; a name absent on an
// ABI (mmap2 on x86_64, epoll_wait on aarch64) is skipped there when the
// group is resolved for that ABI.
type SyscallGroup struct {
	Name    string   // "@basic-io"
	Help    string   // one line
	Members []string // syscall names and "@group" names, as declared
}

// groups are the facts of systemd's table (v255-era), extended where noted;
// "@go-runtime" and "@known" are ours.
var groups = []SyscallGroup{
	{"@default", "calls every process makes and that no sandbox should deny", []string{
		"arch_prctl", "brk", "cacheflush", "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
		"clock_nanosleep", "clock_nanosleep_time64", "execve", "exit", "exit_group", "futex", "futex_time64",
		"futex_waitv", "get_robust_list", "get_thread_area", "getegid", "getegid32", "geteuid", "geteuid32", "getgid",
		"getgid32", "getgroups", "getgroups32", "getpgid", "getpgrp", "getpid", "getppid", "getrandom", "getresgid",
		"getresgid32", "getresuid", "getresuid32", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid", "getuid32",
		"membarrier", "mmap", "mmap2", "mprotect", "munmap", "nanosleep", "pause", "prlimit64", "restart_syscall",
		"riscv_flush_icache", "riscv_hwprobe", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield",
		"set_robust_list", "set_thread_area", "set_tid_address", "set_tls", "sigreturn", "time", "ugetrlimit",
	}},
	{"@aio", "asynchronous I/O, io_uring included", []string{
		"io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup", "io_submit",
		"io_uring_enter", "io_uring_register", "io_uring_setup",
	}},
	{"@basic-io", "read, write and close file descriptors one already has", []string{
		"_llseek", "close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2", "pwrite64",
		"pwritev", "pwritev2", "read", "readv", "write", "writev",
	}},
	{"@chown", "change file ownership", []string{
		"chown", "chown32", "fchown", "fchown32", "fchownat", "lchown", "lchown32",
	}},
	{"@clock", "set the system time", []string{
		"adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday",
	}},
	{"@cpu-emulation", "CPU emulation (vm86, LDT, endianness switches)", []string{
		"modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old",
	}},
	{"@debug", "debugging, tracing and performance monitoring", []string{
		"lookup_dcookie", "perf_event_open", "pidfd_getfd", "ptrace", "rtas", "s390_runtime_instr", "sys_debug_setcontext",
	}},
	{"@file-system", "file system operations: open, stat, create, rename, remove, watch", []string{
		"access", "chdir", "chmod", "close", "creat", "faccessat", "faccessat2", "fallocate", "fchdir", "fchmod",
		"fchmodat", "fchmodat2", "fcntl", "fcntl64", "fgetxattr", "flistxattr", "fremovexattr", "fsetxattr", "fstat",
		"fstat64", "fstatat64", "fstatfs", "fstatfs64", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents",
		"getdents64", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch", "lgetxattr",
		"link", "linkat", "listxattr", "llistxattr", "lremovexattr", "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat",
		"mknod", "mknodat", "newfstatat", "oldfstat", "oldlstat", "oldstat", "open", "openat", "openat2", "readlink",
		"readlinkat", "removexattr", "rename", "renameat", "renameat2", "rmdir", "setxattr", "stat", "stat64", "statfs",
		"statfs64", "statx", "symlink", "symlinkat", "truncate", "truncate64", "unlink", "unlinkat", "utime",
		"utimensat", "utimensat_time64", "utimes",
	}},
	{"@io-event", "event loops: epoll, poll, select, eventfd", []string{
		"_newselect", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2",
		"epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "poll", "ppoll", "ppoll_time64", "pselect6",
		"pselect6_time64", "select",
	}},
	{"@ipc", "SysV IPC, POSIX message queues, pipes and cross-process memory", []string{
		"ipc", "memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64",
		"mq_timedsend", "mq_timedsend_time64", "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2",
		"process_madvise", "process_vm_readv", "process_vm_writev", "semctl", "semget", "semop", "semtimedop",
		"semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget",
	}},
	{"@keyring", "the kernel keyring", []string{"add_key", "keyctl", "request_key"}},
	{"@memlock", "lock memory into RAM", []string{"mlock", "mlock2", "mlockall", "munlock", "munlockall"}},
	{"@module", "load and unload kernel modules", []string{"delete_module", "finit_module", "init_module"}},
	{"@mount", "mount and unmount file systems, change the root", []string{
		"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree",
		"pivot_root", "umount", "umount2",
	}},
	{"@network-io", "sockets: network and unix", []string{
		"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen", "recv",
		"recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send", "sendmmsg", "sendmsg", "sendto", "setsockopt",
		"shutdown", "socket", "socketcall", "socketpair",
	}},
	{"@obsolete", "unusual, obsolete or unimplemented calls", []string{
		"_sysctl", "afs_syscall", "bdflush", "break", "create_module", "ftime", "get_kernel_syms", "getpmsg", "gtty",
		"idle", "lock", "mpx", "prof", "profil", "putpmsg", "query_module", "security", "sgetmask", "ssetmask", "stime",
		"stty", "sysfs", "tuxcall", "ulimit", "uselib", "ustat", "vserver",
	}},
	{"@pkey", "memory protection keys", []string{"pkey_alloc", "pkey_free", "pkey_mprotect"}},
	{"@privileged", "calls that need super-user capabilities", []string{
		"@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "_sysctl", "acct", "bpf", "capset", "chroot",
		"fanotify_init", "fanotify_mark", "nfsservctl", "open_by_handle_at", "pivot_root", "quotactl", "setdomainname",
		"setfsuid", "setfsuid32", "setgroups", "setgroups32", "sethostname", "setresuid", "setresuid32", "setreuid",
		"setreuid32", "setuid", "setuid32", "vhangup",
	}},
	{"@process", "process control: create, exec, signal, wait, namespaces", []string{
		"capget", "clone", "clone3", "execveat", "fork", "getrusage", "kill", "pidfd_open", "pidfd_send_signal", "prctl",
		"rt_sigqueueinfo", "rt_tgsigqueueinfo", "setns", "swapcontext", "tgkill", "times", "tkill", "unshare", "vfork",
		"wait4", "waitid", "waitpid",
	}},
	{"@raw-io", "raw I/O ports and PCI configuration", []string{
		"ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "s390_pci_mmio_read",
		"s390_pci_mmio_write",
	}},
	{"@reboot", "reboot and kexec", []string{"kexec_file_load", "kexec_load", "reboot"}},
	{"@resources", "change resource limits, priorities and memory policy", []string{
		"ioprio_set", "mbind", "migrate_pages", "move_pages", "nice", "sched_setaffinity", "sched_setattr",
		"sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node", "setpriority", "setrlimit",
	}},
	{"@sandbox", "set up sandboxes: seccomp and Landlock", []string{
		"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp",
	}},
	{"@setuid", "change user and group credentials", []string{
		"setgid", "setgid32", "setgroups", "setgroups32", "setregid", "setregid32", "setresgid", "setresgid32",
		"setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
	}},
	{"@signal", "signal handling", []string{
		"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
		"sigaction", "sigaltstack", "signal", "signalfd", "signalfd4", "sigpending", "sigprocmask", "sigsuspend",
	}},
	{"@swap", "enable and disable swap", []string{"swapoff", "swapon"}},
	{"@sync", "flush files and memory to storage", []string{
		"fdatasync", "fsync", "msync", "sync", "sync_file_range", "sync_file_range2", "syncfs",
	}},
	{"@system-service", "what a typical system service needs", []string{
		"@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc", "@keyring", "@memlock",
		"@network-io", "@process", "@resources", "@setuid", "@signal", "@sync", "@timer", "arm_fadvise64_64",
		"capget", "capset", "copy_file_range", "fadvise64", "fadvise64_64", "flock", "get_mempolicy", "getcpu",
		"getpriority", "ioctl", "ioprio_get", "kcmp", "madvise", "mremap", "name_to_handle_at", "oldolduname", "olduname",
		"personality", "readahead", "readdir", "remap_file_pages", "sched_get_priority_max", "sched_get_priority_min",
		"sched_getattr", "sched_getparam", "sched_getscheduler", "sched_rr_get_interval",
		"sched_rr_get_interval_time64", "sched_yield", "sendfile", "sendfile64", "setfsgid", "setfsgid32", "setfsuid",
		"setfsuid32", "setpgid", "setsid", "splice", "sysinfo", "tee", "umask", "uname", "userfaultfd", "vmsplice",
	}},
	{"@timer", "timers and alarms", []string{
		"alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun", "timer_gettime",
		"timer_gettime64", "timer_settime", "timer_settime64", "timerfd_create", "timerfd_gettime",
		"timerfd_gettime64", "timerfd_settime", "timerfd_settime64", "times",
	}},
	{"@go-runtime", "what the Go runtime itself calls after start-up (see RuntimeRules)", goRuntimeCalls},
	{"@known", "every syscall in the ABI's table", nil},
}

// goRuntimeCalls are the syscalls a running Go program's runtime makes,
// from runtime/sys_linux_*.s and internal/runtime/syscall, checked live on
// linux/amd64 with a KILL_PROCESS allowlist under GC, timers and
// preemption. The 32-bit and cgo spellings ride along; each ABI keeps the
// names it has.
var goRuntimeCalls = []string{
	// scheduler, locks, sleeping; restart_syscall resumes a nanosleep or
	// futex wait interrupted by the preemption signal.
	"futex", "futex_time64", "nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "sched_yield", "restart_syscall",
	// heap and stacks
	"mmap", "mmap2", "munmap", "madvise", "mprotect", "brk", "mincore",
	// signals: handlers, masks, alternate stacks, preemption (getpid+tgkill)
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sigreturn", "sigaltstack", "getpid", "gettid", "tgkill",
	// threads: Go creates them with clone, cgo builds with glibc's clone3
	"clone", "clone3", "set_robust_list", "rseq", "exit", "exit_group",
	// the network poller and timers
	"epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "eventfd2", "read", "write", "close",
	// cgroup-aware GOMAXPROCS, re-read by sysmon (Go 1.25)
	"pread64", "sched_getaffinity",
	// clocks without a vDSO, randomness without vgetrandom, CPU profiling
	"clock_gettime", "clock_gettime64", "gettimeofday", "getrandom",
	"timer_create", "timer_settime", "timer_settime64", "timer_delete", "setitimer",
}

// Groups returns every group, sorted by name.
func Groups() []SyscallGroup {
	out := slices.Clone(groups)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Group returns the group of that name ("@basic-io"; the '@' may be
// omitted). The error for an unknown name lists the known ones.
func Group(name string) (SyscallGroup, error) {
	if !strings.HasPrefix(name, "@") {
		name = "@" + name
	}
	for _, g := range groups {
		if g.Name == name {
			return g, nil
		}
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	sort.Strings(names)
	return SyscallGroup{}, fmt.Errorf("seccomp: unknown syscall group %q (known: %s)", name, strings.Join(names, " "))
}

// Syscalls returns the group's syscalls, nested groups flattened, that
// exist on ABI a, sorted and without duplicates. "@known" is a's whole
// table.
func (g SyscallGroup) Syscalls(a *arch.Arch) []string {
	set := map[string]bool{}
	g.flatten(map[string]bool{}, func(name string) {
		if _, ok := a.Syscall(name); ok {
			set[name] = true
		}
	}, a)
	return sortedSet(set)
}

// All returns the group's syscall names, nested groups flattened, over
// every ABI, sorted and without duplicates ("@known": every table).
func (g SyscallGroup) All() []string {
	set := map[string]bool{}
	g.flatten(map[string]bool{}, func(name string) { set[name] = true }, nil)
	return sortedSet(set)
}

// flatten calls f for every syscall name of g. For "@known" it walks the
// table of a, or of every ABI when a is nil.
func (g SyscallGroup) flatten(seen map[string]bool, f func(string), a *arch.Arch) {
	if seen[g.Name] {
		return
	}
	seen[g.Name] = true
	if g.Name == "@known" {
		abis := arch.All()
		if a != nil {
			abis = []*arch.Arch{a}
		}
		for _, abi := range abis {
			for _, s := range abi.Syscalls() {
				f(s.Name)
			}
		}
		return
	}
	for _, m := range g.Members {
		if strings.HasPrefix(m, "@") {
			sub, err := Group(m)
			if err != nil {
				panic("seccomp: group table: " + err.Error()) // a table bug; TestGroupsResolve guards it
			}
			sub.flatten(seen, f, a)
			continue
		}
		f(m)
	}
}

func sortedSet(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Expand replaces every "@group" in names with the group's syscalls that
// exist on at least one of the ABIs named (any arch.Lookup spelling; none
// means the native ABI), so the result can go into compiler.Rule.Syscalls
// for a policy on those ABIs without names unknown to all of them. Plain
// names are kept as they are, so the compiler still reports typos. The
// result is sorted and without duplicates.
//
//	seccomp.Expand([]string{"@basic-io", "openat"})
func Expand(names []string, arches ...string) ([]string, error) {
	abis, err := lookupArches(arches)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, n := range names {
		if !strings.HasPrefix(n, "@") {
			set[n] = true
			continue
		}
		g, err := Group(n)
		if err != nil {
			return nil, err
		}
		for _, a := range abis {
			for _, s := range g.Syscalls(a) {
				set[s] = true
			}
		}
	}
	return sortedSet(set), nil
}

func lookupArches(names []string) ([]*arch.Arch, error) {
	if len(names) == 0 {
		n := arch.Native()
		if n == nil {
			return nil, fmt.Errorf("seccomp: no syscall table for this platform's ABI: %w", arch.ErrUnsupportedArch)
		}
		return []*arch.Arch{n}, nil
	}
	var out []*arch.Arch
	for _, name := range names {
		a, err := arch.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("seccomp: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}
