// Command echoserver is a tiny static HTTP server for the fine-grained
// example profile (examples/fine-grained.json), in the spirit of
// hashicorp/http-echo from the Kubernetes seccomp tutorial: it listens on
// loopback, answers every request with a fixed text, and exits after -n
// requests.
//
// Build it without cgo, so that it makes only the Go runtime's and the net
// package's syscalls, which is what the profile allows:
//
//	CGO_ENABLED=0 go build -o echoserver ./examples/echoserver
//	seccompile run --profile examples/fine-grained.json -- ./echoserver -n 1
//
// It prints "listening on ADDR" once it accepts connections, so that a
// caller that asked for port 0 learns the port.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	text := flag.String("text", "just made some syscalls!", "the text to answer with")
	n := flag.Int("n", 1, "exit after answering this many requests (0: never)")
	flag.Parse()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	for i := 0; *n == 0 || i < *n; i++ {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "echoserver:", err)
			os.Exit(1)
		}
		if err := answer(c, *text); err != nil {
			fmt.Fprintln(os.Stderr, "echoserver:", err)
		}
	}
}

// answer reads one request head and writes the text back as HTTP/1.0.
func answer(c net.Conn, text string) error {
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading request: %w", err)
	}
	for {
		h, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("reading request headers: %w", err)
		}
		if strings.TrimRight(h, "\r\n") == "" {
			break
		}
	}
	body := text + "\n"
	_, err = fmt.Fprintf(c, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	if err == nil {
		fmt.Printf("answered %s", line)
	}
	return err
}
