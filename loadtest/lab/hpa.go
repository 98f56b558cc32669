package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// The lab's HorizontalPodAutoscaler: metrics-server and the HPA controller of Kubernetes
// v1.34 (pkg/controller/podautoscaler: replica_calculator.go, horizontal.go), for the one
// HPA of the running configuration, fed by hello's own CPU.
//
// The metrics: every MetricsResolution each running container's CPU time is read from
// /proc/<pid>/stat (utime + stime of hello's process, 10 ms ticks), as the kubelet reads its
// cgroup; a pod's usage is the rate between its container's last two readings, stamped with
// the later one and with their distance as its window, as metrics-server computes it. A
// pod has no metric until its container has been read twice (a restart starts again).
// Left out: the preStop processes of a container, which a cgroup would count (only `hello
// sleep`), and the kubelet's own caching of the stats.
//
// The controller's arithmetic is hpacontroller.go; here are the metrics, the loop that
// runs them both every sync, and the replicas set as `kubectl scale` sets them, every
// reading on the timeline (result.EventAutoscaler).

// Defaults for Options.AutoscalerSync and Options.MetricsResolution.
const (
	// DefaultAutoscalerSync is how often the lab's HPA controller syncs: 5 s, as the bare
	// cluster's kube-controller-manager is run for the fast tests
	// (--horizontal-pod-autoscaler-sync-period; its own default is 15 s).
	DefaultAutoscalerSync = 5 * time.Second
	// DefaultMetricsResolution is how often the lab's metrics-server reads the pods' CPU:
	// 10 s, the least metrics-server's --metric-resolution accepts (its default is 60 s).
	DefaultMetricsResolution = 10 * time.Second
)

// cpuSample is one reading of a container's CPU time.
type cpuSample struct {
	ctr int // the container's id: a restart starts its samples again
	cpu time.Duration
	at  time.Time
}

// autoscaler is the running configuration's HPA on the lab: its metrics-server and its
// controller, in one goroutine (run); lab.mu guards status.
type autoscaler struct {
	lab        *Lab
	spec       *manifest.Autoscaler
	request    int64 // the hello container's cpu request, millicores
	sync       time.Duration
	resolution time.Duration
	cancel     context.CancelFunc

	// owned by run
	samples map[*pod][2]cpuSample // the last two readings, older first
	norm    normalizer

	// guarded by lab.mu
	current, desired int32 // status.currentReplicas and status.desiredReplicas
}

// startAutoscalerLocked stops the HPA of the configuration before and starts cfg's, if it
// has one.
func (l *Lab) startAutoscalerLocked(cfg *manifest.Config) {
	if l.hpa != nil {
		l.hpa.cancel()
		l.hpa = nil
	}
	if cfg.Autoscaler == nil {
		return
	}
	a := &autoscaler{
		lab: l, spec: cfg.Autoscaler, request: cfg.CPURequest(),
		sync: l.opts.AutoscalerSync, resolution: l.opts.MetricsResolution,
		samples: map[*pod][2]cpuSample{}, norm: normalizer{spec: cfg.Autoscaler},
	}
	if a.sync <= 0 {
		a.sync = DefaultAutoscalerSync
	}
	if a.resolution <= 0 {
		a.resolution = DefaultMetricsResolution
	}
	var ctx context.Context
	ctx, a.cancel = context.WithCancel(l.ctx)
	l.hpa = a
	l.logger().Info("autoscaler", "hpa", a.spec.String(), "sync", a.sync, "resolution", a.resolution)
	l.wg.Go(func() { a.run(ctx) })
}

// Autoscaling is the HPA's status as its controller last wrote it: status.currentReplicas
// (the Deployment's replicas when it synced) and status.desiredReplicas (what it scaled
// to, or kept); both 0 before its first sync.
func (l *Lab) Autoscaling(context.Context) (current, desired int32, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hpa == nil {
		return 0, 0, errors.New("lab: the running configuration has no HorizontalPodAutoscaler")
	}
	return l.hpa.current, l.hpa.desired, nil
}

// run reads the metrics every resolution and syncs every sync period, both from now; when
// both fall due together the metrics come first.
func (a *autoscaler) run(ctx context.Context) {
	nextRead, nextSync := time.Now(), time.Now()
	for {
		next := nextRead
		if nextSync.Before(next) {
			next = nextSync
		}
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if !nextRead.After(next) {
			a.read()
			nextRead = nextRead.Add(a.resolution)
		}
		if !nextSync.After(next) {
			a.reconcile()
			nextSync = nextSync.Add(a.sync)
		}
	}
}

