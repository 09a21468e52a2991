//go:build race

package seccomp

// raceEnabled: the race runtime maps shadow memory and takes its own
// locks, so a helper built with -race may call mmap and futex between
// installing and exec'ing.
const raceEnabled = true
