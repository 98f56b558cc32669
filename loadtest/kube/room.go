package kube

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Room is the CPU, in millicores, that the cluster's schedulable nodes have left to
// request: their allocatable CPU less what the pods on them request now. It is what lanes
// of a matrix can share (each lane's pods request their own).
func (c *Cluster) Room(ctx context.Context) (int64, error) {
	nodes, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("room on the nodes: %w", err)
	}
	pods, err := c.cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, fmt.Errorf("room on the nodes: %w", err)
	}
	return room(nodes.Items, pods.Items), nil
}

// room is the allocatable CPU of the schedulable, ready nodes less the requests of the
// pods bound to them and not finished, in millicores.
func room(nodes []corev1.Node, pods []corev1.Pod) int64 {
	free := map[string]int64{}
	for _, n := range nodes {
		if n.Spec.Unschedulable || !nodeReady(n) {
			continue
		}
		free[n.Name] = n.Status.Allocatable.Cpu().MilliValue()
	}
	for _, p := range pods {
		if _, ok := free[p.Spec.NodeName]; !ok || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		free[p.Spec.NodeName] -= PodCPU(p.Spec).MilliValue()
	}
	var total int64
	for _, m := range free {
		total += max(m, 0)
	}
	return total
}

// PodCPU is what a pod of this spec requests of a node's CPU, as the scheduler counts it
// (sidecars aside): the sum of its containers' requests, or its largest init container's
// when that is more.
func PodCPU(spec corev1.PodSpec) *resource.Quantity {
	sum := resource.Quantity{}
	for _, c := range spec.Containers {
		sum.Add(*c.Resources.Requests.Cpu())
	}
	for _, c := range spec.InitContainers {
		if r := c.Resources.Requests.Cpu(); r.Cmp(sum) > 0 {
			sum = r.DeepCopy()
		}
	}
	return &sum
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
