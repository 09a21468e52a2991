package notify

import (
	"encoding/binary"
	"fmt"
	"strings"
)

// Data is struct seccomp_data: the call as the filter saw it. Its fields
// match vm.Data one for one, so vm.Data(n.Data) converts it.
type Data struct {
	Nr                 uint32    // syscall number as the filter sees it (x32 calls include 0x40000000)
	Arch               uint32    // AUDIT_ARCH_* of the calling ABI
	InstructionPointer uint64    // address of the syscall instruction
	Args               [6]uint64 // raw argument registers
}

// Notif is one notification: struct seccomp_notif.
type Notif struct {
	// ID names the notification in every answer. IDs are unique for the
	// listener's lifetime (the first is random, then each is one more).
	ID uint64
	// Pid is the thread ID of the calling thread in the supervisor's PID
	// namespace (task_pid_vnr), 0 if it is not visible there.
	Pid uint32
	// Flags is reserved by the kernel (0).
	Flags uint32
	// Data is the call.
	Data Data
}

// sizeofNotif is sizeof(struct seccomp_notif) as of Linux 5.0..6.18; a
// newer kernel may report a larger size in SECCOMP_GET_NOTIF_SIZES, and the
// receive buffer grows to match.
const sizeofNotif = 80

// decodeNotif reads a struct seccomp_notif in host byte order. b holds at
// least the fields this package knows; extra bytes from a newer kernel are
// ignored.
func decodeNotif(b []byte) (Notif, error) {
	if len(b) < sizeofNotif {
		return Notif{}, fmt.Errorf("notify: seccomp_notif of %d bytes, want at least %d", len(b), sizeofNotif)
	}
	e := binary.NativeEndian
	n := Notif{
		ID:    e.Uint64(b[0:]),
		Pid:   e.Uint32(b[8:]),
		Flags: e.Uint32(b[12:]),
		Data: Data{
			Nr:                 e.Uint32(b[16:]),
			Arch:               e.Uint32(b[20:]),
			InstructionPointer: e.Uint64(b[24:]),
		},
	}
	for i := range n.Data.Args {
		n.Data.Args[i] = e.Uint64(b[32+8*i:])
	}
	return n, nil
}

// encodeNotif is decodeNotif's inverse, for tests and fuzzing.
func encodeNotif(n Notif) []byte {
	b := make([]byte, sizeofNotif)
	e := binary.NativeEndian
	e.PutUint64(b[0:], n.ID)
	e.PutUint32(b[8:], n.Pid)
	e.PutUint32(b[12:], n.Flags)
	e.PutUint32(b[16:], n.Data.Nr)
	e.PutUint32(b[20:], n.Data.Arch)
	e.PutUint64(b[24:], n.Data.InstructionPointer)
	for i, a := range n.Data.Args {
		e.PutUint64(b[32+8*i:], a)
	}
	return b
}

// String renders n on one line, for logs and test failures.
func (n *Notif) String() string {
	var args strings.Builder
	for i, a := range n.Data.Args {
		if i > 0 {
			args.WriteByte(',')
		}
		fmt.Fprintf(&args, "%#x", a)
	}
	return fmt.Sprintf("notif id=%#x pid=%d nr=%d arch=%#x ip=%#x args=[%s]",
		n.ID, n.Pid, n.Data.Nr, n.Data.Arch, n.Data.InstructionPointer, args.String())
}
