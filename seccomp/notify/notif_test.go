package notify

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"
)

func TestDecodeNotif(t *testing.T) {
	want := Notif{
		ID: 0x1122334455667788, Pid: 4242, Flags: 0,
		Data: Data{Nr: 39, Arch: 0xc000003e, InstructionPointer: 0x401000, Args: [6]uint64{1, 1 << 63, 3, 4, 5, ^uint64(0)}},
	}
	b := encodeNotif(want)
	for _, tc := range []struct {
		name string
		buf  []byte
	}{
		{"kernel size", b},
		{"larger struct from a newer kernel", append(bytes.Clone(b), make([]byte, 24)...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeNotif(tc.buf)
			if err != nil || got != want {
				t.Errorf("decodeNotif = %+v, %v; want %+v", got, err, want)
			}
		})
	}
	t.Run("short", func(t *testing.T) {
		if _, err := decodeNotif(b[:79]); err == nil || !strings.Contains(err.Error(), "79 bytes") {
			t.Errorf("decodeNotif(79 bytes) = %v, want an error naming the size", err)
		}
	})
}

func TestErrorIs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      *Error
		gone     bool
		errno    syscall.Errno
		contains string
	}{
		{"ENOENT on a notification", &Error{Op: "respond", ID: 7, Err: syscall.ENOENT}, true, syscall.ENOENT, "no longer pending"},
		{"ENOENT on the listener", &Error{Op: "receive", Err: syscall.ENOENT}, false, syscall.ENOENT, "receive"},
		{"EINPROGRESS", &Error{Op: "respond", ID: 7, Err: syscall.EINPROGRESS}, false, syscall.EINPROGRESS, "id 0x7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := errors.Is(tc.err, ErrGone); got != tc.gone {
				t.Errorf("errors.Is(%v, ErrGone) = %v, want %v", tc.err, got, tc.gone)
			}
			if !errors.Is(tc.err, tc.errno) {
				t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.errno)
			}
			if !strings.Contains(tc.err.Error(), tc.contains) {
				t.Errorf("%q does not say %q", tc.err.Error(), tc.contains)
			}
		})
	}
}

func TestParseProcessState(t *testing.T) {
	for _, tc := range []struct {
		name    string
		json    string
		nfds    int
		wantIdx int
		wantErr string
	}{
		{"runc", `{"ociVersion":"1.0.2","fds":["seccompFd"],"pid":12,"metadata":"m","state":{"ociVersion":"1.0.2","id":"c","status":"creating","pid":12,"bundle":"/b"}}`, 1, 0, ""},
		{"second fd", `{"fds":["x","seccompFd"]}`, 2, 1, ""},
		{"trailing data is left unread", `{"fds":["seccompFd"]} garbage`, 1, 0, ""},
		{"syntax", `{"fds":[}`, 1, -1, "at byte 9"},
		{"type", `{"fds":"seccompFd"}`, 1, -1, `field "fds"`},
		{"missing name", `{"fds":[]}`, 1, -1, `has no "seccompFd"`},
		{"no fds", `{"fds":["seccompFd"]}`, 0, -1, "no file descriptor"},
		{"too few fds", `{"fds":["a","b","seccompFd"]}`, 2, -1, "fds[2] but only 2"},
		{"empty", ``, 1, -1, "EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, idx, err := parseProcessState(strings.NewReader(tc.json), tc.nfds)
			if tc.wantErr == "" {
				if err != nil || st == nil || idx != tc.wantIdx {
					t.Errorf("= %v, %d, %v; want index %d", st, idx, err, tc.wantIdx)
				}
				return
			}
			if !errors.Is(err, ErrBadState) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want ErrBadState saying %q", err, tc.wantErr)
			}
		})
	}
}

// FuzzDecodeNotif: any buffer decodes without panicking, and a full one
// round-trips through encodeNotif.
func FuzzDecodeNotif(f *testing.F) {
	f.Add(encodeNotif(Notif{ID: 0x5eed, Pid: 1, Data: Data{Nr: 1000, Arch: 0xc000003e, Args: [6]uint64{0, 2, 3, 4, 5, 6}}}))
	f.Add(encodeNotif(Notif{ID: ^uint64(0), Pid: ^uint32(0), Data: Data{Nr: 0x4000006e, Arch: 0x40000003}}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := decodeNotif(b)
		if len(b) < sizeofNotif {
			if err == nil {
				t.Fatalf("decoded %d bytes", len(b))
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := encodeNotif(n); !bytes.Equal(got, b[:sizeofNotif]) {
			t.Fatalf("round trip: % x, want % x", got, b[:sizeofNotif])
		}
	})
}

// FuzzParseProcessState: whatever a peer sends on a listenerPath socket,
// parsing returns a state and a valid fd index, or an ErrBadState.
func FuzzParseProcessState(f *testing.F) {
	f.Add(`{"ociVersion":"1.3.0","fds":["seccompFd"],"pid":1,"metadata":"x","state":{"ociVersion":"1.3.0","id":"c","status":"running","bundle":"/"}}`, 1)
	f.Add(`{"fds":["a","seccompFd"]}`, 1)
	f.Add(`{"fds":null}`, 0)
	f.Add(`[]`, 3)
	f.Fuzz(func(t *testing.T, s string, nfds int) {
		if nfds < 0 || nfds > 253 {
			return
		}
		st, idx, err := parseProcessState(strings.NewReader(s), nfds)
		if err != nil {
			if !errors.Is(err, ErrBadState) {
				t.Fatalf("error %v is not ErrBadState", err)
			}
			return
		}
		if idx < 0 || idx >= nfds || st.Fds[idx] != SeccompFdName {
			t.Fatalf("index %d of %d fds, fds %q", idx, nfds, st.Fds)
		}
	})
}

// TestReadMemoryInvisibleTarget: a target outside the supervisor's PID
// namespace has Pid 0, and reading its memory is refused before any
// syscall.
func TestReadMemoryInvisibleTarget(t *testing.T) {
	var l Listener
	n := &Notif{ID: 1}
	if err := l.ReadMemory(n, 0x1000, make([]byte, 4)); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("ReadMemory = %v, want ESRCH", err)
	}
	if _, err := l.ReadString(n, 0x1000, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("ReadString = %v, want ESRCH", err)
	}
}
