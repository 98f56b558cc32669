package manifest

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Kubernetes' defaults, as the API server fills them in when a manifest leaves them out.
const (
	defaultGracePeriod  = 30 * time.Second // terminationGracePeriodSeconds
	defaultProbePeriod  = 10               // periodSeconds
	defaultProbeTimeout = 1                // timeoutSeconds
	defaultProbeSuccess = 1                // successThreshold
	defaultProbeFailure = 3                // failureThreshold
	helloDrainTimeout   = 30 * time.Second // hello's --drain-timeout when a manifest sets none
	drainTimeoutFlag    = "drain-timeout"
)

// Probe is a probe's timing with the API server's defaults applied.
type Probe struct {
	InitialDelay time.Duration // initialDelaySeconds (0)
	Period       time.Duration // periodSeconds (10)
	Timeout      time.Duration // timeoutSeconds (1)
	Success      int32         // successThreshold (1)
	Failure      int32         // failureThreshold (3)
}

// ProbeTimings applies Kubernetes' defaults to p's timing fields.
func ProbeTimings(p *corev1.Probe) Probe {
	or := func(v, def int32) int32 {
		if v <= 0 {
			return def
		}
		return v
	}
	sec := func(n int32) time.Duration { return time.Duration(n) * time.Second }
	return Probe{
		InitialDelay: sec(p.InitialDelaySeconds),
		Period:       sec(or(p.PeriodSeconds, defaultProbePeriod)),
		Timeout:      sec(or(p.TimeoutSeconds, defaultProbeTimeout)),
		Success:      or(p.SuccessThreshold, defaultProbeSuccess),
		Failure:      or(p.FailureThreshold, defaultProbeFailure),
	}
}

// Earliest is the soonest the probe can act on a container that never answers: the first
// probe at InitialDelay, then Failure-1 more, Period apart.
func (p Probe) Earliest() time.Duration {
	return p.InitialDelay + time.Duration(p.Failure-1)*p.Period
}

// Latest is the longest it can take: Earliest, plus one Period for where the kubelet's
// probe worker happens to tick first.
func (p Probe) Latest() time.Duration { return p.Earliest() + p.Period }

// Shutdown is how the container of a deleted pod stops: the preStop hook, then SIGTERM,
// after which hello keeps serving for its shutdown delay and drains its requests; the
// kubelet sends SIGKILL at the grace period, counted from the deletion. For a container
// that is not hello the delay and the drain are what it declares (Target.Declared).
type Shutdown struct {
	PreStop PreStop       // the hook the kubelet runs first
	Delay   time.Duration // hello's --shutdown-delay: serving, not ready, after SIGTERM
	Drain   time.Duration // hello's --drain-timeout (its default when unset)
	Grace   time.Duration // terminationGracePeriodSeconds (30 s when unset)

	// The notes say how a number was counted when the manifest does not say it plainly: a
	// hook that is no sleep, a delay or drain nobody declared. Empty for hello as the lab
	// runs it.
	PreStopNote, DelayNote, DrainNote string
}

// Shutdown reads how the hello container stops (Target.Shutdown).
func (c *Config) Shutdown() Shutdown { return c.target().Shutdown() }

// Shutdown reads how the container stops. What it cannot count is 0, with a note: a
// preStop hook that is not a recognisable sleep, an httpGet hook, an undeclared delay or
// drain. hello's unset drain is its default, 30 s.
func (t Target) Shutdown() Shutdown {
	s := Shutdown{Grace: t.Workload.GracePeriod()}
	var err error
	if s.PreStop, err = t.PreStop(); err != nil {
		s.PreStopNote = "the preStop hook counts as 0: " + err.Error()
		if h := t.Spec.Lifecycle.PreStop; h.Exec != nil {
			s.PreStopNote = fmt.Sprintf("preStop exec %q is not a recognisable sleep: counted as 0", h.Exec.Command)
		}
	} else if s.PreStop.Kind == PreStopHTTPGet {
		s.PreStopNote = "an httpGet hook counts as 0"
	}
	s.Delay, s.DelayNote = t.Setting("shutdown-delay")
	if _, ok, err := t.Declared(drainTimeoutFlag); !ok && err == nil && t.IsHello() {
		s.Drain = helloDrainTimeout
	} else {
		s.Drain, s.DrainNote = t.Setting(drainTimeoutFlag)
	}
	return s
}

// Serving is how long a deleted pod keeps serving before it closes its port: its preStop
// sleep and then its shutdown delay. Proxies that take longer to drop it lose requests.
// An httpGet hook counts as 0.
func (s Shutdown) Serving() time.Duration { return s.PreStop.Sleep + s.Delay }

// Startup is how long the hello container takes to turn ready (Target.Startup).
func (c *Config) Startup() time.Duration { return c.target().Startup() }

// Startup is how long the container takes to turn ready by its own timing: its startup
// delay (hello's --startup-delay, or as declared) when a readiness probe waits for it, 0
// when none does (the pod is ready the moment it starts).
func (t Target) Startup() time.Duration {
	if t.Spec.ReadinessProbe == nil {
		return 0
	}
	d, _ := t.Setting("startup-delay")
	return d
}

// DefaultPropagation is the default propagation budget: how long after a pod starts
// terminating a proxy may still send it requests. Skipper, the ingress of the cluster
// platforms, polls the API every 3 s, so it drops a terminating endpoint 0–3 s later
// (measured: 1.1 s); kube-proxy is faster. The worst of the two is the budget.
const DefaultPropagation = 3 * time.Second
