package lint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/manifest"
)

// Role is the part a container plays in its pod, which decides the rules Check judges it
// by: a serving container answers the Service's requests; a sidecar runs beside it (a log
// shipper, a mesh proxy).
type Role struct {
	manifest.Target
	Sidecar bool   // a sidecar; false: a serving container
	Native  bool   // a native sidecar: an init container with restartPolicy Always
	Why     string // why Check takes it to play the part: "has port 8080, a targetPort of Service web"
}

// String is the role and why, as a finding names it: "sidecar: no port is a targetPort of
// Service web".
func (r Role) String() string {
	if r.Sidecar {
		return "sidecar: " + r.Why
	}
	return "serving: " + r.Why
}

// Roles are the roles of w's containers, given svcs, the Services that select its pods:
// a container with a port one of them targets (by number or by name) serves, the others
// are sidecars; with no Service, a container with a port serves. When no container has
// such a port, each serves: what Check cannot tell apart it judges by the stricter rules.
// The native sidecars follow, in order.
func Roles(w *manifest.Workload, svcs []*corev1.Service) []Role {
	var rs []Role
	serving := false
	for _, t := range w.Targets() {
		r := Role{Target: t, Sidecar: true}
		if p, by := servedPort(t.Spec, svcs); p != "" {
			r.Sidecar, serving = false, true
			r.Why = "has port " + p
			if len(by) > 0 {
				r.Why += ", " + targetOf(by)
			}
		}
		rs = append(rs, r)
	}
	for i := range rs {
		switch {
		case !serving && len(svcs) == 0:
			rs[i].Sidecar = false
			rs[i].Why = "no Service here selects the pods and no container has a port: each is judged as serving"
		case !serving:
			rs[i].Sidecar = false
			rs[i].Why = "no container has a port that is " + targetOf(svcs) + ": each is judged as serving"
		case rs[i].Sidecar && len(svcs) == 0:
			rs[i].Why = "has no port, and no Service here selects the pods: the containers with a port serve"
		case rs[i].Sidecar:
			rs[i].Why = "no port is " + targetOf(svcs)
		case len(svcs) == 0:
			rs[i].Why += ", and no Service here selects the pods: the containers with a port serve"
		}
	}
	for i, c := range w.Template.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			rs = append(rs, Role{Target: manifest.Target{Workload: w, Spec: &w.Template.Spec.InitContainers[i]}, Sidecar: true, Native: true,
				Why: "a native sidecar (an init container with restartPolicy Always)"})
		}
	}
	return rs
}

// servedPort is the first of c's ports that one of svcs targets (any port when there is
// no Service), as a finding names it: "8080", "http (8080)", and the Services that
// target it; "" when none is.
func servedPort(c *corev1.Container, svcs []*corev1.Service) (string, []*corev1.Service) {
	for _, cp := range c.Ports {
		if by := targeting(svcs, cp); len(svcs) == 0 || len(by) > 0 {
			return portName(cp), by
		}
	}
	return "", nil
}

// portName is a container port as a finding names it: "8080", "http (8080)".
func portName(cp corev1.ContainerPort) string {
	if cp.Name == "" {
		return strconv.Itoa(int(cp.ContainerPort))
	}
	return fmt.Sprintf("%s (%d)", cp.Name, cp.ContainerPort)
}

// targeting are those of svcs that send their requests to the container port cp: by a
// targetPort of its number or its name (an unset targetPort is the Service port's number).
func targeting(svcs []*corev1.Service, cp corev1.ContainerPort) []*corev1.Service {
	var by []*corev1.Service
	for _, s := range svcs {
		for _, sp := range s.Spec.Ports {
			tp := sp.TargetPort
			if tp.Type == intstr.Int && tp.IntVal == 0 {
				tp = intstr.FromInt32(sp.Port)
			}
			if tp.Type == intstr.Int && tp.IntVal == cp.ContainerPort || tp.Type == intstr.String && cp.Name != "" && tp.StrVal == cp.Name {
				by = append(by, s)
				break
			}
		}
	}
	return by
}

// targetOf names svcs for a role's why: "a targetPort of Service web" or "of Services a,
// b", each name once.
func targetOf(svcs []*corev1.Service) string {
	var names []string
	for _, s := range svcs {
		if !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	if len(names) == 1 {
		return "a targetPort of Service " + names[0]
	}
	return "a targetPort of Services " + strings.Join(names, ", ")
}

// check judges the container by the rules of its role: a serving container by readiness,
// startup, propagation, grace-period, drain and requests; a sidecar by the sidecar rule
// instead of the first three; a native sidecar, which the kubelet stops after the app
// containers, by the sidecar rule alone. serving are the serving containers of its pod.
func (r Role) check(serving []Role, propagation time.Duration) []Finding {
	t := r.Target
	switch {
	case r.Native:
		return []Finding{checkSidecar(r, serving)}
	case r.Sidecar:
		return []Finding{checkSidecar(r, serving), checkGracePeriod(t), checkDrain(t), checkRequests(t)}
	}
	return []Finding{checkReadiness(t), checkStartup(t), checkPropagation(t, propagation), checkGracePeriod(t), checkDrain(t), checkRequests(t)}
}

// checkSidecar: a sidecar with a port carries traffic (a mesh proxy in front of the app);
// if it stops before the app stops serving, the requests proxies still route to the pod
// fail in it. A native sidecar outlives the app by design; one with no port carries none.
func checkSidecar(r Role, serving []Role) Finding {
	f := Finding{Rule: "sidecar", OK: true, Why: "a sidecar that carries traffic (it has a port, as a mesh proxy) must outlive the container it fronts: " +
		"as a native sidecar, which Kubernetes stops after the app containers, or by a preStop as long as the app's preStop + shutdown delay"}
	switch {
	case r.Native:
		f.Detail = "a native sidecar: the kubelet stops it after the app containers"
	case len(r.Spec.Ports) == 0:
		f.Detail = "no port: it carries no traffic, and need not outlive the app"
	default:
		app := front(serving)
		s, a := r.Shutdown(), app.Shutdown()
		f.OK = s.PreStop.Sleep >= a.Serving()
		f.Detail = fmt.Sprintf("has port %s: preStop %s %s %s's preStop %s + shutdown delay %s = %s", portName(r.Spec.Ports[0]),
			s.PreStop.Sleep, cmp(f.OK, "≥", "<"), app.Spec.Name, a.PreStop.Sleep, a.Delay, a.Serving())
		f.Detail += notes(s.PreStopNote, a.PreStopNote, a.DelayNote)
	}
	return f
}

// front is the serving container that keeps serving longest once its pod is deleted: the
// one a sidecar must outlive. Beside a sidecar that is not native, serving is never empty
// (Roles).
func front(serving []Role) Role {
	f := serving[0]
	for _, r := range serving[1:] {
		if r.Shutdown().Serving() > f.Shutdown().Serving() {
			f = r
		}
	}
	return f
}
