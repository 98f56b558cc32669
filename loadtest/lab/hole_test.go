//go:build unix

package lab

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// waitFree waits until addr can be listened on again, or fails after bound.
func waitFree(t *testing.T, addr string, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still taken after %s: %v", addr, bound, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A hole takes a connection and a request and never answers; it stays while the
// connection is open, even once released, and frees its address after the peer closed.
func TestHoleAnswersNothingAndFreesItsAddress(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{})
	h := newHole(listen(t), slog.New(slog.DiscardHandler), func() { close(closed) })
	addr := h.addr
	t.Cleanup(h.close)

	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to the hole: %v", err)
	}
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read from the hole: %d bytes, %v; want nothing until the deadline", n, err)
	}

	h.release()
	select {
	case <-closed:
		t.Fatal("released with a connection open, the hole closed anyway")
	case <-time.After(holeLinger + 500*time.Millisecond):
	}
	if _, err := net.Listen("tcp", addr); err == nil {
		t.Fatal("the hole's address was free while a connection was held")
	}

	c.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the hole did not close within 10 s of its last connection")
	}
	waitFree(t, addr, 10*time.Second)
}

// close ends a hole at once, connections held or not.
func TestHoleCloseCutsItsConnections(t *testing.T) {
	t.Parallel()
	h := newHole(listen(t), slog.New(slog.DiscardHandler), func() { t.Error("close called the callback meant for a hole closing by itself") })
	addr := h.addr
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan struct{})
	go func() {
		h.close()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not return within 10 s")
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the held connection was not cut")
	}
	waitFree(t, addr, 10*time.Second)
}

// The ingress in front of a hole gives no answer: the request ends in its client's
// timeout, well before the ingress's own upstream timeout (Skipper's 60 s).
func TestIngressBeforeAHoleLeavesTheClientWaiting(t *testing.T) {
	t.Parallel()
	h := newHole(listen(t), slog.New(slog.DiscardHandler), func() {})
	addr := h.addr
	t.Cleanup(h.close)
	table := newRouteTable(result.ViaIngress, 0, 0)
	table.apply(1, []endpoint{{Pod: "p", Addr: addr}})
	in, err := newIngress(table, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.close() })
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get(in.url())
	if err == nil {
		resp.Body.Close()
		t.Fatalf("through the ingress to a hole: %s, want the client's timeout", resp.Status)
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("through the ingress to a hole: %v, want the client's timeout", err)
	}
}
