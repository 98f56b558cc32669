package lab

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"
)

// service is an L4 forwarder standing in for kube-proxy: each new client connection goes
// to a random propagated ready endpoint and stays pinned to it, as a conntrack entry does,
// until either side closes; removing an endpoint does not cut the connections already
// pinned to it. A lost request therefore shows as a reset, refused or EOF, never as a 5xx;
// one sent to a pod already gone (a hole) gets no answer and ends in the client's timeout,
// as a connection DNATed to a vanished pod IP does.
//
// The one difference from iptables DNAT: with DNAT the client's own SYN reaches the pod,
// so a pod that no longer listens refuses the connection (ECONNREFUSED). Here the client's
// connection is already accepted by the forwarder when the upstream dial fails, so the
// same loss reaches the client as a reset (ECONNRESET), and so does "no endpoint", which
// iptables answers with an ICMP reject (also seen as refused). Count refused and reset
// together when comparing the lab's service path with a cluster's.
type service struct {
	table *routeTable
	ln    net.Listener
	log   *slog.Logger

	ledger *ledger // which pod each client connection went to, by the client's address

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// dialTimeout bounds the forwarder's connect to a pod. kube-proxy has none of its own (the
// client's SYN goes to the pod), and on loopback a connect is refused or done at once, a
// hole's too; it takes long only when this process is starved of CPU (a matrix of
// tutorial-timed configurations side by side on 2 cores stalled it for 2 s), which must
// not count as a lost request.
const dialTimeout = 10 * time.Second

func newService(table *routeTable, log *slog.Logger) (*service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("service: listen: %w", err)
	}
	s := &service{table: table, ln: ln, log: log, conns: map[net.Conn]struct{}{}, ledger: newLedger()}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

func (s *service) url() string { return "http://" + s.ln.Addr().String() + "/" }

// accept serves connections until the listener is closed.
func (s *service) accept() {
	defer s.wg.Done()
	acceptLoop(s.ln, s.log, "service path", func(c net.Conn) bool {
		if !s.track(c, true) {
			c.Close()
			return false
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.track(c, false)
			s.forward(c)
		}()
		return true
	})
}

// acceptLoop hands each connection ln accepts to handle, until ln is closed or handle
// returns false. Any other accept error (such as running out of file descriptors under a
// heavy matrix) is waited out, as net/http's server does: a listener that stopped
// accepting would leave every new client hanging in the kernel's backlog until its
// timeout, while the connections already accepted work.
func acceptLoop(ln net.Listener, log *slog.Logger, what string, handle func(net.Conn) bool) {
	var pause time.Duration
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			pause = min(max(2*pause, 5*time.Millisecond), time.Second)
			log.Warn(what+": accept failed, retrying", "err", err, "in", pause)
			time.Sleep(pause)
			continue
		}
		pause = 0
		if !handle(c) {
			return
		}
	}
}

// track adds or removes a connection of the set that close cuts; false once closed.
func (s *service) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.conns, c)
		return true
	}
	if s.closed {
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// forward pins client to one endpoint and copies both ways until both are done.
func (s *service) forward(client net.Conn) {
	ep, ok := s.table.random()
	if !ok {
		refuse(client)
		return
	}
	key := client.RemoteAddr().String()
	s.ledger.put(key, ep.Pod)
	defer s.ledger.end(key)
	up, err := net.DialTimeout("tcp", ep.Addr, dialTimeout)
	if err != nil {
		refuse(client)
		return
	}
	if !s.track(up, true) {
		reset(client)
		up.Close()
		return
	}
	defer s.track(up, false)
	done := make(chan struct{})
	go func() {
		pipe(up, client)
		close(done)
	}()
	pipe(client, up)
	<-done
	client.Close()
	up.Close()
}

// pipe copies from src to dst. When src ends cleanly it half-closes dst, as TCP passes a
// FIN through; when src was reset, it resets dst too, as a RST passes through a NAT.
func pipe(dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err != nil && (errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)) {
		reset(dst)
		return
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// refuse resets a client connection that has nowhere to go, once the client has sent its
// first bytes (or after a second): reset earlier, the client's own write could fail with
// a broken pipe instead, and the same loss would show under two names.
func refuse(c net.Conn) {
	_ = c.SetReadDeadline(time.Now().Add(time.Second))
	_, _ = c.Read(make([]byte, 1))
	reset(c)
}

// reset closes c with a RST instead of a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	c.Close()
}

func (s *service) close() error {
	err := s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}
