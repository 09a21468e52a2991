package arch

import "testing"

var (
	sinkNr   uint32
	sinkName string
	sinkOK   bool
)

func BenchmarkSyscall(b *testing.B) {
	a, _ := Lookup("x86_64")
	names := []string{"read", "openat", "rt_sigreturn", "zzz_unknown", "landlock_restrict_self", "_sysctl"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkNr, sinkOK = a.Syscall(names[i%len(names)])
	}
}

func BenchmarkSyscallName(b *testing.B) {
	a, _ := Lookup("x86_64")
	nrs := []uint32{0, 257, 15, 9999, 446, 156}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		sinkName, sinkOK = a.SyscallName(nrs[i%len(nrs)])
	}
}

func BenchmarkLookup(b *testing.B) {
	names := []string{"amd64", "SCMP_ARCH_X86_64", "x32", "mips64le"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a, _ := Lookup(names[i%len(names)])
		sinkName = a.Name
	}
}
