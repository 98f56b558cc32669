package kube

import (
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"
)

// In a lane, a Service's NodePort moves by the lane's index and every Ingress rule answers
// for the lane's host; load through the ingress names it.
func TestALaneHasWaysInOfItsOwn(t *testing.T) {
	t.Parallel()
	c := &Cluster{opts: Options{ServiceURL: "http://127.0.0.2:30080/"}, ns: "scalelab-lane-x",
		lane: &lane{index: 3, host: "scalelab-lane-x" + laneHostSuffix}}
	svc := &unstructured.Unstructured{Object: map[string]any{"kind": "Service", "spec": map[string]any{
		"ports": []any{map[string]any{"name": "http", "nodePort": int64(30080)}, map[string]any{"name": "metrics"}}}}}
	ing := &unstructured.Unstructured{Object: map[string]any{"kind": "Ingress", "spec": map[string]any{
		"rules": []any{map[string]any{"http": map[string]any{}}}}}}
	for _, o := range []*unstructured.Unstructured{svc, ing} {
		if err := c.inLane(o); err != nil {
			t.Fatal(err)
		}
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	if got := ports[0].(map[string]any)["nodePort"]; got != int64(30183) {
		t.Errorf("nodePort %v, want 30183", got)
	}
	if _, ok := ports[1].(map[string]any)["nodePort"]; ok {
		t.Errorf("a port without a nodePort got one: %v", ports[1])
	}
	rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
	if got := rules[0].(map[string]any)["host"]; got != "scalelab-lane-x.lanes.scalelab.test" || c.VirtualHost("ingress") != got {
		t.Errorf("rule host %v, virtual host %q; want the lane's", got, c.VirtualHost("ingress"))
	}
	if c.VirtualHost("service") != "" {
		t.Error("the Service path got a virtual host")
	}
	if got := c.laneURL(30080); got != "http://127.0.0.2:30183/" {
		t.Errorf("lane URL %s, want --service-url's host with the lane's NodePort", got)
	}
	plain := &Cluster{}
	if err := plain.inLane(svc); err != nil || plain.VirtualHost("ingress") != "" {
		t.Error("outside a lane, inLane and VirtualHost must do nothing")
	}
}

// The next run removes the lanes of a loadtest of this machine that no longer runs, waits
// for those already going, and leaves alone those of a running one and of another machine,
// which it names in its error: their NodePorts are taken.
func TestLeftoverLanesAreRemoved(t *testing.T) {
	t.Parallel()
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	now := metav1.Now()
	ns := func(name, holder string, deleting bool) *corev1.Namespace {
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{laneLabel: "0"},
			Annotations: map[string]string{holderAnnotation: holder}}}
		if deleting {
			n.DeletionTimestamp = &now
		}
		return n
	}
	cs := fake.NewClientset(
		ns("killed", host+"/"+strconv.Itoa(gone.ProcessState.Pid()), false),
		ns("running", host+"/"+strconv.Itoa(os.Getppid()), false),
		ns("mine", holder(), false),
		ns("elsewhere", "another-machine/1", false),
		ns("going", host+"/"+strconv.Itoa(gone.ProcessState.Pid()), true),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "default"}},
	)
	c := &Cluster{opts: Options{Out: io.Discard}, cs: cs}
	removed, err := c.ClaimLanes(t.Context())
	if !slices.Equal(removed, []string{"killed"}) {
		t.Errorf("removed %q, want only the killed loadtest's lane", removed)
	}
	left, _ := cs.CoreV1().Namespaces().List(t.Context(), metav1.ListOptions{})
	if len(left.Items) != 4 {
		t.Errorf("%d namespaces left, want 4: the killed loadtest's two gone", len(left.Items))
	}
	held := "elsewhere (held by another-machine/1), running (held by " + host + "/" + strconv.Itoa(os.Getppid()) + ")"
	want := "lanes: another loadtest's lanes are on this cluster, and theirs would take the same NodePorts: " + held +
		"; wait for it to end, or delete those namespaces if it no longer runs"
	if err == nil || err.Error() != want {
		t.Errorf("error %v; want only %q: the lanes of a running loadtest and of another machine", err, want)
	}
}

// The room of a cluster is the allocatable CPU of its schedulable, ready nodes less what
// their unfinished pods request.
func TestRoom(t *testing.T) {
	t.Parallel()
	node := func(name, cpu string, ready, cordoned bool) corev1.Node {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Unschedulable: cordoned},
			Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)},
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}}}
	}
	pod := func(nodeName, cpu string, phase corev1.PodPhase) corev1.Pod {
		return corev1.Pod{Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{
			{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}},
			{}}}, Status: corev1.PodStatus{Phase: phase}}
	}
	nodes := []corev1.Node{node("a", "2", true, false), node("b", "4", true, true), node("c", "4", false, false)}
	pods := []corev1.Pod{pod("a", "250m", corev1.PodRunning), pod("a", "100m", corev1.PodPending),
		pod("a", "1", corev1.PodSucceeded), pod("b", "1", corev1.PodRunning), pod("", "1", corev1.PodPending)}
	if got := room(nodes, pods); got != 1650 {
		t.Errorf("room %dm, want 1650m: node a's 2000m less 350m requested", got)
	}
}

// A cluster whose API server answers on loopback runs on this machine.
func TestLocal(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"https://127.0.0.1:6443": true, "https://[::1]:6443": true, "https://localhost:38211": true,
		"https://10.0.0.1:6443": false, "https://api.example.test": false, "": false,
	} {
		if got := (&Cluster{host: host}).Local(); got != want {
			t.Errorf("Local() of %q = %v, want %v", host, got, want)
		}
	}
}
