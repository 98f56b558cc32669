package lint

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"scalelab/loadtest/manifest"
)

// webPods are the labels of web's pods, which the Services of TestCheckRoles select.
var webPods = map[string]string{"app": "web"}

// web is a Deployment of 3 pods that passes the workload's rules (maxUnavailable 0, and
// the PDB of TestCheckRoles), with these containers and native sidecars.
func web(containers, sidecars []corev1.Container) *manifest.Workload {
	d := &appsv1.Deployment{}
	d.Name = "web"
	d.Spec.Replicas = ptr.To[int32](3)
	d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: ptr.To(intstr.FromInt32(0))}
	d.Spec.Template.Labels = webPods
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](10)
	d.Spec.Template.Spec.Containers = containers
	for _, s := range sidecars {
		s.RestartPolicy = ptr.To(corev1.ContainerRestartPolicyAlways)
		d.Spec.Template.Spec.InitContainers = append(d.Spec.Template.Spec.InitContainers, s)
	}
	w, _ := manifest.WorkloadOf(d)
	return w
}

// service routes port 80 to target on the pods with these labels.
func service(name string, pods map[string]string, target intstr.IntOrString) *corev1.Service {
	s := &corev1.Service{}
	s.Name = name
	s.Spec.Selector = pods
	s.Spec.Ports = []corev1.ServicePort{{Port: 80, TargetPort: target}}
	return s
}

