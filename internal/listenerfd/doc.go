// Package listenerfd finds a seccomp user-notification listener among the
// calling process's file descriptors.
//
// The exec helpers (seccomp.CommandProgram and the recorder's notify
// backend) load a filter on one thread and must hand its listener to a
// supervisor from another thread. The filtered thread cannot say which fd
// it got without making a system call, and any handshake through memory
// (an atomic the other thread polls) is a place where the filtered thread
// can be stopped first: by a signal, whose rt_sigreturn waits for the
// supervisor, or, in a -race binary, by the race runtime taking a futex
// inside the atomic itself. Then the supervisor never gets the listener and
// the helper hangs. Finding the listener through /proc/self/fd needs
// nothing from the filtered thread.
package listenerfd
