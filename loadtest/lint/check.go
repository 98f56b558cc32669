// Package lint judges manifests against the lessons of the tutorial: the rules a
// configuration must pass to scale and roll without losing a request (`loadtest check`).
// It judges each container of each Deployment and StatefulSet by the rules of its role,
// serving or sidecar (Roles, roles.go), given the Services that select its pods, then the
// workload itself (pdb, max-unavailable); a Finding says each rule's verdict and why.
// Package manifest renders and reads what it judges; lint keeps no state. Paths judges the
// files and directories `loadtest check` is given, and a Report prints what it found.
package lint

import (
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"scalelab/loadtest/manifest"
)

// Finding is the verdict of one rule of Check on one workload, or one of its containers.
type Finding struct {
	Object    string `json:"object"`              // the workload, as kubectl names it: deployment/web
	Container string `json:"container,omitempty"` // the container; empty for a rule on the workload
	Role      string `json:"role,omitempty"`      // the container's role and why (Role.String)
	Rule      string `json:"rule"`                // short name, e.g. "grace-period"
	OK        bool   `json:"ok"`
	Why       string `json:"why"`    // the lesson behind the rule, one line
	Detail    string `json:"detail"` // what was found, with the numbers
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
// to propagation to stop routing to a terminating pod. It judges each container of the
// configuration's workload by its role (Roles) given its Service, as Manifests does.
func Check(c *manifest.Config, propagation time.Duration) []Finding {
	var svcs []*corev1.Service
	if c.Service != nil {
		svcs = append(svcs, c.Service)
	}
	return checkWorkload(c.Owner(), svcs, c.PDB, propagation)
}

// Manifests lints every workload of m: each of its containers by the rules of its role,
// given the Services that select its pods (Roles, Role.check), then the workload itself
// (pdb, max-unavailable).
func Manifests(m *manifest.Manifests, propagation time.Duration) []Finding {
	var fs []Finding
	for _, w := range m.Workloads {
		fs = append(fs, checkWorkload(w, m.ServicesFor(w), m.PDBFor(w), propagation)...)
	}
	return fs
}

// checkWorkload judges w's containers by their roles given svcs, the Services that select
// its pods, then w with pdb, the PodDisruptionBudget that does (nil when none does).
func checkWorkload(w *manifest.Workload, svcs []*corev1.Service, pdb *policyv1.PodDisruptionBudget, propagation time.Duration) []Finding {
	rs := Roles(w, svcs)
	serving := slices.DeleteFunc(slices.Clone(rs), func(r Role) bool { return r.Sidecar })
	var fs []Finding
	for _, r := range rs {
		for _, f := range r.check(serving, propagation) {
			f.Object, f.Container, f.Role = w.String(), r.Spec.Name, r.String()
			fs = append(fs, f)
		}
	}
	return append(fs, checkOwner(w, pdb)...)
}

// checkOwner judges the workload itself, with the PDB that selects its pods (nil when none
// does).
func checkOwner(w *manifest.Workload, pdb *policyv1.PodDisruptionBudget) []Finding {
	fs := []Finding{checkPDB(w, pdb), checkMaxUnavailable(w)}
	for i := range fs {
		fs[i].Object = w.String()
	}
	return fs
}

func checkReadiness(t manifest.Target) Finding {
	f := Finding{Rule: "readiness", Why: "without a readiness probe distinct from liveness, a starting or stopping pod gets traffic it cannot answer"}
	r, l := t.Spec.ReadinessProbe, t.Spec.LivenessProbe
	if l == nil {
		l = &corev1.Probe{}
	}
	switch {
	case r == nil:
		f.Detail = "no readiness probe"
	case r.TCPSocket != nil:
		f.Detail = "a tcpSocket readiness probe passes while the container shuts down: its port is still open"
	case r.HTTPGet != nil && l.HTTPGet != nil && r.HTTPGet.Path == l.HTTPGet.Path && samePort(t, r.HTTPGet.Port, l.HTTPGet.Port):
		f.Detail = fmt.Sprintf("readiness probes the liveness endpoint %s", r.HTTPGet.Path)
	case r.HTTPGet != nil:
		f.OK, f.Detail = true, fmt.Sprintf("readiness probes %s", r.HTTPGet.Path)
	case r.GRPC != nil && l.GRPC != nil && r.GRPC.Port == l.GRPC.Port && ptr.Deref(r.GRPC.Service, "") == ptr.Deref(l.GRPC.Service, ""):
		f.Detail = fmt.Sprintf("readiness asks the liveness gRPC service %q", ptr.Deref(r.GRPC.Service, ""))
	case r.GRPC != nil:
		f.OK, f.Detail = true, fmt.Sprintf("readiness asks the gRPC health service %q on port %d", ptr.Deref(r.GRPC.Service, ""), r.GRPC.Port)
	case r.Exec != nil && l.Exec != nil && slices.Equal(r.Exec.Command, l.Exec.Command):
		f.Detail = fmt.Sprintf("readiness runs the liveness command %q", r.Exec.Command)
	case r.Exec != nil:
		f.OK, f.Detail = true, fmt.Sprintf("readiness runs %q", r.Exec.Command)
	default:
		f.Detail = "the readiness probe has no handler"
	}
	return f
}

// samePort reports whether two probe ports are the same port of the container, by number
// or by name.
func samePort(t manifest.Target, a, b intstr.IntOrString) bool {
	if a == b {
		return true
	}
	pa, errA := t.Port(a)
	pb, errB := t.Port(b)
	return errA == nil && errB == nil && pa == pb
}

func checkStartup(t manifest.Target) Finding {
	f := Finding{Rule: "startup", Why: "a slow start must be covered by a startup probe or initialDelaySeconds, or liveness kills the pod before it is warm"}
	startup, note := t.Setting("startup-delay")
	s, r, l := t.Spec.StartupProbe, t.Spec.ReadinessProbe, t.Spec.LivenessProbe
	switch {
	case s != nil:
		b := manifest.ProbeTimings(s).Earliest()
		f.OK = b > startup
		f.Detail = fmt.Sprintf("startup probe allows %s for a %s startup", b, startup)
	case r == nil:
		f.Detail = fmt.Sprintf("no startup or readiness probe gates a %s startup", startup)
	case l == nil:
		f.OK, f.Detail = true, fmt.Sprintf("readiness gates a %s startup, no liveness probe", startup)
	default:
		b := manifest.ProbeTimings(l).Earliest()
		f.OK = b > startup
		f.Detail = fmt.Sprintf("liveness allows %s before it restarts the pod, for a %s startup", b, startup)
	}
	f.Detail += notes(note)
	return f
}

func checkPropagation(t manifest.Target, propagation time.Duration) Finding {
	f := Finding{Rule: "propagation", Why: "a terminating pod must keep serving until every proxy has stopped routing to it (preStop sleep or shutdown delay)"}
	s := t.Shutdown()
	f.OK = s.Serving() >= propagation
	f.Detail = fmt.Sprintf("preStop %s + shutdown delay %s = %s %s propagation budget %s", s.PreStop.Sleep, s.Delay, s.Serving(), cmp(f.OK, "≥", "<"), propagation)
	f.Detail += notes(s.PreStopNote, s.DelayNote)
	return f
}

func checkGracePeriod(t manifest.Target) Finding {
	f := Finding{Rule: "grace-period", Why: "the kubelet sends SIGKILL at terminationGracePeriodSeconds: it must outlast preStop + shutdown delay + drain (t3 > t1 + t2)"}
	s := t.Shutdown()
	f.OK = s.Grace > s.Serving()+s.Drain
	f.Detail = fmt.Sprintf("grace period %s %s preStop %s + shutdown delay %s + drain %s", s.Grace, cmp(f.OK, ">", "≤"), s.PreStop.Sleep, s.Delay, s.Drain)
	f.Detail += notes(s.PreStopNote, s.DelayNote, s.DrainNote)
	return f
}

func checkDrain(t manifest.Target) Finding {
	f := Finding{Rule: "drain", Why: "the drain must outlast a request, or shutdown cuts the requests in flight"}
	s := t.Shutdown()
	req, note := t.Setting("request-delay")
	f.OK = s.Drain >= req
	f.Detail = fmt.Sprintf("drain timeout %s %s request time %s", s.Drain, cmp(f.OK, "≥", "<"), req)
	f.Detail += notes(s.DrainNote, note)
	return f
}

// checkPDB: a drain evicts every pod of a node at once (kubectl drain asks for every
// eviction together), so the budget must keep some pods serving while it lets at least one go.
func checkPDB(w *manifest.Workload, pdb *policyv1.PodDisruptionBudget) Finding {
	f := Finding{Rule: "pdb", Why: "a node drain evicts every pod it may at once: graceful shutdown does not keep one ready " +
		"while the replacements start, a PodDisruptionBudget does (and must let one go, or the drain waits forever)"}
	if pdb == nil {
		f.Detail = "no PodDisruptionBudget selects the pods: the Eviction API lets every one go at once"
		return f
	}
	n := w.Replicas()
	st, err := manifest.BudgetStatus(pdb, n, n, n)
	switch {
	case err != nil:
		f.Detail = err.Error()
	case st.DisruptionsAllowed >= n:
		f.Detail = fmt.Sprintf("PodDisruptionBudget %s (%s) lets every pod be evicted at once (%d of %d)", pdb.Name, budget(pdb), st.DisruptionsAllowed, n)
	case st.DisruptionsAllowed == 0:
		f.Detail = fmt.Sprintf("PodDisruptionBudget %s (%s) lets none of %d ready pods be evicted: a drain waits forever", pdb.Name, budget(pdb), n)
	default:
		f.OK = true
		f.Detail = fmt.Sprintf("PodDisruptionBudget %s (%s) lets %d of %d pods be evicted at a time, %d keep serving",
			pdb.Name, budget(pdb), st.DisruptionsAllowed, n, st.DesiredHealthy)
	}
	return f
}

// budget is a PodDisruptionBudget's rule in its own words: "maxUnavailable 1".
func budget(pdb *policyv1.PodDisruptionBudget) string {
	switch s := pdb.Spec; {
	case s.MaxUnavailable != nil:
		return "maxUnavailable " + s.MaxUnavailable.String()
	case s.MinAvailable != nil:
		return "minAvailable " + s.MinAvailable.String()
	}
	return "neither minAvailable nor maxUnavailable"
}

func checkRequests(t manifest.Target) Finding {
	f := Finding{Rule: "requests", Why: "without resource requests the scheduler packs pods where they starve, and slow probes fail"}
	req := t.Spec.Resources.Requests
	var missing []string
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := req[r]; !ok || q.Cmp(resource.Quantity{}) <= 0 {
			missing = append(missing, string(r))
		}
	}
	f.OK = len(missing) == 0
	if f.OK {
		f.Detail = fmt.Sprintf("requests cpu %s, memory %s", req.Cpu(), req.Memory())
	} else {
		f.Detail = "no request for " + strings.Join(missing, ", ")
	}
	return f
}

