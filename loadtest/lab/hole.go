package lab

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"scalelab/loadtest/result"
)

// sandboxTeardown is how long after a deleted pod's last container has ended the pod is
// gone: the kubelet stops the pod's sandbox, which takes its network namespace and its IP
// with it, and the API server forgets the pod. Meanwhile the IP is still there and a
// connect to it is refused (an ingress answers 502).
//
// On the bare cluster (Kubernetes v1.34.4, results/bare) a pod left the API 0.46 s after
// its container's exit was reported at the median, 1.05 s at most (58 pods); but the lab
// sends SIGTERM the instant a pod is deleted and sees the exit at once, where the kubelet
// takes its time for both. What the proxies race against is the time from the deletion:
// on the cluster 0.47 to 2.12 s, median 1.08 s, for the pods with no preStop hook and no
// shutdown delay (23, naive, probes and the experiment). 1 s after the exit puts the
// lab's at 1.0 s for a hello that exits at once and 1.5 s for one that drains 300 ms
// requests, within that range, and after kube-proxy's lag (the lab's 1 s; 0.75 s
// measured): so the service path shows refused connections and no timeouts, as on the
// cluster, and the ingress, polling every 3 s, both 502s and timeouts (the fast matrix's
// naive scale-down via the ingress: 95 × 502 and 78 timeouts; the cluster's 74 and 76).
// Half of it, the exit-to-gone median alone, gave the service path timeouts the cluster
// never showed (in three fast matrices: 10 to 12 in the probes rollout restart, up to 15
// in the naive one).
const sandboxTeardown = time.Second

// holeLinger is how long a hole stays after the last route to it went, even with no
// connection left: a request that picked the address just before its route went still
// finds no answer there, as it would on a cluster.
const holeLinger = time.Second

// hole is the address of a pod that is gone while a proxy still routes to it. On a cluster
// that pod IP has no one behind it any more: a connection to it gets no answer at all, and
// the request waits until its client gives up (or the proxy's own upstream timeout, at
// Skipper 60 s, longer than any client here waits). Loopback never loses a packet, so a
// hole listens on the address, accepts every connection, reads what comes and never
// answers: the connect succeeds where a cluster's SYN goes unanswered, but the request
// waits just as long and ends the same way, in the client's timeout.
//
// Why not a listener that never accepts, whose full backlog drops SYNs as a cluster does:
// it cannot tell when the requests stuck in it are over, and closing it resets them, so a
// request still waiting would end as a reset (a 503 or 502 at the ingress) instead of a
// timeout. A hole sees each of its connections close, and closes itself once no proxy
// routes to the address (release), no connection is open and holeLinger has passed: from
// then on the address is free for a new pod. Until then it holds the address, so no new
// pod is given it (podAddr tries a listen first). Lab.Close closes every hole at once.
type hole struct {
	addr   string
	ln     net.Listener
	log    *slog.Logger
	closed func() // called once when the hole closes by itself, not by close

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	released time.Time // when no route pointed here any more; zero while one does
	done     bool      // the listener is closed
	wg       sync.WaitGroup
}

// openHole starts answering nothing at addr; closed is called once it closes by itself.
func openHole(addr string, log *slog.Logger, closed func()) (*hole, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return newHole(ln, log, closed), nil
}

// newHole answers nothing on ln, which it owns from now on.
func newHole(ln net.Listener, log *slog.Logger, closed func()) *hole {
	addr := ln.Addr().String()
	h := &hole{addr: addr, ln: ln, log: log, closed: closed, conns: map[net.Conn]struct{}{}}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		acceptLoop(ln, log, "hole "+addr, h.hold)
	}()
	return h
}

// hold keeps c open, unanswered, until its peer closes it; false once the hole is closed.
func (h *hole) hold(c net.Conn) bool {
	h.mu.Lock()
	if h.done {
		h.mu.Unlock()
		c.Close()
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()
	go func() {
		defer h.wg.Done()
		_, _ = io.Copy(io.Discard, c) // until the peer closes (or close cuts it)
		c.Close()
		h.mu.Lock()
		delete(h.conns, c)
		h.mu.Unlock()
		h.closeIfDone()
	}()
	return true
}

// release says that no proxy routes to the address any more.
func (h *hole) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.released.IsZero() {
		return
	}
	h.released = time.Now()
	time.AfterFunc(holeLinger, h.closeIfDone)
}

// closeIfDone closes the hole once it is released, empty, and has lingered.
func (h *hole) closeIfDone() {
	h.mu.Lock()
	if h.done || h.released.IsZero() || len(h.conns) > 0 || time.Since(h.released) < holeLinger {
		h.mu.Unlock()
		return
	}
	h.done = true
	h.mu.Unlock()
	h.ln.Close()
	h.log.Debug("hole closed", "addr", h.addr)
	h.closed()
}

// close closes the hole at once, cutting any connection still held, and waits for its
// goroutines.
func (h *hole) close() {
	h.mu.Lock()
	h.done = true
	for c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.ln.Close()
	h.wg.Wait()
}

// vanishLocked makes the address of pod p, gone now, a hole while a proxy still routes to
// it; the event says which. Nothing is done once the lab is closing.
func (l *Lab) vanishLocked(p *pod) {
	paths := l.routingLocked(p.addr)
	if len(paths) == 0 || l.ctx.Err() != nil {
		return
	}
	var h *hole
	h, err := openHole(p.addr, l.logger(), func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.holes[p.addr] == h {
			delete(l.holes, p.addr)
		}
	})
	if err != nil { // the address taken again already: it answers as its new owner does
		l.logger().Warn("hole", "pod", p.name, "addr", p.addr, "err", err)
		return
	}
	l.holes[p.addr] = h
	l.podEvent(p.name, result.StepUnanswered, kindEndpoint, "address unanswered", fmt.Sprintf("%s, still routed by the %s: no answer there until the routes drop it", p.addr, strings.Join(paths, " and ")))
}

// routingLocked lists the paths whose proxy routes to addr now.
func (l *Lab) routingLocked(addr string) []string {
	var out []string
	for _, t := range l.tables {
		if slices.ContainsFunc(t.current(), func(e endpoint) bool { return e.Addr == addr }) {
			out = append(out, t.path)
		}
	}
	return out
}

// releaseHole lets the hole at addr, if any, close once no proxy routes to it.
func (l *Lab) releaseHole(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.holes[addr]; h != nil && len(l.routingLocked(addr)) == 0 {
		h.release()
	}
}
