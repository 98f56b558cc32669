package lab

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// pod is one replica: a name, a loopback address (its "pod IP", kept across restarts) and the
// hello process the kubelet runs in it, restarted when it exits or fails its liveness probe.
type pod struct {
	lab     *Lab
	rs      *replicaSet
	spec    *podSpec
	name    string
	addr    string
	created time.Time
	ctx     context.Context // cancelled: kill at once (Close, or Deploy replacing the pods)
	cancel  context.CancelFunc
	probers []*prober

	// The kubelet admits the pod this long after it is bound (its probe workers start),
	// and its first container runs sandbox later: both drawn (draws.go).
	admission, sandbox time.Duration

	// guarded by lab.mu
	node          string        // the node it is bound to; "" while Pending (nodes.go)
	unschedulable bool          // the scheduler found no node for it (once: its event is out)
	bound         chan struct{} // closed when it is bound to node
	ctr           *container    // the current container; nil before the first start
	restarts      int
	terminating   bool
	gone          bool
	shownReady    bool // the readiness last put on the timeline
	readySince    time.Time
	deleted       chan struct{}   // closed when the pod is deleted
	restart       chan restartReq // a failed liveness or startup probe; buffered 1
}

// container is one run of the pod's hello process.
type container struct {
	id        int
	proc      *process
	startedAt time.Time
	running   bool
	started   bool // the startup probe passed, or there is none
	ready     bool // the readiness probe's result
	alive     bool // the liveness probe's result
}

// readyLocked is the pod's Ready condition: running, started, and ready by its probe (or
// by having no readiness probe).
func (p *pod) readyLocked() bool {
	c := p.ctr
	return c != nil && c.running && c.started && (p.spec.readiness == nil || c.ready)
}

// kickProbes asks the readiness probe for an off-tick run, as a kubelet pod sync does.
func (p *pod) kickProbes() {
	for _, w := range p.probers {
		if w.spec.kind == "readiness" {
			w.kick()
		}
	}
}

// restartReq asks for container ctr to be restarted because its probe of kind failed.
type restartReq struct {
	ctr  int
	kind string
	why  string
}

// requestRestart is a failed liveness or startup probe's verdict; called under lab.mu.
func (p *pod) requestRestart(c *container, spec *probeSpec, why string) {
	select {
	case p.restart <- restartReq{c.id, spec.kind, why}:
		p.lab.logger().Debug("restart requested", "pod", p.name, "probe", spec.kind, "why", why)
	default:
	}
}

// deleteLocked starts the pod's deletion: its endpoint turns not ready at once (the caller's
// changedLocked publishes it) while the pod's goroutine runs the kubelet's kill.
func (p *pod) deleteLocked() {
	if p.terminating || p.gone {
		return
	}
	p.terminating = true
	// The event first: closing deleted wakes the pod's goroutine, whose SIGTERM must not
	// reach the timeline before the deletion that caused it.
	p.lab.podEvent(p.name, result.StepDeleting, kindPod, "deleting", "grace period "+p.spec.grace.String())
	close(p.deleted)
	p.lab.changedLocked()
}

// run is the kubelet's pod worker for this pod: start the container, restart it as
// restartPolicy Always does (with the crash-loop back-off), and kill it on deletion.
func (p *pod) run() {
	defer p.finish()
	out := p.output()
	if c, ok := out.(io.Closer); ok {
		defer c.Close()
	}
	if !p.pending() {
		return // deleted, or killed with the lab, before its container ran
	}
	watch := &listenWatch{p: p, out: out}
	var backoff time.Duration
	for id := 1; p.ctx.Err() == nil; id++ {
		select {
		case <-p.deleted:
			return // deleted while its container was being restarted
		default:
		}
		c, err := p.startContainer(id, watch)
		if err != nil {
			p.lab.podEvent(p.name, "", kindPod, "failed to start", err.Error())
		} else {
			why := p.wait(c)
			if why == "" {
				return // deleted or aborted: wait stopped the container
			}
			if time.Since(c.startedAt) > 10*time.Minute {
				backoff = 0 // the kubelet forgives a container that ran for 10 minutes
			}
		}
		// The first restart is immediate; then the kubelet backs off 10 s, doubling to 5 min.
		if backoff > 0 {
			p.lab.podEvent(p.name, "", kindPod, "back-off "+backoff.String(), "CrashLoopBackOff")
			select {
			case <-time.After(backoff):
			case <-p.deleted:
				return
			case <-p.ctx.Done():
				return
			}
		}
		backoff = min(max(2*backoff, 10*time.Second), 5*time.Minute)
	}
}

// pending waits for the pod to be bound to a node, then for its admission and sandbox
// before its first container starts, and reports whether it is still wanted then.
func (p *pod) pending() bool {
	select {
	case <-p.bound:
	case <-p.deleted:
		return false
	case <-p.ctx.Done():
		return false
	}
	t := time.NewTimer(p.admission + p.sandbox)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.deleted:
	case <-p.ctx.Done():
	}
	return false
}

// wait watches container c until it exits, fails a probe, or the pod is deleted, and
// returns why it must restart ("" when the pod is done).
func (p *pod) wait(c *container) string {
	for {
		select {
		case <-c.proc.exited:
			p.exited(c)
			return "exited"
		case r := <-p.restart:
			if r.ctr != c.id {
				continue // about a container already gone
			}
			grace := p.spec.grace
			probe := p.spec.liveness
			if r.kind == "startup" {
				probe = p.spec.startup
			}
			if probe.grace > 0 {
				grace = probe.grace
			}
			p.lab.podEvent(p.name, "", kindPod, r.kind+" failed: restarting", r.why)
			p.stop(c, grace)
			return r.kind
		case <-p.deleted:
			p.stop(c, p.spec.grace)
			return ""
		case <-p.ctx.Done():
			c.proc.killGroup()
			<-c.proc.exited
			p.exited(c)
			return ""
		}
	}
}

