package arch

// socketCalls are the sub-call numbers of socketcall(2), SYS_SOCKET (1) to
// SYS_SENDMMSG (20) in include/uapi/linux/net.h. On ABIs with socketcall
// (i386, s390, ppc, mips o32...) the same operation may arrive either as its
// own syscall or as socketcall(call, args), and a filter must handle both.
var socketCalls = [...]string{
	1: "socket", 2: "bind", 3: "connect", 4: "listen", 5: "accept",
	6: "getsockname", 7: "getpeername", 8: "socketpair", 9: "send", 10: "recv",
	11: "sendto", 12: "recvfrom", 13: "shutdown", 14: "setsockopt", 15: "getsockopt",
	16: "sendmsg", 17: "recvmsg", 18: "accept4", 19: "recvmmsg", 20: "sendmmsg",
}

// SocketCallNumber returns the socketcall(2) sub-call number (the first
// argument) that performs the named socket operation: socket 1 ... sendmmsg
// 20. The argument is checked by a filter as socketcall's args[0].
func SocketCallNumber(name string) (int, bool) {
	for i, n := range socketCalls {
		if n != "" && n == name {
			return i, true
		}
	}
	return 0, false
}

// SocketCallName is the inverse of SocketCallNumber.
func SocketCallName(call int) (string, bool) {
	if call <= 0 || call >= len(socketCalls) {
		return "", false
	}
	return socketCalls[call], true
}

// ipcCalls are the sub-call numbers of ipc(2) (include/linux/ipc.h in the
// kernel, SEMOP 1 ... SHMCTL 24). The kernel's ipc() takes the version in
// the high 16 bits of the first argument, so a filter compares call & 0xffff.
var ipcCalls = map[string]int{
	"semop": 1, "semget": 2, "semctl": 3, "semtimedop": 4,
	"msgsnd": 11, "msgrcv": 12, "msgget": 13, "msgctl": 14,
	"shmat": 21, "shmdt": 22, "shmget": 23, "shmctl": 24,
}

// IPCCallNumber returns the ipc(2) sub-call number (the low 16 bits of the
// first argument) that performs the named System V IPC operation: semop 1
// ... shmctl 24.
func IPCCallNumber(name string) (int, bool) {
	n, ok := ipcCalls[name]
	return n, ok
}