// checkMaxUnavailable: a Deployment can surge, so it passes only when a rollout takes no
// pod away before its replacement is ready (maxUnavailable 0). A StatefulSet cannot surge:
// it deletes a pod before it creates its replacement, one at a time (or maxUnavailable at
// a time), so the best it can do is keep the other replicas serving while one is replaced;
// it passes when replicas exceed what it takes down, and the readiness rule says whether
// the replacement gets traffic only when it can answer.
func checkMaxUnavailable(w *manifest.Workload) Finding {
	f := Finding{Rule: "max-unavailable", Why: "a rollout must not take a serving pod away before its replacement is ready"}
	_, u := w.Strategy()
	n := w.Replicas()
	if w.Kind == manifest.KindStatefulSet {
		f.OK = n > u
		f.Detail = fmt.Sprintf("a StatefulSet cannot surge: it replaces %d of %d replicas at a time, leaving %d serving", u, n, max(n-u, 0))
		return f
	}
	f.OK = u == 0
	f.Detail = fmt.Sprintf("maxUnavailable resolves to %d of %d replicas", u, n)
	return f
}

// notes is the non-empty ones of ns, in parentheses after a detail.
func notes(ns ...string) string {
	ns = slices.DeleteFunc(ns, func(n string) bool { return n == "" })
	if len(ns) == 0 {
		return ""
	}
	return " (" + strings.Join(ns, "; ") + ")"
}

func cmp(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}