// startContainer starts the hello process of container id.
func (p *pod) startContainer(id int, out io.Writer) (*container, error) {
	args, env := p.spec.command(p.name, p.addr)
	proc, err := p.lab.spawner.start(p.ctx, p.lab.opts.Hello, args, env, out, 0)
	if err != nil {
		return nil, err
	}
	l := p.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	c := &container{id: id, proc: proc, startedAt: time.Now(), running: true, alive: true, started: p.spec.startup == nil}
	if id > 1 {
		p.restarts++
	}
	p.ctr = c
	detail, mark := fmt.Sprintf("pid %d, %s", proc.pid(), p.addr), ""
	if id > 1 {
		detail += fmt.Sprintf(", restart %d", p.restarts)
		mark = result.MarkRestart
	}
	l.record(result.Event{Kind: kindPod, Name: p.name + " started", Detail: detail, Mark: mark, Pod: p.name, Step: result.StepStarted})
	p.kickProbes()
	l.changedLocked()
	return c, nil
}

// exited records that container c's process has ended.
func (p *pod) exited(c *container) {
	l := p.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	c.running = false
	code := "exited " + fmt.Sprint(c.proc.code)
	if c.proc.code < 0 {
		code = "killed"
	}
	l.podEvent(p.name, result.StepExited, kindPod, code, "")
	l.changedLocked()
}

// stop is the kubelet's killContainer: the preStop hook, bounded by the grace period; then
// SIGTERM to the process with what is left of the grace period (whole seconds, at least
// 2 s); then SIGKILL. A container that exits early ends it early.
func (p *pod) stop(c *container, grace time.Duration) {
	start := time.Now()
	if p.spec.preStop.Kind != manifest.PreStopNone {
		p.preStop(c, grace)
		grace -= time.Duration(int64(time.Since(start).Seconds())) * time.Second
	}
	grace = max(grace, 2*time.Second)
	select {
	case <-c.proc.exited:
	default:
		p.lab.podEvent(p.name, result.StepSIGTERM, kindPod, "SIGTERM", fmt.Sprintf("pid %d, SIGKILL in %s", c.proc.pid(), grace))
		c.proc.signal(syscall.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-c.proc.exited:
		case <-t.C:
			p.lab.record(result.Event{Kind: kindPod, Name: p.name + " SIGKILL", Detail: "grace period over", Mark: result.MarkKill, Pod: p.name, Step: result.StepSIGKILL})
		case <-p.ctx.Done():
		}
	}
	c.proc.killGroup() // the container's end takes any hook process with it
	<-c.proc.exited
	p.exited(c)
}

// preStop runs the container's preStop hook for at most grace.
func (p *pod) preStop(c *container, grace time.Duration) {
	h := p.spec.preStop
	ctx, cancel := context.WithTimeout(p.ctx, grace)
	defer cancel()
	done := make(chan string, 1)
	switch h.Kind {
	case manifest.PreStopSleep:
		p.lab.podEvent(p.name, "", kindPod, "preStop sleep "+h.Sleep.String(), "sleep action")
		go func() {
			select {
			case <-time.After(h.Sleep):
				done <- ""
			case <-ctx.Done():
			}
		}()
	case manifest.PreStopExecSleep:
		p.lab.podEvent(p.name, "", kindPod, "preStop exec sleep "+h.Sleep.String(), "hello sleep "+h.Sleep.String())
		proc, err := p.lab.spawner.start(ctx, p.lab.opts.Hello, []string{"sleep", h.Sleep.String()}, nil, nil, c.proc.pgid)
		if err != nil {
			done <- err.Error()
			break
		}
		go func() {
			<-proc.exited
			if proc.code != 0 {
				done <- fmt.Sprintf("exit %d", proc.code)
				return
			}
			done <- ""
		}()
	case manifest.PreStopHTTPGet:
		g := h.HTTPGet
		p.lab.podEvent(p.name, "", kindPod, "preStop httpGet "+g.Path, "")
		go func() {
			if p.spec.preStopPort != p.spec.listenPort {
				done <- fmt.Sprintf("port %d: connection refused (hello listens on %d)", p.spec.preStopPort, p.spec.listenPort)
				return
			}
			_, why := httpGet(ctx, http.DefaultClient, p.addr, string(g.Scheme), g.Path, g.HTTPHeaders)
			done <- why
		}()
	}
	select {
	case why := <-done:
		if why != "" {
			p.lab.podEvent(p.name, "", kindPod, "preStop failed", why)
		}
	case <-ctx.Done():
		p.lab.podEvent(p.name, "", kindPod, "preStop timed out", "after "+grace.String())
	}
}

// output is where the pod's processes write: a file in LogDir, else nowhere.
func (p *pod) output() io.Writer {
	if p.lab.opts.LogDir == "" {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(p.lab.opts.LogDir, p.name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.lab.logger().Warn("pod log", "pod", p.name, "err", err)
		return nil
	}
	return f
}

// finish marks the pod gone once its last container has ended and, when it was deleted
// rather than killed with the lab, its sandbox has been torn down (sandboxTeardown): from
// then on its address answers nothing while a proxy still routes to it (vanishLocked).
func (p *pod) finish() {
	l := p.lab
	if p.ctx.Err() == nil {
		t := time.NewTimer(sandboxTeardown)
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p.gone = true
	p.cancel()
	p.rs.remove(p)
	l.podEvent(p.name, result.StepGone, kindPod, "deleted", "")
	l.vanishLocked(p)
	l.changedLocked()
}
