// Package seccomp installs seccomp filters in Go programs: the front door
// of seccompile.
//
// A Go program that sandboxes itself builds a compiler.Policy and calls
// Install. Install compiles the policy, verifies the program as the kernel
// will (vm.Verify), proves it decides every call as the policy does
// (compiler.Check), and loads it into every thread of the process with
// seccomp(2) and SECCOMP_FILTER_FLAG_TSYNC, after setting no_new_privs.
// InstallProgram does the same for a program compiled earlier, and Command
// starts another program under a policy.
//
// Who should use which package: this one to install and probe; package
// compiler (our regexp/syntax) to build, inspect and prove programs without
// installing them; seccomp/notify to supervise USER_NOTIF calls.
//
// # Go and seccomp
//
// A Go process is never single-threaded and moves goroutines between
// threads at will, so a filter must cover every thread: Install always uses
// TSync, which is atomic (all threads or, on failure, none). The runtime
// makes syscalls of its own (futex, mmap, signals for preemption...);
// Install refuses a policy that would kill it unless AllowRuntimeDenial is
// given, and RuntimeRules lists what it needs.
//
// Prefer KILL_PROCESS or an ERRNO for denied calls. KILL_THREAD removes one
// thread under the runtime's feet and the process hangs; TRAP raises
// SIGSYS, which the runtime turns into a crash unless the program has
// called signal.Notify for it.
//
// Everything that talks to the kernel needs Linux; on other systems those
// functions return an error matching errors.ErrUnsupported, while the
// pure functions (groups, flag rules) work everywhere.
package seccomp
