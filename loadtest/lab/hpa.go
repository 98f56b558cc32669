package lab

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

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
// The controller, every AutoscalerSync: the current replicas are the Deployment's; the
// pods are all of its ReplicaSets'. Pods being deleted are ignored; pending ones (no
// container started yet) are unready; a pod with no metric is missing. Within the CPU
// initialization period (5 min from the pod's start, the controller's default) a pod is
// unready while not ready or while its sample began before it turned ready; after it,
// only while not ready and never ready. The utilisation is the ready pods' usage over
// their requests, in whole percent; desired = ceil(ratio × ready pods) unless |ratio − 1|
// ≤ 0.1; with unready or missing pods the ratio is computed again with them at 0 % (on a
// scale-up) or missing ones at 100 % (on a scale-down), and the change is dropped where
// that would reverse its direction. Then the behavior: the recommendations of the
// stabilization windows (scale-up the lowest, scale-down the highest) and the policies'
// limits on the change per period; an HPA with no behavior takes the controller's older
// path (the scale-down window, then at most max(2 × current, 4)). The replicas are set as
// `kubectl scale` sets them, and every reading goes on the timeline (result.EventAutoscaler).

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

// The controller's defaults (kube-controller-manager's flags).
const (
	tolerance               = 0.1             // --horizontal-pod-autoscaler-tolerance
	cpuInitializationPeriod = 5 * time.Minute // --horizontal-pod-autoscaler-cpu-initialization-period
	initialReadinessDelay   = 30 * time.Second
)

// podMetric is one pod's CPU usage as the metrics API gives it.
type podMetric struct {
	value  int64         // millicores, rounded up as Quantity.MilliValue rounds
	at     time.Time     // the later reading
	window time.Duration // between the two readings
}

// podReading is what the controller knows of one pod at a sync: the pod lister's fields and
// the metrics API's sample.
type podReading struct {
	name       string
	deleting   bool      // deletionTimestamp set
	pending    bool      // phase Pending: no container started yet
	ready      bool      // the Ready condition
	readySince time.Time // when Ready last turned true; zero: never
	start      time.Time // status.startTime
	request    int64     // the container's cpu request, millicores
	metric     *podMetric
}

// calculation is the outcome of one replica calculation, for the timeline.
type calculation struct {
	desired     int32
	utilization int32 // percent of the requests, of the ready pods with metrics
	ready       int   // pods whose metric counted
	unready     int   // pods counted at 0 % on a scale-up, else left out
	missing     int   // pods with no metric
}

// resourceReplicas is the replica calculator's GetResourceReplicas for a CPU utilisation
// target, in percent, at now.
func resourceReplicas(now time.Time, current, target int32, pods []podReading) (calculation, error) {
	var c calculation
	if len(pods) == 0 {
		return c, errors.New("no pods returned by selector while calculating replica count")
	}
	metrics := map[string]int64{}
	requests := map[string]int64{}
	var unready, missing []string
	for _, p := range pods {
		requests[p.name] = p.request
		switch {
		case p.deleting:
			continue
		case p.pending:
			unready = append(unready, p.name)
			continue
		case p.metric == nil:
			missing = append(missing, p.name)
			continue
		}
		var notReady bool
		if p.start.Add(cpuInitializationPeriod).After(now) {
			// Within the initialization period: a sample must be a whole window after the
			// pod turned ready.
			notReady = !p.ready || p.metric.at.Before(p.readySince.Add(p.metric.window))
		} else {
			notReady = !p.ready && p.readySince.IsZero()
		}
		if notReady {
			unready = append(unready, p.name)
			continue
		}
		metrics[p.name] = p.metric.value
		c.ready++
	}
	c.unready, c.missing = len(unready), len(missing)
	if len(metrics) == 0 {
		return c, errors.New("did not receive metrics for targeted pods (pods might be unready)")
	}
	ratio, util := utilizationRatio(metrics, requests, target)
	c.utilization = util
	within := func(r float64) bool { return 1-tolerance <= r && r <= 1+tolerance }
	upWithUnready := len(unready) > 0 && ratio > 1
	if !upWithUnready && len(missing) == 0 {
		c.desired = current
		if !within(ratio) {
			c.desired = int32(math.Ceil(ratio * float64(c.ready)))
		}
		return c, nil
	}
	if len(missing) > 0 {
		for _, name := range missing {
			switch {
			case ratio < 1: // on a scale-down, missing pods use all of their request
				metrics[name] = requests[name] * int64(max(100, target)) / 100
			case ratio > 1: // on a scale-up, none of it
				metrics[name] = 0
			}
		}
	}
	if upWithUnready {
		for _, name := range unready {
			metrics[name] = 0
		}
	}
	newRatio, _ := utilizationRatio(metrics, requests, target)
	c.desired = current
	if within(newRatio) || ratio < 1 && newRatio > 1 || ratio > 1 && newRatio < 1 {
		return c, nil // too small a change, or one that would reverse the direction
	}
	n := int32(math.Ceil(newRatio * float64(len(metrics))))
	if newRatio < 1 && n > current || newRatio > 1 && n < current {
		return c, nil
	}
	c.desired = n
	return c, nil
}

