module github.com/seccompile/seccompile/bench

go 1.26.3

replace github.com/seccompile/seccompile => ../

require (
	github.com/elastic/go-seccomp-bpf v1.6.0 // indirect
	github.com/seccomp/libseccomp-golang v0.11.1 // indirect
	github.com/seccompile/seccompile v0.0.0-00010101000000-000000000000 // indirect
	golang.org/x/exp v0.0.0-20250711185948-6ae5c78190dc // indirect
	golang.org/x/net v0.63.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/time v0.15.0 // indirect
	gvisor.dev/gvisor v0.0.0-20260905035102-160fafc42237 // indirect
)