// read samples the CPU time of every running container, as the kubelet's stats and
// metrics-server's scrape do.
func (a *autoscaler) read() {
	type target struct {
		p   *pod
		ctr int
		pid int
	}
	var targets []target
	l := a.lab
	l.mu.Lock()
	for _, p := range l.podsLocked() {
		if c := p.ctr; c != nil && c.running && !p.terminating {
			targets = append(targets, target{p, c.id, c.proc.pid()})
		}
	}
	l.mu.Unlock()
	seen := map[*pod]bool{}
	for _, t := range targets {
		cpu, err := processCPU(t.pid)
		if err != nil {
			continue // gone meanwhile: no reading, as a scrape of a container that ended
		}
		seen[t.p] = true
		s := a.samples[t.p]
		now := cpuSample{ctr: t.ctr, cpu: cpu, at: time.Now()}
		if s[1].ctr != t.ctr {
			s[1] = cpuSample{} // a restart: the earlier container's readings say nothing
		}
		a.samples[t.p] = [2]cpuSample{s[1], now}
	}
	for p := range a.samples {
		if !seen[p] {
			delete(a.samples, p)
		}
	}
}

// metric is p's usage from its last two readings of the container running now (nil when
// there are not two).
func (a *autoscaler) metric(p *pod) *podMetric {
	s, ok := a.samples[p]
	if !ok || s[0].at.IsZero() || p.ctr == nil || s[1].ctr != p.ctr.id {
		return nil
	}
	window := s[1].at.Sub(s[0].at)
	if window <= 0 {
		return nil
	}
	nanocores := float64(s[1].cpu-s[0].cpu) / window.Seconds()
	return &podMetric{value: int64(math.Ceil(nanocores / 1e6)), at: s[1].at, window: window}
}

// reconcile is one sync of the controller: compute, normalize, scale, and put the reading
// on the timeline.
func (a *autoscaler) reconcile() {
	l := a.lab
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.hpa != a || l.current == nil {
		return
	}
	now := time.Now()
	current := l.replicas
	a.norm.observe(now, current)
	var desired int32
	var reading, why string
	switch s := a.spec; {
	case current == 0 && s.Min != 0:
		desired, reading, why = 0, "scaling disabled", "ScalingDisabled"
	case current > s.Max:
		desired, reading, why = s.Max, "above maxReplicas", "TooManyReplicas"
	case current < s.Min:
		desired, reading, why = s.Min, "below minReplicas", "TooFewReplicas"
	default:
		var pods []podReading
		for _, p := range l.podsLocked() {
			pods = append(pods, podReading{
				name: p.name, deleting: p.terminating, pending: p.ctr == nil,
				ready: p.readyLocked(), readySince: p.readySince, start: p.created,
				request: a.request, metric: a.metric(p),
			})
		}
		c, err := resourceReplicas(now, current, s.TargetCPU, pods)
		if err != nil {
			// FailedComputeMetricsReplicas: no scaling this sync.
			a.current, a.desired = current, current
			l.event(result.EventAutoscaler, s.Name, fmt.Sprintf("cpu unknown (%v), %d → %d replicas", err, current, current))
			return
		}
		reading = fmt.Sprintf("cpu %d%% of %d%%", c.utilization, s.TargetCPU)
		if n := c.unready + c.missing; n > 0 {
			reading += fmt.Sprintf(" (%d of %d pods measured, %d unready, %d without a metric yet)", c.ready, c.ready+n, c.unready, c.missing)
		}
		desired, why = a.norm.normalize(now, current, c.desired)
		if why != "" {
			why = fmt.Sprintf("%s: %d recommended", why, c.desired)
		}
	}
	a.current, a.desired = current, desired
	detail := fmt.Sprintf("%s, %d → %d replicas", reading, current, desired)
	if why != "" {
		detail += "; " + why
	}
	l.event(result.EventAutoscaler, a.spec.Name, detail)
	if desired == current {
		return
	}
	a.norm.rescaled(now, current, desired)
	l.replicas = desired
	l.logger().Info("autoscaler rescale", "from", current, "to", desired,
		"kubectl", fmt.Sprintf("kubectl scale deployment/%s --replicas=%d", l.current.spec.deployment, desired))
	l.changedLocked()
}

// processCPU is the user and system CPU time of process pid so far, from /proc/<pid>/stat
// (fields 14 and 15, in USER_HZ ticks: 100 a second on Linux). Elsewhere there is no /proc:
// an error, and Deploy refuses an HPA (checkAutoscaler).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// Field 2, the command, is in parentheses and may hold spaces: count from its end.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// checkAutoscaler refuses an HPA where the lab cannot read a process's CPU time.
func checkAutoscaler(cfg *manifest.Config) error {
	if cfg.Autoscaler == nil {
		return nil
	}
	if _, err := processCPU(os.Getpid()); err != nil {
		return fmt.Errorf("lab: %s: HorizontalPodAutoscaler %s: the lab reads CPU time from /proc (Linux): %w", cfg.Name, cfg.Autoscaler.Name, err)
	}
	return nil
}