// utilizationRatio is the metrics client's GetResourceUtilizationRatio: the pods' usage over
// their requests in whole percent (truncated), and that over the target.
func utilizationRatio(metrics, requests map[string]int64, target int32) (float64, int32) {
	var used, requested int64
	for name, v := range metrics {
		used += v
		requested += requests[name]
	}
	if requested == 0 {
		return 0, 0
	}
	util := int32(used * 100 / requested)
	return float64(util) / float64(target), util
}

// recommendation is one sync's desired replicas before stabilization.
type recommendation struct {
	replicas int32
	at       time.Time
}

// scaleEvent is one rescale, by change replicas (positive), for the policies' periods.
type scaleEvent struct {
	change int32
	at     time.Time
}

// normalizer is the controller's memory of one HPA: its recent recommendations and rescales.
type normalizer struct {
	spec     *manifest.Autoscaler
	recs     []recommendation
	ups      []scaleEvent
	downs    []scaleEvent
	observed bool // recordInitialRecommendation has run
}

// observe records the current replicas as the first recommendation, once.
func (n *normalizer) observe(now time.Time, current int32) {
	if !n.observed {
		n.observed = true
		n.recs = []recommendation{{current, now}}
	}
}

// normalize turns the metrics' proposal into the replicas to scale to, and says what
// changed it ("" when nothing did): the stabilization windows (ScaleUpStabilized,
// ScaleDownStabilized), then the rate limits and the bounds (ScaleUpLimit, TooManyReplicas,
// ScaleDownLimit, TooFewReplicas), as the controller's conditions name them.
func (n *normalizer) normalize(now time.Time, current, proposal int32) (int32, string) {
	var stable int32
	var cutoffs []time.Time
	s := n.spec
	if s.Legacy {
		stable = proposal
		cutoff := now.Add(-s.ScaleDown.Window)
		for _, r := range n.recs {
			if !r.at.Before(cutoff) {
				stable = max(stable, r.replicas)
			}
		}
		cutoffs = []time.Time{cutoff}
	} else {
		upCutoff, downCutoff := now.Add(-s.ScaleUp.Window), now.Add(-s.ScaleDown.Window)
		up, down := proposal, proposal
		for _, r := range n.recs {
			if r.at.After(upCutoff) {
				up = min(up, r.replicas)
			}
			if r.at.After(downCutoff) {
				down = max(down, r.replicas)
			}
		}
		stable = min(max(current, up), down)
		cutoffs = []time.Time{upCutoff, downCutoff}
	}
	n.record(now, proposal, cutoffs...)
	var why []string
	if stable != proposal {
		why = append(why, map[bool]string{true: "ScaleUpStabilized", false: "ScaleDownStabilized"}[proposal >= current])
	}
	out, limit := n.limit(now, current, stable)
	if limit != "" {
		why = append(why, limit)
	}
	return out, strings.Join(why, ", ")
}

