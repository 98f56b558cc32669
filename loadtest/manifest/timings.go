package manifest

import (
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
// kubelet sends SIGKILL at the grace period, counted from the deletion.
type Shutdown struct {
	PreStop PreStop       // the hook the kubelet runs first
	Delay   time.Duration // hello's --shutdown-delay: serving, not ready, after SIGTERM
	Drain   time.Duration // hello's --drain-timeout (its default when unset)
	Grace   time.Duration // terminationGracePeriodSeconds (30 s when unset)
}

// Shutdown reads how the container stops. It is for a Config that Render validated: the
// hook and the durations parse.
func (c *Config) Shutdown() Shutdown {
	ps, _ := c.PreStop()
	delay, _ := c.HelloDuration("shutdown-delay")
	drain := helloDrainTimeout
	if _, ok := c.HelloFlag(drainTimeoutFlag); ok {
		drain, _ = c.HelloDuration(drainTimeoutFlag)
	}
	return Shutdown{PreStop: ps, Delay: delay, Drain: drain, Grace: c.GracePeriod()}
}

// Serving is how long a deleted pod keeps serving before it closes its port: its preStop
// sleep and then its shutdown delay. Proxies that take longer to drop it lose requests.
// An httpGet hook counts as 0.
func (s Shutdown) Serving() time.Duration { return s.PreStop.Sleep + s.Delay }

// Startup is how long the container takes to turn ready by its own timing: hello's
// --startup-delay when a readiness probe waits for it, 0 when none does (the pod is ready
// the moment it starts).
func (c *Config) Startup() time.Duration {
	if c.Container.ReadinessProbe == nil {
		return 0
	}
	d, _ := c.HelloDuration("startup-delay")
	return d
}
