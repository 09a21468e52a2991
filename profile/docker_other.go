//go:build !linux

package profile

// DockerDefault returns nil on systems other than Linux:
// github.com/moby/profiles/seccomp builds its default profile only there.
func DockerDefault() *Profile { return nil }
