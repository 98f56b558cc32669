package manifest

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultPropagation is the default propagation budget: how long after a pod starts
// terminating a proxy may still send it requests. Skipper, the ingress of the cluster
// platforms, polls the API every 3 s, so it drops a terminating endpoint 0–3 s later
// (measured: 1.1 s); kube-proxy is faster. The worst of the two is the budget.
const DefaultPropagation = 3 * time.Second

// Finding is the verdict of one rule of Check on one configuration.
type Finding struct {
	Rule   string // short name, e.g. "grace-period"
	Why    string // the lesson behind the rule, one line
	OK     bool
	Detail string // what was found, with the numbers
}

// Passed reports whether every finding is OK.
func Passed(fs []Finding) bool {
	for _, f := range fs {
		if !f.OK {
			return false
		}
	}
	return true
}

// Check lints a rendered configuration against the takeaways of the tutorial: the rules a
// configuration must pass to scale and roll without losing a request when proxies take up
// to propagation to stop routing to a terminating pod.
func Check(c *Config, propagation time.Duration) []Finding {
	return []Finding{
		checkReadiness(c),
		checkStartup(c),
		checkPropagation(c, propagation),
		checkGracePeriod(c),
		checkDrain(c),
		checkPDB(c),
		checkRequests(c),
		checkMaxUnavailable(c),
	}
}

func checkReadiness(c *Config) Finding {
	f := Finding{Rule: "readiness", Why: "without a readiness probe distinct from liveness, a starting or stopping pod gets traffic it cannot answer"}
	r, l := c.Container.ReadinessProbe, c.Container.LivenessProbe
	switch {
	case r == nil:
		f.Detail = "no readiness probe"
	case r.HTTPGet == nil:
		f.Detail = "a tcpSocket readiness probe passes while hello shuts down"
	case l != nil && l.HTTPGet != nil && l.HTTPGet.Path == r.HTTPGet.Path && l.HTTPGet.Port == r.HTTPGet.Port:
		f.Detail = fmt.Sprintf("readiness probes the liveness endpoint %s", r.HTTPGet.Path)
	default:
		f.OK, f.Detail = true, fmt.Sprintf("readiness probes %s", r.HTTPGet.Path)
	}
	return f
}

func checkStartup(c *Config) Finding {
	f := Finding{Rule: "startup", Why: "a slow start must be covered by a startup probe or initialDelaySeconds, or liveness kills the pod before it is warm"}
	startup, _ := c.HelloDuration("startup-delay")
	s, r, l := c.Container.StartupProbe, c.Container.ReadinessProbe, c.Container.LivenessProbe
	switch {
	case s != nil:
		b := ProbeTimings(s).Earliest()
		f.OK = b > startup
		f.Detail = fmt.Sprintf("startup probe allows %s for a %s startup", b, startup)
	case r == nil:
		f.Detail = fmt.Sprintf("no startup or readiness probe gates a %s startup", startup)
	case l == nil:
		f.OK, f.Detail = true, fmt.Sprintf("readiness gates a %s startup, no liveness probe", startup)
	default:
		b := ProbeTimings(l).Earliest()
		f.OK = b > startup
		f.Detail = fmt.Sprintf("liveness allows %s before it restarts the pod, for a %s startup", b, startup)
	}
	return f
}

func checkPropagation(c *Config, propagation time.Duration) Finding {
	f := Finding{Rule: "propagation", Why: "a terminating pod must keep serving until every proxy has stopped routing to it (preStop sleep or shutdown delay)"}
	s := c.Shutdown()
	f.OK = s.Serving() >= propagation
	f.Detail = fmt.Sprintf("preStop %s + shutdown delay %s = %s %s propagation budget %s", s.PreStop.Sleep, s.Delay, s.Serving(), cmp(f.OK, "≥", "<"), propagation)
	if s.PreStop.Kind == PreStopHTTPGet {
		f.Detail += " (an httpGet hook counts as 0)"
	}
	return f
}

func checkGracePeriod(c *Config) Finding {
	f := Finding{Rule: "grace-period", Why: "the kubelet sends SIGKILL at terminationGracePeriodSeconds: it must outlast preStop + shutdown delay + drain (t3 > t1 + t2)"}
	s := c.Shutdown()
	f.OK = s.Grace > s.Serving()+s.Drain
	f.Detail = fmt.Sprintf("grace period %s %s preStop %s + shutdown delay %s + drain %s", s.Grace, cmp(f.OK, ">", "≤"), s.PreStop.Sleep, s.Delay, s.Drain)
	return f
}

func checkDrain(c *Config) Finding {
	f := Finding{Rule: "drain", Why: "the drain must outlast a request, or shutdown cuts the requests in flight"}
	drain := c.Shutdown().Drain
	req, _ := c.HelloDuration("request-delay")
	f.OK = drain >= req
	f.Detail = fmt.Sprintf("drain timeout %s %s request time %s", drain, cmp(f.OK, "≥", "<"), req)
	return f
}

func checkPDB(c *Config) Finding {
	f := Finding{Rule: "pdb", Why: "without a PodDisruptionBudget a node drain may evict every pod at once"}
	if c.PDB == nil {
		f.Detail = "no PodDisruptionBudget selects the pods"
		return f
	}
	f.OK, f.Detail = true, "PodDisruptionBudget "+c.PDB.Name
	return f
}

func checkRequests(c *Config) Finding {
	f := Finding{Rule: "requests", Why: "without resource requests the scheduler packs pods where they starve, and slow probes fail"}
	var missing []string
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Container.Resources.Requests[r]; !ok || q.Cmp(resource.Quantity{}) <= 0 {
			missing = append(missing, string(r))
		}
	}
	f.OK = len(missing) == 0
	if f.OK {
		req := c.Container.Resources.Requests
		f.Detail = fmt.Sprintf("requests cpu %s, memory %s", req.Cpu(), req.Memory())
	} else {
		f.Detail = "no request for " + strings.Join(missing, ", ")
	}
	return f
}

func checkMaxUnavailable(c *Config) Finding {
	f := Finding{Rule: "max-unavailable", Why: "a rollout must not take a serving pod away before its replacement is ready"}
	_, u := c.Strategy()
	f.OK = u == 0
	f.Detail = fmt.Sprintf("maxUnavailable resolves to %d of %d replicas", u, c.Replicas())
	return f
}

func cmp(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