// limit bounds the stabilized recommendation by the rate limits and minReplicas and
// maxReplicas, and names the limit that bound it.
func (n *normalizer) limit(now time.Time, current, stable int32) (int32, string) {
	s := n.spec
	if s.Legacy { // convertDesiredReplicasWithRules
		upLimit := max(2*current, 4)
		switch {
		case stable < s.Min:
			return s.Min, "TooFewReplicas"
		case stable > min(s.Max, upLimit) && upLimit < s.Max:
			return upLimit, "ScaleUpLimit"
		case stable > s.Max:
			return s.Max, "TooManyReplicas"
		}
		return stable, ""
	}
	switch { // convertDesiredReplicasWithBehaviorRate
	case stable > current:
		limit := max(upLimit(now, current, n.ups, n.downs, s.ScaleUp), current)
		if allowed := min(s.Max, limit); stable > allowed {
			if limit < s.Max {
				return allowed, "ScaleUpLimit"
			}
			return allowed, "TooManyReplicas"
		}
	case stable < current:
		limit := min(downLimit(now, current, n.ups, n.downs, s.ScaleDown), current)
		if allowed := max(s.Min, limit); stable < allowed {
			if limit > s.Min {
				return allowed, "ScaleDownLimit"
			}
			return allowed, "TooFewReplicas"
		}
	}
	return stable, ""
}

// record keeps the proposal and forgets the recommendations older than every cutoff, as
// the controller overwrites them.
func (n *normalizer) record(now time.Time, proposal int32, cutoffs ...time.Time) {
	n.recs = slices.DeleteFunc(n.recs, func(r recommendation) bool {
		for _, c := range cutoffs {
			if !r.at.Before(c) {
				return false
			}
		}
		return true
	})
	n.recs = append(n.recs, recommendation{proposal, now})
}

// rescaled remembers a change of the replicas for the policies' periods.
func (n *normalizer) rescaled(now time.Time, from, to int32) {
	if n.spec.Legacy { // the controller stores none without a behavior
		return
	}
	keep := func(events []scaleEvent, r manifest.Rules) []scaleEvent {
		var longest time.Duration
		for _, p := range r.Policies {
			longest = max(longest, p.Period)
		}
		return slices.DeleteFunc(events, func(e scaleEvent) bool { return e.at.Before(now.Add(-longest)) })
	}
	if to > from {
		n.ups = append(keep(n.ups, n.spec.ScaleUp), scaleEvent{to - from, now})
	} else {
		n.downs = append(keep(n.downs, n.spec.ScaleDown), scaleEvent{from - to, now})
	}
}

// changed sums the changes of events within period before now.
func changed(now time.Time, period time.Duration, events []scaleEvent) int32 {
	var n int32
	for _, e := range events {
		if e.at.After(now.Add(-period)) {
			n += e.change
		}
	}
	return n
}

// upLimit is the most replicas the scale-up policies allow now: each policy's from the
// replicas at its period's start, the largest of them (Max) or the smallest (Min).
func upLimit(now time.Time, current int32, ups, downs []scaleEvent, r manifest.Rules) int32 {
	if r.Select == autoscalingv2.DisabledPolicySelect {
		return current
	}
	result := int32(math.MinInt32)
	if r.Select == autoscalingv2.MinChangePolicySelect {
		result = math.MaxInt32
	}
	for _, p := range r.Policies {
		start := current - changed(now, p.Period, ups) + changed(now, p.Period, downs)
		proposed := start + p.Value
		if p.Type == autoscalingv2.PercentScalingPolicy {
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		if r.Select == autoscalingv2.MinChangePolicySelect {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// downLimit is the fewest replicas the scale-down policies allow now.
func downLimit(now time.Time, current int32, ups, downs []scaleEvent, r manifest.Rules) int32 {
	if r.Select == autoscalingv2.DisabledPolicySelect {
		return current
	}
	result := int32(math.MaxInt32)
	if r.Select == autoscalingv2.MinChangePolicySelect {
		result = math.MinInt32
	}
	for _, p := range r.Policies {
		start := current - changed(now, p.Period, ups) + changed(now, p.Period, downs)
		proposed := start - p.Value
		if p.Type == autoscalingv2.PercentScalingPolicy {
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		if r.Select == autoscalingv2.MinChangePolicySelect {
			result = max(result, proposed)
		} else {
			result = min(result, proposed)
		}
	}
	return result
}

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
