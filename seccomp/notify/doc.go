// Package notify is a supervisor API for seccomp user notification
// (SECCOMP_RET_USER_NOTIF, seccomp_unotify(2)), in pure Go.
//
// A filter whose action is USER_NOTIF suspends the calling thread and hands
// the call to whoever holds the filter's listener file descriptor. The
// supervisor reads the call ([Listener.Receive]), decides, and answers with a
// return value ([Listener.Respond]), an errno ([Listener.RespondErrno]), by
// letting the call run ([Listener.Continue]), or by injecting a file
// descriptor ([Listener.AddFD]). [Serve] runs that loop with concurrent
// handlers and guarantees every received notification one answer.
//
// Getting a listener: install a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER,
// for example seccomp.InstallProgram(prog.Insns,
// seccomp.WithFlags(seccomp.NewListener)), and wrap the fd it returns with
// [NewListener]. The
// filtered process is usually not the supervisor: a process that holds a
// USER_NOTIF filter and also supervises it deadlocks as soon as the
// supervising thread makes a notified call. So the target typically
// installs the filter and passes the fd to its supervisor over a unix
// socket ([SendFD], [ReceiveFD]), or a container runtime passes it to an
// OCI seccomp agent named by the profile's listenerPath ([SendToListener],
// [ListenOCI]).
//
// # Things the kernel makes the supervisor's problem
//
//   - A notification is withdrawn when the target is interrupted by a signal
//     before the answer arrives (seccomp_do_user_notification waits
//     interruptibly). Go programs are signalled all the time: the runtime
//     preempts long-running goroutines with SIGURG. The target's call is then
//     restarted as a new notification with a new ID, and the answer to the old
//     one fails with [ErrGone]. A handler with side effects (creating a
//     directory, say) may therefore run twice for one call. Install the filter
//     with seccomp.WaitKillableRecv (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
//     Linux 5.19) so that once the notification has been received only a
//     fatal signal interrupts it.
//   - Pointer arguments point into the target's memory, which the target (or
//     another of its threads) can change after the supervisor has read it.
//     Emulate the call from the copy you read; never read, approve and then
//     [Listener.Continue]: that is a time-of-check/time-of-use race, so
//     Continue must never be the outcome of a security decision.
//   - The PID in a notification is a thread ID that may be reused once the
//     target dies. [Listener.ReadMemory] checks that the notification is still
//     pending after reading, as seccomp_unotify(2) requires, so the bytes
//     really came from the target.
//
// The examples show two supervisors in full: one that lets an unprivileged
// process create directories under one directory by doing mkdirat(2) for it
// (reading the path from the target's memory and resolving it against the
// target's working directory), and one that answers socket(2) with an
// injected, already connected socket.
//
// Everything here needs Linux 5.0 (user notification); AddFD needs 5.9,
// AddFD with Send 5.14, [Listener.SetFlags] 6.6. On other systems the
// functions return [ErrUnsupported].
package notify
