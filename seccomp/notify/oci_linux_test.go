//go:build linux

package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/seccompile/seccompile/seccomp/notify"
)

// TestOCIRoundTrip: a "runtime" sends the child's listener to a listenerPath
// agent with SendToListener; the agent's Accept returns the state and a
// listener that supervises the child.
func TestOCIRoundTrip(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "calls")
	srv, err := notify.ListenOCI(filepath.Join(t.TempDir(), "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	pid := c.cmd.Process.Pid
	sent := notify.ProcessState{
		Pid:      pid,
		Metadata: "profile=test",
		State: notify.State{
			Version: notify.OCIVersion, ID: "ctr-1", Status: "running", Pid: pid,
			Bundle: "/run/bundle", Annotations: map[string]string{"io.example/k": "v"},
		},
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- notify.SendToListener(srv.Path(), c.l.FD(), sent) }()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	l, st, err := srv.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	want := sent
	want.Version = notify.OCIVersion
	want.Fds = []string{notify.SeccompFdName}
	if !reflect.DeepEqual(*st, want) {
		t.Errorf("state = %+v\nwant %+v", *st, want)
	}

	c.l.Close() // the agent's listener is now the only one
	c.l = nil
	n := receive(t, l)
	if err := l.Respond(n.ID, 5); err != nil {
		t.Fatal(err)
	}
	if at(c.wait(t), 0) != "r=5 errno=0" {
		t.Errorf("child saw %q, want r=5 from the agent", c.stdout.String())
	}
}

// TestOCISpecCompat: our JSON is specs-go's ContainerProcessState, both ways.
func TestOCISpecCompat(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "idle")
	spec := specs.ContainerProcessState{
		Version:  specs.Version,
		Fds:      []string{"other", specs.SeccompFdName},
		Pid:      4242,
		Metadata: "m",
		State:    specs.State{Version: specs.Version, ID: "id", Status: specs.StateCreated, Pid: 4242, Bundle: "/b"},
	}

	t.Run("runtime is specs-go", func(t *testing.T) {
		srv, err := notify.ListenOCI(filepath.Join(t.TempDir(), "agent.sock"))
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		other, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		data, _ := json.Marshal(spec)
		go rawSend(t, srv.Path(), data, int(other.Fd()), c.l.FD())
		l, st, err := srv.Accept(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		if st.Version != spec.Version || st.Pid != spec.Pid || st.Metadata != spec.Metadata ||
			st.State.ID != spec.State.ID || st.State.Status != string(spec.State.Status) || st.State.Bundle != spec.State.Bundle ||
			!reflect.DeepEqual(st.Fds, spec.Fds) {
			t.Errorf("decoded %+v from %+v", st, spec)
		}
	})
	t.Run("agent is specs-go", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "agent.sock")
		ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go notify.SendToListener(path, c.l.FD(), notify.ProcessState{Pid: 4242, Metadata: "m", State: notify.State{ID: "id"}})
		conn, err := ln.AcceptUnix()
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		fd, n, err := notify.ReceiveFD(conn, buf)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fd)
		var got specs.ContainerProcessState
		if err := json.Unmarshal(buf[:n], &got); err != nil {
			t.Fatalf("%v in %s", err, buf[:n])
		}
		if got.Version != specs.Version || !reflect.DeepEqual(got.Fds, []string{specs.SeccompFdName}) ||
			got.Pid != 4242 || got.Metadata != "m" || got.State.ID != "id" {
			t.Errorf("specs-go decoded %+v", got)
		}
		link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
		if link != "anon_inode:seccomp notify" {
			t.Errorf("the fd that came is %q", link)
		}
	})
}

// TestOCIBadInput: connections that break the protocol give clear errors,
// leak no fds, and leave the server accepting.
func TestOCIBadInput(t *testing.T) {
	requireNotify(t)
	c := startChild(t, "idle")
	srv, err := notify.ListenOCI(filepath.Join(t.TempDir(), "agent.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	good := `{"ociVersion":"1.3.0","fds":["seccompFd"],"pid":1,"state":{"ociVersion":"1.3.0","id":"x","status":"running","bundle":"/"}}`

	cases := []struct {
		name    string
		data    string
		fds     []int
		wantErr error
		wantMsg string
	}{
		{"not JSON", `{"ociVersion": nope}`, []int{c.l.FD()}, notify.ErrBadState, "at byte"},
		{"wrong type", `{"pid":"one","fds":["seccompFd"]}`, []int{c.l.FD()}, notify.ErrBadState, `field "pid"`},
		{"no seccompFd", `{"fds":["other"]}`, []int{c.l.FD()}, notify.ErrBadState, `has no "seccompFd"`},
		{"no fd", good, nil, notify.ErrBadState, "no file descriptor"},
		{"index beyond fds", `{"fds":["a","seccompFd"]}`, []int{c.l.FD()}, notify.ErrBadState, "only 1 fds"},
		{"not a listener", good, []int{int(pw.Fd())}, os.ErrInvalid, "not a seccomp listener"},
		{"empty", "", nil, nil, "agent.sock"},
	}
	before := openFDs(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			go rawSend(t, srv.Path(), []byte(tc.data), tc.fds...)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			l, _, err := srv.Accept(ctx)
			if err == nil {
				l.Close()
				t.Fatal("Accept succeeded")
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Errorf("Accept = %v, want an error wrapping %v that says %q", err, tc.wantErr, tc.wantMsg)
			}
			t.Log(err)
		})
	}
	time.Sleep(10 * time.Millisecond) // the senders' goroutines close their conns
	if after := openFDs(t); after != before {
		t.Errorf("open fds went from %d to %d across the bad connections", before, after)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, _, err := srv.Accept(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Accept with nobody connecting = %v, want context.DeadlineExceeded", err)
	}
	go notify.SendToListener(srv.Path(), c.l.FD(), notify.ProcessState{})
	l, _, err := srv.Accept(context.Background())
	if err != nil {
		t.Fatalf("Accept after bad connections: %v", err)
	}
	l.Close()
}

// rawSend is a runtime written without this package: one sendmsg of data
// with fds, as runc's utils.SendFds does.
func rawSend(t *testing.T, path string, data []byte, fds ...int) {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	if len(data) == 0 && len(oob) == 0 {
		return
	}
	if len(data) == 0 {
		data = []byte{' '}
	}
	if _, _, err := conn.WriteMsgUnix(data, oob, nil); err != nil {
		t.Error(err)
	}
}
