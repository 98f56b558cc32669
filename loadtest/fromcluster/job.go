// Package fromcluster is load from inside the cluster (--from cluster): the attack runs as
// a Job of attacker pods, each running `loadtest attacker` at its share of the rate with
// its own connection pool, aimed at a URL the pods reach — the workload's Service by its
// ClusterIP (result.ViaClusterIP), through kube-proxy on their own node. Each pod streams
// every result in vegeta's CSV encoding to its log; Attack follows the logs through the
// API server and merges them (attack.Collector) into the one result.Run the reports read,
// while the scenario's actions and the timeline stay where loadtest runs, on the
// kube.Cluster. The pods and the Job are deleted when the attack ends, after Ctrl-C too; a
// TTL, a deadline and an owner reference (the workload) remove what a killed loadtest
// left. An attacker pod that fails, is evicted or is deleted by anyone else, or whose
// results did not all arrive, is an error of the run, never silently fewer requests.
//
// job.go is the Job and how its pods end; attack.go runs one attack; attacker.go is what
// the commands call, on loadtest's side and in each pod (Attacker). While an attack runs,
// its watch, its log streams and its caller share one lock, which guards what the pods
// did: the results before the merge began, the pods seen and how each ended, and the
// failures (attackRun.mu).
package fromcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/result"
)

// Attackers say how the attacker pods run.
type Attackers struct {
	N     int    // how many pods share the rate: 1 to MaxAttackers
	Image string // the image of loadtest: DefaultAttackerImage
	// Bound is the longest one attack may last, in each pod (its --duration) and, with the
	// request timeout and a margin, the Job's activeDeadlineSeconds: 10 minutes when 0.
	Bound time.Duration
	// Start is how long the pods may take to be scheduled and send their first results:
	// 2 minutes when 0.
	Start time.Duration
}

// Defaults of Attackers, and the limits.
const (
	DefaultAttackerImage = "scalelab/loadtest:dev" // written by cmd/image, imported by clusters/bare/up.sh
	MaxAttackers         = 16
	defaultBound         = 10 * time.Minute
	defaultStart         = 2 * time.Minute
	attackersTTL         = 60 // seconds a finished Job stays before the TTL controller deletes it
	attackerLabel        = "scalelab.dev/attackers"
	attackerContainer    = "attacker"
)

// CheckN refuses a number of attacker pods outside 1 to MaxAttackers.
func (a Attackers) CheckN() error {
	if a.N < 1 || a.N > MaxAttackers {
		return fmt.Errorf("--attackers %d: want 1 to %d", a.N, MaxAttackers)
	}
	return nil
}

// check validates a and fills in its defaults, against the attack o it is to run.
func (a *Attackers) check(o attack.Options) error {
	if err := a.CheckN(); err != nil {
		return err
	}
	switch {
	case o.Pacer != nil:
		return errors.New("from the cluster the load is constant: a scenario that paces its load (autoscale) runs from the host")
	case o.Rate < a.N:
		return fmt.Errorf("--rate %d across %d attackers: want at least one request/s each", o.Rate, a.N)
	case o.Upstream != nil:
		return errors.New("from the cluster no proxy names the pod of a failed request")
	}
	if a.Image == "" {
		a.Image = DefaultAttackerImage
	}
	if a.Bound == 0 {
		a.Bound = defaultBound
	}
	if o.Duration > 0 {
		a.Bound = o.Duration
	}
	if a.Start == 0 {
		a.Start = defaultStart
	}
	return nil
}

