package seccomp

import "strconv"

// Mode is a thread's seccomp mode, as PR_GET_SECCOMP and the "Seccomp:"
// line of /proc/PID/status report it.
type Mode int

// The modes.
const (
	ModeDisabled Mode = 0
	ModeStrict   Mode = 1
	ModeFilter   Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ModeDisabled:
		return "disabled"
	case ModeStrict:
		return "strict"
	case ModeFilter:
		return "filter"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// Sizes is struct seccomp_notif_sizes: the sizes, in bytes, of the
// structures of the user-notification API as this kernel knows them.
type Sizes struct {
	Notif uint16 // struct seccomp_notif
	Resp  uint16 // struct seccomp_notif_resp
	Data  uint16 // struct seccomp_data
}
