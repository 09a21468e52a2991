package notify

import (
	"context"
	"errors"
	"runtime/debug"
	"sync"
	"syscall"
)

// Response is a handler's answer to a notification. Errno, if set, wins;
// else Continue; else the call returns Val.
type Response struct {
	Val      int64         // the call's return value
	Errno    syscall.Errno // fail the call with this errno (1..MaxErrno)
	Continue bool          // let the call run; see Listener.Continue for why this is never a security decision
}

// Value is the response "the call returns v".
func Value(v int64) Response { return Response{Val: v} }

// Errno is the response "the call fails with e".
func Errno(e syscall.Errno) Response { return Response{Errno: e} }

// Continue is the response "let the call run".
func Continue() Response { return Response{Continue: true} }

// Handler decides one notification. Serve runs handlers concurrently, one
// goroutine per notification; ctx is Serve's context, and a handler should
// return soon after it is done (Serve waits for every handler to return).
// A handler answers by returning a Response (or with Request.AddFD and
// Send), never through the Listener directly: Serve would answer again.
type Handler func(ctx context.Context, r *Request) Response

// Request is a notification being handled by Serve: the notification
// itself, and methods that act on it through the listener.
type Request struct {
	Notif
	l           *Listener
	ctx         context.Context // Serve's
	cancelErrno syscall.Errno

	mu       sync.Mutex // serialises answers: exactly one reaches the kernel
	answered bool
}

// Listener returns the listener the request came from.
func (r *Request) Listener() *Listener { return r.l }

// ReadMemory reads target memory at addr; see Listener.ReadMemory.
func (r *Request) ReadMemory(addr uint64, buf []byte) error {
	return r.l.ReadMemory(&r.Notif, addr, buf)
}

// ReadString reads a NUL-terminated string from target memory; see
// Listener.ReadString.
func (r *Request) ReadString(addr uint64, max int) (string, error) {
	return r.l.ReadString(&r.Notif, addr, max)
}

// Valid reports whether the notification is still pending; see
// Listener.IDValid.
func (r *Request) Valid() error { return r.l.IDValid(r.ID) }

// errAnswered is returned by AddFD once the request has its answer, or once
// Serve's context is done (which answers it with CancelErrno).
var errAnswered = errors.New("request already answered")

// AddFD installs a copy of fd in the target; see Listener.AddFD. With o.Send
// the notification is answered (with the new fd number) and the handler's
// Response is then ignored. Once Serve's context is done AddFD fails, and
// the notification is answered with CancelErrno.
func (r *Request) AddFD(fd int, o AddFDOptions) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.answered && r.ctx.Err() != nil {
		r.respondLocked(Response{})
	}
	if r.answered {
		return -1, &Error{Op: "addfd", ID: r.ID, Err: errAnswered}
	}
	remote, err := r.l.AddFD(r.ID, fd, o)
	if err == nil && o.Send {
		r.answered = true
	}
	return remote, err
}

// answer sends resp unless the request has been answered already.
func (r *Request) answer(resp Response) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.answered {
		return nil
	}
	return r.respondLocked(resp)
}

// respondLocked sends resp, or CancelErrno once Serve's context is done:
// whatever a handler decides after that comes too late, however the race
// between its answer and Serve's went.
func (r *Request) respondLocked(resp Response) error {
	r.answered = true
	if r.ctx.Err() != nil {
		resp = Errno(r.cancelErrno)
	}
	switch {
	case resp.Errno != 0:
		return r.l.RespondErrno(r.ID, resp.Errno)
	case resp.Continue:
		return r.l.Continue(r.ID)
	default:
		return r.l.Respond(r.ID, resp.Val)
	}
}

// ServeOptions tune Serve. The zero value is ready to use.
type ServeOptions struct {
	// PanicErrno answers a notification whose handler panicked. Zero means
	// EPERM: a supervisor bug denies the call, and unlike ENOSYS it does not
	// invite libc to fall back to another syscall the filter may not cover.
	PanicErrno syscall.Errno
	// CancelErrno answers every received notification not yet answered when
	// ctx ends, whatever its handler returns later. Zero means ENOSYS, what
	// the kernel itself answers once the listener is closed.
	CancelErrno syscall.Errno
	// OnError, if set, hears about failures that do not stop Serve: an
	// answer the kernel refused (usually ErrGone: the target was
	// interrupted or killed while its handler ran) and handler panics
	// (*PanicError). It may be called from several goroutines at once.
	OnError func(n *Notif, err error)
}

// Serve receives notifications from l until ctx is done or every target has
// exited, and answers each exactly once: with what its handler returns (or
// its Request.AddFD with Send), with o.PanicErrno if the handler panics, or
// with o.CancelErrno if ctx ends before the handler's answer is sent (the
// handler's answer is then dropped).
//
// Serve returns nil when the listener hangs up (ErrHangup: no task uses the
// filter any more), ctx.Err() when ctx is done, and the receive error
// otherwise; in every case only after all handlers have returned.
// Notifications still queued in the kernel, not yet received, stay there:
// a later Serve gets them, and closing the listener answers them with
// ENOSYS. Serve does not close l.
func Serve(ctx context.Context, l *Listener, h Handler, o ServeOptions) error {
	if o.PanicErrno == 0 {
		o.PanicErrno = syscall.EPERM
	}
	if o.CancelErrno == 0 {
		o.CancelErrno = syscall.ENOSYS
	}
	report := func(n *Notif, err error) {
		if err != nil && o.OnError != nil {
			o.OnError(n, err)
		}
	}

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		inFlight = map[*Request]struct{}{}
	)
	run := func(r *Request) {
		defer wg.Done()
		defer func() {
			mu.Lock()
			delete(inFlight, r)
			mu.Unlock()
		}()
		defer func() {
			if v := recover(); v != nil {
				report(&r.Notif, &PanicError{Value: v, Stack: debug.Stack()})
				report(&r.Notif, r.answer(Errno(o.PanicErrno)))
			}
		}()
		report(&r.Notif, r.answer(h(ctx, r)))
	}

	var err error
	for {
		var n *Notif
		n, err = l.Receive(ctx)
		if err != nil {
			break
		}
		r := &Request{Notif: *n, l: l, ctx: ctx, cancelErrno: o.CancelErrno}
		mu.Lock()
		inFlight[r] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go run(r)
	}

	if ctx.Err() != nil {
		mu.Lock()
		pending := make([]*Request, 0, len(inFlight))
		for r := range inFlight {
			pending = append(pending, r)
		}
		mu.Unlock()
		for _, r := range pending {
			report(&r.Notif, r.answer(Errno(o.CancelErrno)))
		}
	}
	wg.Wait()
	switch {
	case errors.Is(err, ErrHangup):
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return err
}
