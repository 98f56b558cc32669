package kube

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/scenario"
)

var _ interface {
	scenario.Drainer
	scenario.Renewer
} = (*Cluster)(nil)

func onNode(node string) func(*corev1.Pod) { return func(p *corev1.Pod) { p.Spec.NodeName = node } }

// Cordon patches the node as kubectl cordon and uncordon do, marking it with this process
// while cordoned; PodNodes reads each pod's node, Pending and terminating pods included.
func TestCordonAndPodNodes(t *testing.T) {
	t.Parallel()
	c, cs, out := fakeCluster(t, pod("a", onNode("w1")), pod("b", onNode("w2"), deleting), pod("c"))
	ctx := context.Background()
	if _, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	on, err := c.PodNodes(ctx)
	if err != nil || !maps.Equal(on, map[string]string{"a": "w1", "b": "w2", "c": ""}) {
		t.Errorf("pod nodes %v, %v", on, err)
	}
	node := func() *corev1.Node {
		n, err := cs.CoreV1().Nodes().Get(ctx, "w1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := c.Cordon(ctx, "w1", true); err != nil {
		t.Fatal(err)
	}
	if n := node(); !n.Spec.Unschedulable || n.Annotations[CordonedAnnotation] != holder() {
		t.Errorf("cordoned: unschedulable %v, annotations %v", n.Spec.Unschedulable, n.Annotations)
	}
	if err := c.Cordon(ctx, "w1", false); err != nil {
		t.Fatal(err)
	}
	if n := node(); n.Spec.Unschedulable || n.Annotations[CordonedAnnotation] != "" {
		t.Errorf("uncordoned: unschedulable %v, annotations %v", n.Spec.Unschedulable, n.Annotations)
	}
	if s := out.String(); !strings.Contains(s, "$ kubectl cordon w1\n") || !strings.Contains(s, "$ kubectl uncordon w1\n") {
		t.Errorf("printed %q", s)
	}
	if err := c.Cordon(ctx, "nowhere", true); err == nil || !strings.Contains(err.Error(), "cordon node nowhere") {
		t.Errorf("cordon of a node not there: %v", err)
	}
}

// A node that a loadtest no longer running cordoned is uncordoned; one this process holds,
// or nobody, is left as it is.
func TestUncordonLeftovers(t *testing.T) {
	t.Parallel()
	c, cs, _ := fakeCluster(t)
	ctx := context.Background()
	host := strings.Split(holder(), "/")[0]
	for name, by := range map[string]string{"killed": host + "/2147483647", "mine": holder(), "theirs": ""} {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.NodeSpec{Unschedulable: true}}
		if by != "" {
			n.Annotations = map[string]string{CordonedAnnotation: by}
		}
		if _, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	done, err := c.uncordonLeftovers(ctx)
	if err != nil || !slices.Equal(done, []string{"node killed (uncordoned)"}) {
		t.Errorf("uncordoned %v, %v; want killed's node only", done, err)
	}
	for name, want := range map[string]bool{"killed": false, "mine": true, "theirs": true} {
		n, _ := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if n.Spec.Unschedulable != want {
			t.Errorf("node %s unschedulable %v, want %v", name, n.Spec.Unschedulable, want)
		}
	}
}
