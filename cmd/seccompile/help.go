package main

// The help texts, in one place so that they read as one manual. Each ends
// with an example; docs/cli.md shows their output.

const profileFlagsHelp = `Profile flags:
  --profile FILE     the JSON profile: OCI, Docker (archMap, includes/excludes) or
                     Podman; "-" reads stdin
  --builtin NAME     a built-in profile instead of a file: docker (Docker's default,
                     github.com/moby/profiles/seccomp)
  --arch LIST        ABIs, comma-separated: Go names (amd64, 386, arm64, ...), OCI
                     names (SCMP_ARCH_X86_64, ...), libseccomp names, or x32.
                     Default: the profile's own architectures for this machine
                     (archMap), else the native ABI
  --caps LIST        capabilities for Docker's includes/excludes, comma-separated
                     (CAP_SYS_ADMIN or SYS_ADMIN); default Docker's default set;
                     --caps '' means none
  --kernel X.Y       kernel version for minKernel; default the running kernel
  --unknown MODE     syscall numbers the ABI's table does not know: enosys answers
                     ERRNO(ENOSYS) so libc falls back (default); default gives them
                     the profile's default action, as runc and libseccomp do
`

const compileHelp = `Compile a seccomp profile into a classic-BPF program. Before anything is
written, the program is checked with the kernel's load-time rules and proved
equal to the profile's rules for every ABI, syscall number and argument range.

` + profileFlagsHelp + `
Output flags:
  --format FORMAT    raw   struct sock_filter array, host byte order, 8 bytes an
                           instruction: what seccomp_export_bpf writes (default)
                     text  annotated listing
                     go    Go source declaring the precompiled program
                     json  the evaluated OCI profile (includes/excludes resolved)
  --package NAME     package clause for --format go (default main)
  --var NAME         variable name for --format go (default filter)
  -o FILE            write to FILE instead of stdout (raw is refused on a terminal)

Examples:
  seccompile compile --builtin docker --arch amd64 -o docker.bpf
  seccompile compile --profile examples/fine-grained.json --format text
`

const disasmHelp = `Print a raw seccomp program (struct sock_filter array, host byte order, as
written by "seccompile compile" or libseccomp's seccomp_export_bpf) as an
annotated listing: line, code, jt, jf, k, the instruction, and syscall and
action names.

Flags:
  --arch NAME        name syscall numbers after this ABI when the program does not
                     say which ABI a path is on (default: follow the program's
                     arch checks)

Example:
  seccompile disasm docker.bpf
`

const verifyHelp = `Check a raw seccomp program with the kernel's load-time rules
(bpf_check_classic and seccomp_check_filter). Exit status 0 and "ok" when the
kernel would accept it; 1 and the instruction and rule broken when not.

Example:
  seccompile verify docker.bpf
`

const evalHelp = `Evaluate one syscall against a profile or a raw program and print the action,
one line: ALLOW, LOG, KILL_PROCESS, KILL_THREAD, TRAP(n), ERRNO(n), TRACE(n) or
USER_NOTIF. A profile is compiled, and the program is run in seccompile's model
of the kernel's BPF interpreter.

Flags:
  --bpf FILE         a raw program instead of a profile
  --arch NAME        the ABI the call is made from (required)
  --syscall S        the syscall: a name, or the number the filter sees (decimal or
                     0x-hex; x32 numbers include 0x40000000)
  --args LIST        up to six arguments, comma-separated, decimal or 0x-hex 64-bit;
                     a negative decimal is its two's complement (-100 = AT_FDCWD)
  --trace            print each instruction executed, before the action line
                     (stdout; the action is always the last line)

` + profileFlagsHelp + `
Example:
  seccompile eval --builtin docker --arch amd64 --syscall socket --args 40,1,0
`

const statsHelp = `Show what a compiled profile costs and where it has holes: program size, the
instructions the kernel executes per syscall (min/mean/max over every syscall
number and argument range), which syscalls the kernel's action cache will
allow without running the filter, conditions per syscall, and warnings
(overlapping rules, names unknown on an ABI, deny-list holes).

Flags:
  -v                 one line per syscall

` + profileFlagsHelp + `
Example:
  seccompile stats --builtin docker --arch amd64,386
`

const diffHelp = `Compare what two profiles do on one ABI: which syscalls, and which argument
ranges, change action. Exit status 0 when they are equal, 1 when they differ
(the differences on stdout, nothing on stderr), 1 with a "seccompile: " line on
stderr for bad input, 2 for a usage error.

Flags:
  --arch NAME        the ABI to compare on (default: the native ABI)
  --caps, --kernel, --unknown   as for compile, applied to both profiles

Example:
  seccompile compile --builtin docker --format json -o docker.json
  seccompile diff docker.json my-profile.json --arch amd64
`

const runHelp = `Run a command under a profile. The filter is installed in the child just
before it executes COMMAND, with no_new_privs, as runc does. The exit status is
the command's (128+signal when a signal killed it); a kill by seccomp is
reported as "killed by seccomp: SIGSYS (syscall NAME)" when the kernel log
names the syscall.

Flags:
  --log              report, when the command exits, every syscall the profile
                     logged, denied or killed, by name and count. The filter's
                     LOG, ERRNO and KILL actions are turned into USER_NOTIF and
                     seccompile, as the supervisor, records each call and then
                     does what the original action would: LOG continues the call,
                     ERRNO(n) fails it with n, KILL kills the process
                     (with SIGKILL; reported as a seccomp kill)

` + profileFlagsHelp + `
Examples:
  seccompile run --profile examples/fine-grained.json -- ./echoserver
  seccompile run --builtin docker --log -- unshare --user true
`

const recordHelp = `Run a command and record the syscalls it makes (the command, every thread and
every process it starts, from its execve on), then write the smallest profile
that allows them: an ERRNO(EPERM) default, the ABIs seen, one sorted ALLOW
rule, and with --args one ALLOW rule per argument value seen. The command's
own output goes where seccompile's does; the exit status is the command's.

Flags:
  -o FILE            write the profile to FILE instead of stdout
  --backend NAME     ebpf (raw tracepoint, needs root or CAP_BPF+CAP_PERFMON)
                     or notify (seccomp user notification, no privilege;
                     every call round-trips through seccompile). Default: ebpf
                     where it works, else notify
  --args             record the argument that says what a call does (socket's
                     family, ioctl's request, clone's flags, prctl's option,
                     fcntl's command, personality) and allow only those values
  --merge FILE       add what was recorded to the profile in FILE (several runs
                     add up); its default action and its own rules are kept
  --format FORMAT    json (an OCI/Docker profile, the default) or go (a Go
                     file declaring the policy and an Install function)
  --package NAME     the Go package name for --format go (default sandbox)
  --summary          print a table of calls per syscall on stderr

Examples:
  seccompile record -o echo.json -- ./echoserver -n 1
  seccompile record --merge echo.json -o echo.json -- ./echoserver -n 3
  seccompile record --args --format go -o sandbox.go -- ./server
`