// job is the Job of attackers for o: Indexed, one pod per attacker all at once, never
// retried (a failed attacker fails the run, it is not replaced), bounded by Bound.
func (a Attackers) job(ns string, o attack.Options, timeout time.Duration, owner *metav1.OwnerReference) *batchv1.Job {
	args := []string{"attacker", "--target", o.Target, "--method", o.Method,
		"--rate", strconv.Itoa(o.Rate), "--attackers", strconv.Itoa(a.N),
		"--duration", a.Bound.String(), "--timeout", timeout.String(),
		"--keepalive=" + strconv.FormatBool(o.KeepAlive), "--summary", "/dev/termination-log"}
	for name, vs := range o.Header {
		for _, v := range vs {
			args = append(args, "--header", name+": "+v)
		}
	}
	if len(o.Body) > 0 {
		args = append(args, "--body", string(o.Body))
	}
	n := int32(a.N)
	never, ttl, nonRoot, no := int32(0), int32(attackersTTL), true, false
	// The pods may run Bound, then answer their last requests (timeout), and start first.
	deadline := int64((a.Bound + timeout + a.Start).Seconds())
	grace := int64((timeout + 10*time.Second).Seconds())
	indexed := batchv1.IndexedCompletion
	replaceFailed := batchv1.Failed
	labels := map[string]string{kube.ManagedBy: kube.FieldManager, attackerLabel: "true"}
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "scalelab-attackers-", Namespace: ns, Labels: labels},
		Spec: batchv1.JobSpec{
			Completions: &n, Parallelism: &n, CompletionMode: &indexed, BackoffLimit: &never,
			PodReplacementPolicy: &replaceFailed, TTLSecondsAfterFinished: &ttl, ActiveDeadlineSeconds: &deadline,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                 corev1.RestartPolicyNever,
					TerminationGracePeriodSeconds: &grace,
					AutomountServiceAccountToken:  &no,
					EnableServiceLinks:            &no,
					SecurityContext:               &corev1.PodSecurityContext{RunAsNonRoot: &nonRoot},
					Containers: []corev1.Container{{
						Name: attackerContainer, Image: a.Image, ImagePullPolicy: corev1.PullIfNotPresent,
						Args: args,
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
							corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi"),
						}},
						TerminationMessagePolicy: corev1.TerminationMessageReadFile,
					}},
				},
			},
		},
	}
	if owner != nil {
		job.OwnerReferences = []metav1.OwnerReference{*owner}
	}
	return job
}

// summaryOf reads an attacker's own counts from its pod's final status: the termination
// message `loadtest attacker --summary` wrote. The error says how the pod ended otherwise.
func summaryOf(p *corev1.Pod) (attack.Summary, error) {
	var s attack.Summary
	for _, st := range p.Status.ContainerStatuses {
		if st.Name != attackerContainer {
			continue
		}
		t := st.State.Terminated
		switch {
		case t == nil:
			return s, fmt.Errorf("pod %s: its attacker has not ended", p.Name)
		case t.ExitCode != 0:
			return s, fmt.Errorf("pod %s: its attacker exited %d (%s): %s", p.Name, t.ExitCode, t.Reason, strings.TrimSpace(t.Message))
		}
		if err := json.Unmarshal([]byte(t.Message), &s); err != nil {
			return s, fmt.Errorf("pod %s: its attacker's counts %q: %w", p.Name, t.Message, err)
		}
		return s, nil
	}
	why := string(p.Status.Phase)
	if p.Status.Reason != "" {
		why += ", " + p.Status.Reason + ": " + p.Status.Message
	}
	return s, fmt.Errorf("pod %s ended without its attacker (%s)", p.Name, why)
}

// ended says whether the pod's attacker has ended, and how when it failed: the pod failed
// (evicted, out of memory, its deadline), its container terminated, or someone deleted it.
func ended(p *corev1.Pod) (bool, string) {
	if p.Status.Phase == corev1.PodFailed {
		why := "failed"
		if p.Status.Reason != "" {
			why = p.Status.Reason + ": " + p.Status.Message
		}
		return true, why
	}
	for _, st := range p.Status.ContainerStatuses {
		if t := st.State.Terminated; st.Name == attackerContainer && t != nil {
			return true, fmt.Sprintf("exited %d (%s)", t.ExitCode, t.Reason)
		}
	}
	if p.Status.Phase == corev1.PodSucceeded {
		return true, "succeeded"
	}
	return false, ""
}

// exitedWell says whether the pod's attacker ended by itself with exit status 0: the
// container's end reaches the pod's status before its phase turns Succeeded.
func exitedWell(p *corev1.Pod) bool {
	if p.Status.Phase == corev1.PodSucceeded {
		return true
	}
	for _, st := range p.Status.ContainerStatuses {
		if t := st.State.Terminated; st.Name == attackerContainer && t != nil && t.ExitCode == 0 {
			return true
		}
	}
	return false
}

// attackerName is the attacker a pod of the Job runs, by its completion index: the name
// its results carry.
func attackerName(p *corev1.Pod) (string, bool) {
	i, ok := p.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		return "", false
	}
	return "attacker-" + i, true
}

// logEvent puts an attacker's event on the run's timeline.
func logEvent(log *result.Log, name, detail string) {
	if log != nil {
		log.Add(result.EventPhase, name, detail)
	}
}
