package lab

import (
	"errors"
	"math"
	"slices"
	"strings"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"scalelab/loadtest/manifest"
)

// The HPA controller of Kubernetes v1.34 (pkg/controller/podautoscaler:
// replica_calculator.go, horizontal.go), its arithmetic alone, as the lab's autoscaler
// (hpa.go) runs it every AutoscalerSync: the current replicas are the Deployment's; the
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
// path (the scale-down window, then at most max(2 × current, 4)).

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
		limit := max(policyLimit(now, current, n.ups, n.downs, s.ScaleUp, true), current)
		if allowed := min(s.Max, limit); stable > allowed {
			if limit < s.Max {
				return allowed, "ScaleUpLimit"
			}
			return allowed, "TooManyReplicas"
		}
	case stable < current:
		limit := min(policyLimit(now, current, n.ups, n.downs, s.ScaleDown, false), current)
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

// policyLimit is the limit the scale-up policies (up) or the scale-down policies put on
// the replicas now: each policy's from the replicas at its period's start (a percentage
// rounded up on the way up, down on the way down), and of them the one that allows the
// most change (Max, the default) or the least (Min); current when the direction is
// Disabled. The controller's calculateScaleUpLimitWithScalingRules and
// calculateScaleDownLimitWithBehaviors, one function for both directions.
func policyLimit(now time.Time, current int32, ups, downs []scaleEvent, r manifest.Rules, up bool) int32 {
	if r.Select == autoscalingv2.DisabledPolicySelect {
		return current
	}
	// Taking the most change up is the largest proposal; down, the smallest.
	largest := up == (r.Select != autoscalingv2.MinChangePolicySelect)
	result := int32(math.MaxInt32)
	if largest {
		result = math.MinInt32
	}
	for _, p := range r.Policies {
		start := current - changed(now, p.Period, ups) + changed(now, p.Period, downs)
		step := p.Value
		if !up {
			step = -step
		}
		proposed := start + step
		if p.Type == autoscalingv2.PercentScalingPolicy {
			f := float64(start) * (1 + float64(step)/100)
			if up {
				f = math.Ceil(f)
			}
			proposed = int32(f)
		}
		if largest {
			result = max(result, proposed)
		} else {
			result = min(result, proposed)
		}
	}
	return result
}
