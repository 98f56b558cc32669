package fromcluster

import (
	"net/http"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/attack"
)

func TestAttackersJob(t *testing.T) {
	t.Parallel()
	a := Attackers{N: 3}
	o := attack.Options{Target: "http://10.96.0.10:80/", Method: "GET", Rate: 600, KeepAlive: true,
		Header: http.Header{"Host": {"x.test"}}}
	if err := a.check(o); err != nil {
		t.Fatal(err)
	}
	owner := &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello", UID: "u1"}
	j := a.job("ns", o, 5*time.Second, owner)
	s := j.Spec
	switch {
	case *s.Completions != 3 || *s.Parallelism != 3 || *s.CompletionMode != batchv1.IndexedCompletion:
		t.Errorf("completions %d, parallelism %d, mode %s: want 3 attackers at once, indexed", *s.Completions, *s.Parallelism, *s.CompletionMode)
	case *s.BackoffLimit != 0 || *s.PodReplacementPolicy != batchv1.Failed || s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever:
		t.Error("a failed attacker must fail the run, not be replaced or restarted")
	case s.TTLSecondsAfterFinished == nil || s.ActiveDeadlineSeconds == nil:
		t.Error("no TTL or deadline: a killed loadtest would leave the job")
	case *s.ActiveDeadlineSeconds != int64((defaultBound + 5*time.Second + defaultStart).Seconds()):
		t.Errorf("deadline %ds: want the bound, the timeout and the start", *s.ActiveDeadlineSeconds)
	case len(j.OwnerReferences) != 1 || j.OwnerReferences[0].UID != "u1":
		t.Errorf("owners %v: want the workload", j.OwnerReferences)
	case s.Template.Labels["app.kubernetes.io/name"] != "":
		t.Error("the attackers must not carry the workload's labels: its Service would select them")
	}
	args := strings.Join(s.Template.Spec.Containers[0].Args, " ")
	for _, want := range []string{"attacker ", "--rate 600", "--attackers 3", "--duration 10m0s", "--timeout 5s", "--keepalive=true", "--header Host: x.test", "--summary /dev/termination-log"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
}

func TestAttackersCheck(t *testing.T) {
	t.Parallel()
	o := attack.Options{Target: "http://10.96.0.10/", Rate: 2}
	if err := (&Attackers{N: 3}).check(o); err == nil {
		t.Error("3 attackers for 2 requests/s: want an error")
	}
	paced := o
	paced.Pacer = attack.NewSteps(10)
	if err := (&Attackers{N: 1}).check(paced); err == nil {
		t.Error("a paced load: want an error")
	}
	a := Attackers{N: 1}
	o.Duration = 20 * time.Second
	if err := a.check(o); err != nil || a.Bound != 20*time.Second || a.Image != DefaultAttackerImage {
		t.Errorf("check: %v, bound %s, image %s: want the attack's duration as the bound, the default image", err, a.Bound, a.Image)
	}
}

func TestAttackerEnds(t *testing.T) {
	t.Parallel()
	term := func(code int32, reason, msg string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a-0"}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: attackerContainer,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, Message: msg}}}}
		return p
	}
	s, err := summaryOf(term(0, "Completed", `{"attacker":"attacker-0","requests":10,"ok":8,"errors":{"refused":2}}`))
	if err != nil || s.Requests != 10 || s.OK != 8 || s.Errors["refused"] != 2 {
		t.Errorf("summary %+v, %v", s, err)
	}
	if !exitedWell(term(0, "Completed", "")) || exitedWell(term(1, "Error", "")) {
		t.Error("exit 0 is an attacker that ended well, exit 1 is not")
	}
	if _, err := summaryOf(term(137, "Error", "")); err == nil || !strings.Contains(err.Error(), "137") {
		t.Errorf("a killed attacker: %v", err)
	}
	evicted := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "a-1"}, Status: corev1.PodStatus{
		Phase: corev1.PodFailed, Reason: "Evicted", Message: "The node was low on resource: memory."}}
	over, why := ended(evicted)
	if _, err := summaryOf(evicted); !over || !strings.Contains(why, "Evicted") || err == nil || !strings.Contains(err.Error(), "Evicted") {
		t.Errorf("an evicted attacker: ended %v (%s), summary error %v", over, why, err)
	}
	running := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{
		{Name: attackerContainer, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}}
	if over, _ := ended(running); over || !started(running) {
		t.Error("a running attacker has started and not ended")
	}
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{batchv1.JobCompletionIndexAnnotation: "2"}}}
	if n, ok := attackerName(p); !ok || n != "attacker-2" {
		t.Errorf("attacker name %q", n)
	}
}
