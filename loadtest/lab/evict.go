package lab

import (
	"context"
	"errors"
	"fmt"

	policyv1 "k8s.io/api/policy/v1"

	"scalelab/loadtest/manifest"
)

// Evictable names the pods an eviction may take now: every pod not terminating.
func (l *Lab) Evictable(context.Context) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return nil, errors.New("lab: evict: nothing deployed")
	}
	var out []string
	for _, p := range l.podsLocked() {
		if !p.terminating {
			out = append(out, p.name)
		}
	}
	return out, nil
}

// Pods maps each pod not terminating to whether it is ready.
func (l *Lab) Pods(context.Context) (map[string]bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return nil, errors.New("lab: nothing deployed")
	}
	out := map[string]bool{}
	for _, p := range l.podsLocked() {
		if !p.terminating {
			out[p.name] = p.readyLocked()
		}
	}
	return out, nil
}

// Evict is the Eviction API (policy/v1) on the pod named, answered as the API server answers
// it (pkg/registry/core/pod/storage/eviction.go of Kubernetes v1.34). A pod already gone
// counts as evicted: the API's 404, which kubectl drain takes as done. A pod not yet running
// (phase Pending) or already terminating is deleted without asking the budget, as is every
// pod when no PodDisruptionBudget selects them. A pod not ready is deleted without spending
// the budget while the budget has its desired healthy pods (unhealthyPodEvictionPolicy
// IfHealthyBudget, the default), or always (AlwaysAllow). Any other eviction spends one of
// the status' disruptionsAllowed, or is refused with 429 TooManyRequests (Evict reports
// false) when none is left or the disruption controller has not computed the status yet.
// An evicted pod is deleted as DeletePod deletes one, gracefully, and its ReplicaSet
// replaces it at once.
func (l *Lab) Evict(_ context.Context, name string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return false, errors.New("lab: evict: nothing deployed")
	}
	l.event(kindAction, "evict pod "+name, "an eviction of pod "+name+" (policy/v1), as kubectl drain asks for one")
	var p *pod
	for _, q := range l.podsLocked() {
		if q.name == name {
			p = q
		}
	}
	if p == nil {
		l.event(kindAction, "evict pod "+name+": gone", "404 NotFound: evicted already")
		return true, nil
	}
	if why := l.refuseLocked(p); why != "" {
		l.event(kindAction, "evict pod "+name+" refused", "429 TooManyRequests: Cannot evict pod as it would violate the pod's disruption budget. "+why)
		return false, nil
	}
	p.deleteLocked()
	return true, nil
}

// refuseLocked is the budget's answer to an eviction of p: why it is refused, or "" when
// it is allowed (having spent a disruption when p counts as healthy).
func (l *Lab) refuseLocked(p *pod) string {
	if l.pdb == nil || p.ctr == nil || p.terminating {
		return ""
	}
	st := l.disruption
	if st == nil {
		return fmt.Sprintf("The disruption budget %s is still being processed by the server.", l.pdb.Name)
	}
	if !p.readyLocked() {
		policy := l.pdb.Spec.UnhealthyPodEvictionPolicy
		if policy != nil && *policy == policyv1.AlwaysAllow || st.CurrentHealthy >= st.DesiredHealthy && st.DesiredHealthy > 0 {
			return ""
		}
	}
	if st.DisruptionsAllowed <= 0 {
		return fmt.Sprintf("The disruption budget %s needs %d healthy pods and has %d currently", l.pdb.Name, st.DesiredHealthy, st.CurrentHealthy)
	}
	st.DisruptionsAllowed--
	return ""
}

// syncDisruptionLocked is the disruption controller's sync of the PodDisruptionBudget: its
// status from the pods as they are now (manifest.BudgetStatus), with the Deployment's
// replicas as its scale. The control loop runs it after every change; in between, each
// allowed eviction spends one of its disruptionsAllowed, as the API server writes the
// decremented status. (The controller's disruptedPods, pods evicted and not yet being
// deleted, stay empty here: an eviction marks its pod terminating at once.)
func (l *Lab) syncDisruptionLocked() {
	if l.pdb == nil || l.current == nil {
		l.disruption = nil
		return
	}
	var pods, healthy int32
	for _, p := range l.podsLocked() {
		pods++
		if !p.terminating && p.readyLocked() {
			healthy++
		}
	}
	st, err := manifest.BudgetStatus(l.pdb, l.replicas, pods, healthy)
	if err != nil { // checked at Deploy; the controller's failSafe allows nothing
		st = policyv1.PodDisruptionBudgetStatus{}
	}
	l.disruption = &st
}
