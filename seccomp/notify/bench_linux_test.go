//go:build linux

package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/seccompile/seccompile/seccomp/notify"
)

// BenchmarkServe measures the notification round trip through Serve: a
// child makes b.N calls from the given number of threads, each answered by
// a handler. ns/op is wall time per notification; notifs/s is the rate.
func BenchmarkServe(b *testing.B) {
	requireNotify(b)
	for _, threads := range []int{1, 8} {
		b.Run(fmt.Sprintf("threads=%d", threads), func(b *testing.B) {
			c := startChild(b, "flood", "FLOOD_N="+strconv.Itoa(b.N), "THREADS="+strconv.Itoa(threads))
			b.ResetTimer()
			start := time.Now()
			if err := notify.Serve(context.Background(), c.l, floodHandler, notify.ServeOptions{}); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifs/s")
			b.StopTimer()
			if want := fmt.Sprintf("calls=%d bad=0 threads=%d", b.N, threads); at(c.wait(b), 0) != want {
				b.Errorf("child: %q, want %q", c.stdout.String(), want)
			}
		})
	}
}

// BenchmarkReceiveRespond is the bare loop, one notification at a time from
// one thread, with and without SyncWakeUp (Linux 6.6).
func BenchmarkReceiveRespond(b *testing.B) {
	requireNotify(b)
	for _, sync := range []bool{false, true} {
		b.Run(fmt.Sprintf("syncwakeup=%v", sync), func(b *testing.B) {
			c := startChild(b, "flood", "FLOOD_N="+strconv.Itoa(b.N), "THREADS=1")
			if sync {
				if err := c.l.SetFlags(notify.SyncWakeUp); err != nil {
					b.Skip(err)
				}
			}
			ctx := context.Background()
			b.ResetTimer()
			start := time.Now()
			withdrawn := 0
			// A notification withdrawn by a signal comes back as a new one,
			// so count answers that arrived, not notifications received.
			for answered := 0; answered < b.N; {
				n, err := c.l.Receive(ctx)
				if err != nil {
					b.Fatal(err)
				}
				err = c.l.Respond(n.ID, int64(n.Data.Args[0])*1_000_000+int64(n.Data.Args[1])+1)
				switch {
				case err == nil:
					answered++
				case errors.Is(err, notify.ErrGone):
					withdrawn++
				default:
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "notifs/s")
			b.ReportMetric(float64(withdrawn), "withdrawn")
			b.StopTimer()
			if want := fmt.Sprintf("calls=%d bad=0 threads=1", b.N); at(c.wait(b), 0) != want {
				b.Errorf("child: %q, want %q", c.stdout.String(), want)
			}
		})
	}
}
