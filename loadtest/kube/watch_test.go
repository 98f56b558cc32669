package kube

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// The watch's events carry their pod and their step in the words every platform shares,
// as the lab's do: reports need not read them from the events' names.
func TestTransitionSteps(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	exited := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}
	var got []string
	for _, tr := range podTransitions("hello", nil, pod("a")) {
		got = append(got, tr.pod+" "+tr.step)
	}
	for _, tr := range podTransitions("hello", pod("a", ready(false)), pod("a", ready(true), containerState(running, 0))) {
		got = append(got, tr.pod+" "+tr.step)
	}
	for _, tr := range podTransitions("hello", pod("a", ready(true), containerState(running, 0)), pod("a", ready(false), deleting, containerState(exited, 0))) {
		got = append(got, tr.pod+" "+tr.step)
	}
	for _, tr := range endpointTransitions(slice(endpoint("a", true, true, false)), slice(endpoint("a", false, true, true))) {
		got = append(got, tr.pod+" "+tr.step)
	}
	for _, tr := range endpointTransitions(nil, slice(endpoint("b", true, true, false))) {
		got = append(got, tr.pod+" "+tr.step)
	}
	for _, tr := range endpointTransitions(slice(endpoint("b", false, false, true)), slice()) {
		got = append(got, tr.pod+" "+tr.step)
	}
	want := []string{
		"a " + result.StepCreated,
		"a " + result.StepStarted, "a " + result.StepReady,
		"a " + result.StepDeleting, "a " + result.StepExited, "a " + result.StepNotReady,
		"a " + result.StepEndpointTerminating,
		"b " + result.StepEndpointReady,
		"b " + result.StepEndpointRemoved,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %q,\nwant %q", got, want)
	}
}
