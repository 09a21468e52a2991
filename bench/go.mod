module github.com/seccompile/seccompile/bench

go 1.26.3

// bench compares the library in the parent directory with its peers; the
// library never imports this module.
replace github.com/seccompile/seccompile => ../

require (
	github.com/elastic/go-seccomp-bpf v1.6.0
	github.com/moby/profiles/seccomp v0.3.0
	github.com/opencontainers/runtime-spec v1.3.0
	github.com/seccomp/libseccomp-golang v0.11.1
	github.com/seccompile/seccompile v0.0.0-00010101000000-000000000000
	golang.org/x/net v0.63.0
	golang.org/x/sys v0.50.0
	gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237
)

require (
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/time v0.15.0 // indirect
)
