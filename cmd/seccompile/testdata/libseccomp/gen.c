// gen.c writes libseccomp.bpf, the libseccomp-built fixture that
// TestDisasmLibseccomp disassembles. It is not compiled by go build
// (testdata); the test rebuilds it with gcc when libseccomp-dev is present
// and checks that the committed bytes are what libseccomp writes.
//
//   gcc -o gen gen.c -lseccomp && ./gen libseccomp.bpf
//
// The filter: default ERRNO(EPERM) on x86_64 and i386 (libseccomp adds the
// native ABI and rejects x32 numbers), read/write/exit_group allowed,
// socket(AF_UNIX, ...) allowed, openat answered with ERRNO(EACCES), and
// getppid killed.
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc != 2) {
		fprintf(stderr, "usage: gen OUT.bpf\n");
		return 2;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (ctx == NULL)
		return 1;
	int rc = 0;
	rc |= seccomp_arch_add(ctx, SCMP_ARCH_X86);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	rc |= seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(getppid), 0);
	if (rc != 0) {
		fprintf(stderr, "gen: building the filter failed: %d\n", rc);
		return 1;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	rc = seccomp_export_bpf(ctx, fd);
	close(fd);
	seccomp_release(ctx);
	if (rc != 0) {
		fprintf(stderr, "gen: seccomp_export_bpf: %d\n", rc);
		return 1;
	}
	return 0;
}
