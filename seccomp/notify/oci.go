package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"
)

// The OCI runtime specification's listenerPath protocol (config-linux.md,
// "seccomp"; runtime.md "Container process state"): when a profile uses
// SCMP_ACT_NOTIFY and names a listenerPath, the runtime connects to that
// AF_UNIX SOCK_STREAM socket once per container process and sends the
// process state as JSON, with the listener fd attached by SCM_RIGHTS and
// named "seccompFd" in "fds".

// SeccompFdName is the name of the listener fd in ProcessState.Fds.
const SeccompFdName = "seccompFd"

// OCIVersion is the ociVersion SendToListener writes when the state names
// none: the runtime-spec version this package follows.
const OCIVersion = "1.3.0"

// ErrBadState reports a connection whose container process state was not
// what the protocol says: not JSON, no "seccompFd", a missing fd.
var ErrBadState = errors.New("malformed OCI container process state")

// ProcessState is the OCI container process state (specs-go
// ContainerProcessState), as it travels to a seccomp agent.
type ProcessState struct {
	Version  string   `json:"ociVersion"`
	Fds      []string `json:"fds"`                // the name of each fd attached, in order
	Pid      int      `json:"pid"`                // the container process, as the runtime sees it
	Metadata string   `json:"metadata,omitempty"` // the profile's listenerMetadata
	State    State    `json:"state"`
}

// State is the OCI container state (specs-go State).
type State struct {
	Version     string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Status      string            `json:"status"` // creating, created, running, stopped
	Pid         int               `json:"pid,omitempty"`
	Bundle      string            `json:"bundle"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SendToListener is the runtime's side of the protocol: it connects to the
// socket at path, sends state as JSON with fd, the listener, attached, and
// closes the connection. state.Fds is set to ["seccompFd"], and an empty
// state.Version to OCIVersion.
func SendToListener(path string, fd int, state ProcessState) error {
	state.Fds = []string{SeccompFdName}
	if state.Version == "" {
		state.Version = OCIVersion
	}
	data, err := json.Marshal(&state)
	if err != nil {
		return fmt.Errorf("notify: listenerPath %s: %w", path, err)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("notify: listenerPath: %w", err)
	}
	defer conn.Close()
	if err := sendFDs(conn, data, fd); err != nil {
		return fmt.Errorf("notify: listenerPath %s: send state and fd %d: %w", path, fd, err)
	}
	return nil
}

// OCIServer is the seccomp agent's side of the protocol: a unix socket at
// a profile's listenerPath that accepts listeners from a runtime.
type OCIServer struct {
	ln   *net.UnixListener
	path string
}

// ListenOCI listens on the unix socket path. The socket file is removed by
// Close; an existing file at path is an error, not replaced.
func ListenOCI(path string) (*OCIServer, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("notify: listen on listenerPath: %w", err)
	}
	return &OCIServer{ln: ln, path: path}, nil
}

// Path returns the socket's path.
func (s *OCIServer) Path() string { return s.path }

// Close stops listening and removes the socket file.
func (s *OCIServer) Close() error { return s.ln.Close() }

// maxStateSize bounds the JSON one connection may send. Annotations make
// states of a few KiB; this is far beyond any real one.
const maxStateSize = 1 << 20

// Accept waits for a runtime to connect and returns the listener it sent
// and the decoded state (state.Metadata is the profile's listenerMetadata).
// It returns ctx.Err() when ctx is done first. A connection that breaks the
// protocol gives an error wrapping ErrBadState and closes every fd that came
// with it; the server keeps listening, so the caller may Accept again.
func (s *OCIServer) Accept(ctx context.Context) (*Listener, *ProcessState, error) {
	stop := context.AfterFunc(ctx, func() { s.ln.SetDeadline(aLongTimeAgo) })
	conn, err := s.ln.AcceptUnix()
	if !stop() {
		s.ln.SetDeadline(time.Time{})
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("notify: accept on %s: %w", s.path, err)
	}
	defer conn.Close()
	stop = context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	defer stop()

	buf := make([]byte, 64<<10)
	n, fds, err := receiveFDs(conn, buf)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("notify: %s: receive state: %w", s.path, err)
	}
	closeAll := func(except int) {
		for i, fd := range fds {
			if i != except {
				closeFD(fd)
			}
		}
	}
	// The fds come with the first bytes; the rest of a large state may
	// follow in later reads.
	rest := io.LimitReader(conn, maxStateSize)
	state, idx, err := parseProcessState(io.MultiReader(bytes.NewReader(buf[:n]), rest), len(fds))
	if err != nil {
		closeAll(-1)
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, fmt.Errorf("notify: %s: %w", s.path, err)
	}
	closeAll(idx)
	l, err := NewListener(fds[idx])
	if err != nil {
		closeFD(fds[idx])
		return nil, nil, fmt.Errorf("%w (the %q sent to %s)", err, SeccompFdName, s.path)
	}
	return l, state, nil
}

// parseProcessState decodes one state from r and returns the index of the
// seccompFd among the nfds fds that came with it.
func parseProcessState(r io.Reader, nfds int) (*ProcessState, int, error) {
	dec := json.NewDecoder(r)
	var st ProcessState
	if err := dec.Decode(&st); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			err = fmt.Errorf("at byte %d: %v", syn.Offset, syn)
		case errors.As(err, &typ):
			err = fmt.Errorf("field %q at byte %d: %v", typ.Field, typ.Offset, typ)
		}
		return nil, -1, fmt.Errorf("%w: %v", ErrBadState, err)
	}
	idx := slices.Index(st.Fds, SeccompFdName)
	switch {
	case idx < 0:
		return nil, -1, fmt.Errorf("%w: fds %q has no %q", ErrBadState, st.Fds, SeccompFdName)
	case nfds == 0:
		return nil, -1, fmt.Errorf("%w: %w", ErrBadState, ErrNoFD)
	case idx >= nfds:
		return nil, -1, fmt.Errorf("%w: %q is fds[%d] but only %d fds came with the message", ErrBadState, SeccompFdName, idx, nfds)
	}
	return &st, idx, nil
}
