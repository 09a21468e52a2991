package seccomp

// Option changes how Install and InstallProgram load a filter.
type Option func(*config)

type config struct {
	flags          Flag
	keepPrivs      bool // do not set no_new_privs
	skipCheck      bool // do not run compiler.Check
	runtimeDenial  bool // accept policies that deny what the Go runtime needs
	actionFallback bool // KILL_PROCESS → KILL_THREAD on kernels without it
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithFlags adds filter flags: Log, SpecAllow, NewListener,
// WaitKillableRecv. TSync is always added, and TSyncESRCH with NewListener.
// Each flag is probed first; a flag the kernel lacks gives a FlagError
// wrapping ErrFlagUnavailable that names it.
func WithFlags(f Flag) Option { return func(c *config) { c.flags |= f } }

// WithoutNoNewPrivs skips prctl(PR_SET_NO_NEW_PRIVS). The kernel then
// requires CAP_SYS_ADMIN in the caller's user namespace and answers EACCES
// otherwise (reported as ErrPermission). Keep no_new_privs unless the
// process must still run setuid programs or gain file capabilities.
func WithoutNoNewPrivs() Option { return func(c *config) { c.keepPrivs = true } }

// WithoutCheck skips compiler.Check, the proof that the compiled program
// decides every (ABI, syscall, argument range) as the policy does. The
// program is still verified with vm.Verify. Use it only when start-up time
// matters more than the proof; the proof is what catches compiler bugs.
func WithoutCheck() Option { return func(c *config) { c.skipCheck = true } }

// AllowRuntimeDenial accepts a policy that denies syscalls the Go runtime
// needs (see RuntimeRules). Without it Install refuses such a policy with a
// RuntimeError naming the calls.
func AllowRuntimeDenial() Option { return func(c *config) { c.runtimeDenial = true } }

// WithActionFallback lets Install replace actions the kernel lacks with the
// nearest older one instead of failing: KILL_PROCESS (Linux 4.14) becomes
// KILL_THREAD. KILL_THREAD kills only the calling thread, which leaves a Go
// process hung rather than dead; the fallback is there for old kernels
// where nothing better exists. No other action has a fallback: LOG,
// USER_NOTIF and the rest are refused with an ActionError.
func WithActionFallback() Option { return func(c *config) { c.actionFallback = true } }
