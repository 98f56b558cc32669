package kube

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// A matrix's provenance says which kind of cluster ran it, from the nodes' provider IDs.
func TestDescribe(t *testing.T) {
	t.Parallel()
	node := func(id string) corev1.Node { return corev1.Node{Spec: corev1.NodeSpec{ProviderID: id}} }
	for _, tc := range []struct {
		nodes []corev1.Node
		want  string
	}{
		{nil, "0 nodes"},
		{[]corev1.Node{node("")}, "1 node"}, // the bare cluster
		{[]corev1.Node{node("kind://podman/scalelab/scalelab-control-plane"), node("kind://podman/scalelab/scalelab-worker"),
			node("kind://podman/scalelab/scalelab-worker2")}, "kind on podman, 3 nodes"},
		{[]corev1.Node{node("kind://docker/kind/kind-control-plane")}, "kind on docker, 1 node"},
		{[]corev1.Node{node("aws:///eu-west-1a/i-0abc"), node("aws:///eu-west-1b/i-0def")}, "aws, 2 nodes"},
	} {
		if got := describe(tc.nodes); got != tc.want {
			t.Errorf("describe(%d nodes) = %q, want %q", len(tc.nodes), got, tc.want)
		}
	}
}