// TestCheckRoles: each container is judged by the rules of its role, and each of its
// findings says which role and why.
func TestCheckRoles(t *testing.T) {
	t.Parallel()
	requests := corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")}}
	preStop := func(seconds int64) *corev1.Lifecycle {
		return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: seconds}}}
	}
	// api serves on 8080, named http, with a readiness probe and a preStop sleep of 4 s.
	api := corev1.Container{Name: "api", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, Resources: requests,
		ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}},
		Lifecycle:      preStop(4)}
	logs := corev1.Container{Name: "logs", Resources: requests}
	proxy := func(seconds int64) corev1.Container {
		return corev1.Container{Name: "proxy", Ports: []corev1.ContainerPort{{ContainerPort: 15001}}, Resources: requests, Lifecycle: preStop(seconds)}
	}
	cs := func(c ...corev1.Container) []corev1.Container { return c }
	byNumber := []*corev1.Service{service("web", webPods, intstr.FromInt32(8080))}
	unset := service("web", webPods, intstr.IntOrString{})
	unset.Spec.Ports[0].Port = 8080
	servingAPI := "serving: has port http (8080), a targetPort of Service web"
	tests := []struct {
		name       string
		containers []corev1.Container
		sidecars   []corev1.Container // native ones
		svcs       []*corev1.Service
		roles      map[string]string // each container's role, as its findings say it
		fail       []string          // container/rule: the rules that fail; every other passes
	}{
		{name: "a log shipper beside the app", containers: cs(api, logs), svcs: byNumber,
			roles: map[string]string{"api": servingAPI, "logs": "sidecar: no port is a targetPort of Service web"}},
		{name: "a targetPort by name", containers: cs(logs, api), svcs: []*corev1.Service{service("web", webPods, intstr.FromString("http"))},
			roles: map[string]string{"api": servingAPI, "logs": "sidecar: no port is a targetPort of Service web"}},
		{name: "an unset targetPort is the Service's port", containers: cs(api, logs), svcs: []*corev1.Service{unset},
			roles: map[string]string{"api": servingAPI, "logs": "sidecar: no port is a targetPort of Service web"}},
		{name: "a mesh proxy that stops before the app", containers: cs(api, proxy(2)), svcs: byNumber,
			roles: map[string]string{"api": servingAPI, "proxy": "sidecar: no port is a targetPort of Service web"},
			fail:  []string{"proxy/sidecar"}},
		{name: "a mesh proxy that outlives the app", containers: cs(api, proxy(4)), svcs: byNumber,
			roles: map[string]string{"api": servingAPI, "proxy": "sidecar: no port is a targetPort of Service web"}},
		{name: "a native sidecar", containers: cs(api), sidecars: cs(proxy(0)), svcs: byNumber,
			roles: map[string]string{"api": servingAPI, "proxy": "sidecar: a native sidecar (an init container with restartPolicy Always)"}},
		{name: "no Service: the containers with a port serve", containers: cs(api, logs),
			roles: map[string]string{
				"api":  "serving: has port http (8080), and no Service here selects the pods: the containers with a port serve",
				"logs": "sidecar: has no port, and no Service here selects the pods: the containers with a port serve"}},
		{name: "a Service of other pods is none of theirs", containers: cs(api, logs),
			svcs: []*corev1.Service{service("db", map[string]string{"app": "db"}, intstr.FromInt32(8080))},
			roles: map[string]string{
				"api":  "serving: has port http (8080), and no Service here selects the pods: the containers with a port serve",
				"logs": "sidecar: has no port, and no Service here selects the pods: the containers with a port serve"}},
		{name: "one port for two Services of one name", containers: cs(api, logs),
			svcs:  []*corev1.Service{service("web", webPods, intstr.FromInt32(8080)), service("web", webPods, intstr.FromString("http"))},
			roles: map[string]string{"api": servingAPI, "logs": "sidecar: no port is a targetPort of Service web"}},
		{name: "no port the Service targets: each serves", containers: cs(api, logs),
			svcs: []*corev1.Service{service("web", webPods, intstr.FromInt32(9090))},
			roles: map[string]string{
				"api":  "serving: no container has a port that is a targetPort of Service web: each is judged as serving",
				"logs": "serving: no container has a port that is a targetPort of Service web: each is judged as serving"},
			fail: []string{"logs/readiness", "logs/startup", "logs/propagation"}},
		{name: "two Services, each for its container", containers: cs(api, proxy(0)),
			svcs:  []*corev1.Service{service("web", webPods, intstr.FromInt32(8080)), service("mesh", webPods, intstr.FromInt32(15001))},
			roles: map[string]string{"api": servingAPI, "proxy": "serving: has port 15001, a targetPort of Service mesh"},
			fail:  []string{"proxy/readiness", "proxy/startup", "proxy/propagation"}},
	}
	// The rules of each role, by the start of its name.
	rules := func(role string) []string {
		switch {
		case strings.HasPrefix(role, "sidecar: a native sidecar"):
			return []string{"sidecar"}
		case strings.HasPrefix(role, "sidecar: "):
			return []string{"sidecar", "grace-period", "drain", "requests"}
		}
		return []string{"readiness", "startup", "propagation", "grace-period", "drain", "requests"}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := web(tt.containers, tt.sidecars)
			m := &manifest.Manifests{Workloads: []*manifest.Workload{w}, Services: tt.svcs, PDBs: []*policyv1.PodDisruptionBudget{pdb("max", intstr.FromInt32(1))}}
			m.PDBs[0].Spec.Selector = &metav1.LabelSelector{MatchLabels: webPods}
			fs := Manifests(m, manifest.DefaultPropagation)
			judged := map[string][]string{} // container → its rules, in order
			for _, f := range fs {
				if f.Container == "" {
					if f.Role != "" {
						t.Errorf("%s: a workload's rule has a role: %q", f.Rule, f.Role)
					}
					judged[""] = append(judged[""], f.Rule)
				} else {
					judged[f.Container] = append(judged[f.Container], f.Rule)
				}
				if want, ok := tt.roles[f.Container]; ok && f.Role != want {
					t.Errorf("%s/%s: role %q, want %q", f.Container, f.Rule, f.Role, want)
				}
				if want := !slices.Contains(tt.fail, f.Container+"/"+f.Rule); f.OK != want {
					t.Errorf("%s/%s: OK = %v (%s), want %v", f.Container, f.Rule, f.OK, f.Detail, want)
				}
			}
			if got, want := judged[""], []string{"pdb", "max-unavailable"}; !slices.Equal(got, want) {
				t.Errorf("the workload judged by %v, want %v", got, want)
			}
			delete(judged, "")
			for name, role := range tt.roles {
				if got, want := judged[name], rules(role); !slices.Equal(got, want) {
					t.Errorf("%s (%s): judged by %v, want %v", name, role, got, want)
				}
				delete(judged, name)
			}
			for name := range judged {
				t.Errorf("%s judged, want no such container", name)
			}
			if got, want := Passed(fs), len(tt.fail) == 0; got != want {
				t.Errorf("Passed = %v, want %v", got, want)
			}
		})
	}
}
