package lab

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// prober is one probe of one pod, run as the kubelet's probe worker runs it: it ticks every
// periodSeconds from the moment the kubelet admits the pod (pod.admission after its
// creation; not from the container's start), skips its turn while the container is younger
// than initialDelaySeconds (counted in whole seconds, as the kubelet truncates), counts
// consecutive results against success- and failureThreshold, keeps readiness and liveness
// off until the startup probe has passed, stops liveness and startup when the pod is
// deleted, and holds a failed liveness or startup probe until the restarted container
// appears. Initial results: readiness failure, liveness success, startup unknown (not
// started).
//
// The kubelet also probes readiness at once, off its tick, whenever it syncs a pod whose
// container is not ready, and its ticks count from there: the lab does so when a container
// starts and when any probe result of the pod changes, the events that make the kubelet
// sync.
type prober struct {
	pod  *pod
	spec *probeSpec

	// the worker's own state, touched by its goroutine only (under the lab's lock)
	ctr    int // id of the container the results belong to; 0 for none yet
	onHold bool
	last   bool
	run    int32

	trigger chan struct{} // an off-tick probe, buffered 1
	client  *http.Client
}

func newProber(p *pod, spec *probeSpec) *prober {
	return &prober{
		pod: p, spec: spec, trigger: make(chan struct{}, 1),
		client: &http.Client{
			Timeout: spec.timeout,
			Transport: &http.Transport{
				DisableKeepAlives: true,                                  // the kubelet opens a connection per probe
				TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, // as the kubelet does for scheme HTTPS
			},
			// The kubelet follows only redirects to the same host; any 3xx counts as success,
			// so stopping at the first answer gives the same verdict for a pod's own paths.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// kick asks for a probe now, off the tick; dropped when one is already pending.
func (w *prober) kick() {
	select {
	case w.trigger <- struct{}{}:
	default:
	}
}

// loop probes until the pod is gone, from the pod's admission on (the kubelet's AddPod).
// An off-tick probe moves the ticks to count from it, as the kubelet resets its ticker on a
// manual run.
func (w *prober) loop(ctx context.Context, admission time.Duration) {
	start := time.NewTimer(admission)
	select {
	case <-ctx.Done():
		start.Stop()
		return
	case <-start.C:
	}
	t := time.NewTicker(w.spec.period)
	defer t.Stop()
	for w.once(ctx) {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.trigger:
			t.Reset(w.spec.period)
		}
	}
}

// once is the kubelet's doProbe: it returns whether the worker goes on.
func (w *prober) once(ctx context.Context) bool {
	p, l := w.pod, w.pod.lab
	l.mu.Lock()
	c := p.ctr
	switch {
	case p.gone:
		l.mu.Unlock()
		return false
	case c == nil:
		l.mu.Unlock()
		return true
	}
	if c.id != w.ctr {
		w.ctr, w.onHold = c.id, false
		w.setLocked(c, w.spec.kind == "liveness") // the initial result
	}
	if w.onHold {
		l.mu.Unlock()
		return true
	}
	if !c.running {
		w.setLocked(c, false)
		l.mu.Unlock()
		return true
	}
	if p.terminating && w.spec.kind != "readiness" {
		l.mu.Unlock()
		return false // a deleted pod is not restarted by its probes
	}
	if int32(time.Since(c.startedAt).Seconds()) < w.spec.initialDelay ||
		c.started == (w.spec.kind == "startup") {
		l.mu.Unlock()
		return true
	}
	addr := ""
	if w.spec.port == p.spec.listenPort {
		addr = p.addr
	}
	l.mu.Unlock()

	ok, why := w.probe(ctx, addr)
	if ctx.Err() != nil {
		return false
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if p.ctr != c {
		return true // the container changed under the probe: its result is moot
	}
	if ok == w.last {
		w.run++
	} else {
		w.last, w.run = ok, 1
	}
	if !ok {
		l.logger().Debug("probe failed", "pod", p.name, "probe", w.spec.kind, "run", w.run, "why", why)
	}
	if (!ok && w.run < w.spec.failure) || (ok && w.run < w.spec.success) {
		return true
	}
	w.setLocked(c, ok)
	if !ok && w.spec.kind != "readiness" {
		w.onHold, w.run = true, 0
		p.requestRestart(c, w.spec, why)
	}
	return true
}

// setLocked records a result of the worker's kind on the container.
func (w *prober) setLocked(c *container, ok bool) {
	p := w.pod
	var changed bool
	switch w.spec.kind {
	case "startup":
		changed, c.started = c.started != ok, ok
		if changed && ok {
			p.lab.podEvent(p.name, "", kindPod, "startup probe succeeded", "")
		}
	case "readiness":
		changed, c.ready = c.ready != ok, ok
	case "liveness":
		changed, c.alive = c.alive != ok, ok
	}
	if changed {
		p.kickProbes()
		p.lab.changedLocked()
	}
}

// probe runs the probe once against addr (empty: a port hello does not listen on).
func (w *prober) probe(ctx context.Context, addr string) (bool, string) {
	if addr == "" {
		return false, fmt.Sprintf("dial tcp :%d: connection refused (hello listens on %d)", w.spec.port, w.pod.spec.listenPort)
	}
	if w.spec.http == nil {
		d := net.Dialer{Timeout: w.spec.timeout}
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			return false, err.Error()
		}
		conn.Close()
		return true, ""
	}
	return httpGet(ctx, w.client, addr, string(w.spec.http.Scheme), w.spec.http.Path, w.spec.http.HTTPHeaders)
}

// httpGet is the kubelet's HTTP GET, for probes and preStop hooks: a success is an answer
// from 200 to 399.
func httpGet(ctx context.Context, client *http.Client, addr, scheme, path string, headers []corev1.HTTPHeader) (bool, string) {
	if scheme == "" {
		scheme = "http"
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(strings.ToLower(scheme) + "://" + addr + path)
	if err != nil {
		return false, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, err.Error()
	}
	req.Header.Set("User-Agent", "kube-probe/1.34")
	req.Header.Set("Accept", "*/*")
	for _, h := range headers {
		if strings.EqualFold(h.Name, "Host") {
			req.Host = h.Value
			continue
		}
		req.Header.Set(h.Name, h.Value)
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10)) // the kubelet reads 10 KiB at most
	if resp.StatusCode < http.StatusOK || resp.StatusCode >= http.StatusBadRequest {
		return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
	}
	return true, ""
}
