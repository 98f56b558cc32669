//go:build unix

package lab

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/loopback"
	"scalelab/internal/testbin"
	"scalelab/loadtest/result"
)

// upstream is a loopback server that reads one request per connection and then does what
// the case says: answer, reset, or close without an answer.
func upstream(t *testing.T, behave func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					c.Close()
					return
				}
				behave(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// listen is a listener on a loopback address of its own (internal/loopback), closed when
// the test ends: nothing else can be given its address while the test holds it, nor just
// after.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := loopback.Listen()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func answer(c net.Conn) {
	io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Pod: up\r\nConnection: close\r\n\r\nok")
	c.Close()
}

// The ingress answers each upstream failure as Skipper v0.23.0 does (measured in the
// project's notes): refused 502, reset 503, closed without an answer 500, none left 502.
func TestIngressAnswersAsSkipper(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		addr func(t *testing.T) string // "" for no endpoint
		want int
	}{
		{"answers", func(t *testing.T) string { return upstream(t, answer) }, http.StatusOK},
		{"refused", func(t *testing.T) string { return testbin.Refused(t) }, http.StatusBadGateway},
		{"reset", func(t *testing.T) string { return upstream(t, reset) }, http.StatusServiceUnavailable},
		{"closed without answer", func(t *testing.T) string { return upstream(t, func(c net.Conn) { c.Close() }) }, http.StatusInternalServerError},
		{"no endpoint", nil, http.StatusBadGateway},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			table := newRouteTable(result.ViaIngress, 0, 0)
			if tc.addr != nil {
				table.apply(1, []endpoint{{Pod: "p", Addr: tc.addr(t)}})
			}
			in, err := newIngress(table, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { in.close() })
			for range 3 {
				resp, err := http.Get(in.url())
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tc.want {
					t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
				}
			}
		})
	}
}

// The service path resets the client when there is no endpoint or the upstream refuses,
// and keeps a connection pinned to its endpoint after the endpoint is removed.
func TestServiceForwarder(t *testing.T) {
	t.Parallel()
	t.Run("resets", func(t *testing.T) {
		t.Parallel()
		for _, eps := range [][]endpoint{nil, {{Pod: "gone", Addr: testbin.Refused(t)}}} {
			table := newRouteTable(result.ViaService, 0, 0)
			table.apply(1, eps)
			s, err := newService(table, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.close() })
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			_, err = client.Get(s.url())
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("endpoints %v: err %v, want a reset", eps, err)
			}
		}
	})
	t.Run("pinned", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ok")
		}))
		t.Cleanup(srv.Close)
		table := newRouteTable(result.ViaService, 0, 0)
		table.apply(1, []endpoint{{Pod: "p", Addr: srv.Listener.Addr().String()}})
		s, err := newService(table, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.close() })
		c, err := net.DialTimeout("tcp", s.ln.Addr().String(), 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for i := range 2 {
			if i == 1 {
				table.apply(2, nil) // removed: new connections fail, this one stays
			}
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			resp, err := http.ReadResponse(r, nil)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d: status %d", i, resp.StatusCode)
			}
		}
	})
}

// A polling ingress (Skipper) sees a change at its next poll: never later than one period,
// and at the same instant whenever the change happened within one period.
func TestRouteTableLag(t *testing.T) {
	t.Parallel()
	if got := newRouteTable(result.ViaService, time.Second, 0).lagLocked(); got != time.Second {
		t.Errorf("watching table: lag %s, want the propagation delay 1s", got)
	}
	poll := newRouteTable(result.ViaIngress, time.Second, 3*time.Second)
	poll.epoch = time.Now().Add(-1 * time.Second) // one second into a period
	if got := poll.lagLocked(); got <= 0 || got > 2*time.Second {
		t.Errorf("polling table one second into its period: lag %s, want about 2s", got)
	}
	// A new phase: the next poll half a second from now, the period kept.
	poll.rephaseLocked(500 * time.Millisecond)
	if got := poll.lagLocked(); got <= 400*time.Millisecond || got > 500*time.Millisecond {
		t.Errorf("polling table rephased to poll in 500ms: lag %s", got)
	}
	poll.epoch = poll.epoch.Add(-600 * time.Millisecond) // 600 ms later: that poll is past
	if got := poll.lagLocked(); got <= 2800*time.Millisecond || got > 2900*time.Millisecond {
		t.Errorf("polling table 100ms after its rephased poll: lag %s, want about 2.9s", got)
	}
}
