// Package profile reads and writes seccomp profiles in the JSON formats
// containers use, and evaluates them into a compiler.Policy with the meaning
// runc, the reference OCI runtime, gives them.
//
// One schema, Profile, holds the union of three formats:
//
//   - OCI runtime-spec linux.seccomp: defaultAction, defaultErrnoRet,
//     architectures, flags, listenerPath, listenerMetadata and syscalls with
//     names, action, errnoRet and args (index, value, valueTwo, op).
//   - Docker (github.com/moby/profiles/seccomp): archMap with
//     subArchitectures, the old singular "name", comment, and includes /
//     excludes conditions on capabilities, architectures and minKernel.
//   - Podman (containers/common): defaultErrno and per-rule errno given as
//     names ("ENOSYS"), which win over the numeric forms.
//
// Parse reads JSON and reports bad input with its line, column and the field
// it is in ("syscalls[12].args[1].op"); FromOCI takes the runtime-spec Go
// type; DockerDefault is Docker's built-in profile.
//
// # Evaluation
//
// Profile.Policy evaluates a profile for a set of target ABIs, a capability
// set and a kernel version, as dockerd and runc do together:
//
//   - excludes are checked first: a rule is dropped when the ABI is in
//     excludes.arches, any of excludes.caps is held, or the kernel is at
//     least excludes.minKernel; then it is dropped unless the ABI is in
//     includes.arches (when given), every one of includes.caps is held, and
//     the kernel is at least includes.minKernel.
//   - A rule whose action equals the default action is dropped.
//   - Syscall names unknown on an ABI are skipped there and reported as
//     warnings.
//   - Two or more conditions on the same argument index in one entry become
//     one rule each (OR); otherwise the conditions of an entry form one rule
//     (AND).
//   - SCMP_ACT_KILL is KILL_THREAD; ERRNO and TRACE without errnoRet return
//     EPERM; MASKED_EQ is (arg & value) == valueTwo.
//
// Where this package knowingly differs from Docker:
//
//   - Docker evaluates includes/excludes.arches once, against the host's
//     GOARCH: "x32" never matches, and on an amd64 host a rule for
//     [amd64, x32] holds for the i386 ABI too (Docker's default allows
//     i386 arch_prctl that way) while a rule for "x86" alone is dropped
//     for it. Here each target ABI is evaluated on its own, and a rule that
//     holds on some ABIs only carries compiler.Rule.Arches. Arch names are
//     matched in every spelling arch.Lookup accepts, plus Docker's
//     "mips3l64n32"; spellings Docker itself would never match are
//     reported as warnings. Options.Host gives Docker's behaviour exactly.
//   - Syscall numbers the ABI's table does not know get ERRNO(ENOSYS) (the
//     compiler's default) rather than the default action, so that libc
//     falls back as on an older kernel; Options.RuncUnknown restores runc's
//     behaviour.
//   - errno values above 4095 (MAX_ERRNO) are rejected: the kernel would
//     clamp them to 4095 silently.
//   - Calls from ABIs the profile does not list get KILL_PROCESS (the
//     compiler's default); libseccomp, and so runc, kill only the thread.
//   - Duplicate keys are an error; encoding/json keeps the last one.
//
// # Writing
//
// FromPolicy turns a compiler.Policy back into a Profile, and MarshalJSON
// writes it: plain OCI JSON for a single ABI, Docker JSON (archMap, and
// includes.arches for ABI-specific rules) when the policy covers several.
//
// # Out of scope
//
// YAML is not read. Kubernetes pod manifests only point at a profile file
// (localhostProfile), kind.yaml configures a cluster, and the Security
// Profiles Operator's SeccompProfile custom resources embed the OCI fields
// under spec: reading them would need a YAML parser, which this module does
// not depend on. Convert such a resource to JSON first (kubectl get -o
// json, or yq): Parse reads the profile under its "spec" (ignoring the
// operator's own fields such as baseProfileName, which it resolves), as it
// reads the one under "linux"."seccomp" of an OCI config.json.
package profile
