package lab

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"scalelab/internal/loopback"
	"scalelab/loadtest/result"
)

// replicaSet is one generation of the pod template, as a Deployment's ReplicaSet is.
type replicaSet struct {
	name     string // hello-<pod-template-hash>
	spec     *podSpec
	replicas int32
	pods     []*pod // created and not yet gone, terminating ones included
}

// active are the pods not being deleted: what the ReplicaSet counts against its replicas.
func (rs *replicaSet) active() []*pod {
	var out []*pod
	for _, p := range rs.pods {
		if !p.terminating {
			out = append(out, p)
		}
	}
	return out
}

// available counts the active pods ready for at least minReadySeconds.
func (rs *replicaSet) available(now time.Time) int32 {
	var n int32
	for _, p := range rs.active() {
		if p.readyLocked() && now.Sub(p.readySince) >= rs.spec.minReady {
			n++
		}
	}
	return n
}

func (rs *replicaSet) remove(p *pod) {
	rs.pods = slices.DeleteFunc(rs.pods, func(q *pod) bool { return q == p })
}

// safeChars are the letters Kubernetes uses in generated names (no vowels, no look-alikes).
const safeChars = "bcdfghjklmnpqrstvwxz2456789"

// encode writes n in safeChars, as a pod-template-hash reads.
func encode(n uint64) string {
	var b []byte
	for ; n > 0; n /= uint64(len(safeChars)) {
		b = append(b, safeChars[n%uint64(len(safeChars))])
	}
	return string(b)
}

// newReplicaSetLocked starts a generation of spec; gen tells restarts of one spec apart
// (the restartedAt annotation changes the template, so its hash).
func (l *Lab) newReplicaSetLocked(spec *podSpec, gen int) *replicaSet {
	h := fnv.New32a()
	fmt.Fprintf(h, "%d/%d", spec.fingerprint, gen)
	rs := &replicaSet{name: spec.deployment + "-" + encode(uint64(h.Sum32())), spec: spec}
	l.sets = append(l.sets, rs)
	l.current = rs
	return rs
}

// reconcileLocked is the deployment and replica set controllers' work in one pass: size
// the ReplicaSets by the rolling update rules, then create or delete pods to match.
//
// Not modelled: a scale during a rollout is not spread over the ReplicaSets in proportion,
// as the deployment controller spreads it; the rolling rules reach the same end state.
// Pods that are terminating do not count against maxSurge, as in Kubernetes up to 1.34
// (without the alpha podReplacementPolicy).
func (l *Lab) reconcileLocked() {
	if l.current == nil {
		return
	}
	now := time.Now()
	if l.current.spec.recreate {
		l.recreateLocked()
	} else {
		l.rollNewLocked(now)
		l.rollOldLocked(now)
	}
	for _, rs := range l.sets {
		l.syncReplicaSetLocked(rs)
	}
	l.sets = slices.DeleteFunc(l.sets, func(rs *replicaSet) bool {
		return rs != l.current && rs.replicas == 0 && len(rs.pods) == 0
	})
}

// replicasLocked sums the ReplicaSets' replicas (their spec, as the controller counts).
func (l *Lab) replicasLocked() int32 {
	var n int32
	for _, rs := range l.sets {
		n += rs.replicas
	}
	return n
}

// recreateLocked is the Recreate strategy: scale every older ReplicaSet to 0, and the
// current one up only once no older pod is left, terminating ones included.
func (l *Lab) recreateLocked() {
	left := 0
	for _, rs := range l.sets[:len(l.sets)-1] {
		rs.replicas = 0
		left += len(rs.pods)
	}
	if left == 0 {
		l.current.replicas = l.replicas
	}
}

// rollNewLocked scales the newest ReplicaSet up within replicas + maxSurge, or straight
// down to replicas.
func (l *Lab) rollNewLocked(now time.Time) {
	rs, want := l.current, l.replicas
	if rs.replicas >= want {
		rs.replicas = want
		return
	}
	maxTotal := want + rs.spec.maxSurge
	if total := l.replicasLocked(); total < maxTotal {
		rs.replicas += min(maxTotal-total, want-rs.replicas)
	}
}

// rollOldLocked scales the older ReplicaSets down, oldest first, keeping replicas -
// maxUnavailable pods available: first the old pods that are not available, then as many
// available ones as the new pods' availability allows.
func (l *Lab) rollOldLocked(now time.Time) {
	old := l.sets[:len(l.sets)-1] // every set but the current one, which is the last
	var oldCount int32
	for _, rs := range old {
		oldCount += rs.replicas
	}
	if oldCount == 0 {
		return
	}
	minAvailable := l.replicas - l.current.spec.maxUnavailable
	newUnavailable := l.current.replicas - l.current.available(now)
	maxScaledDown := l.replicasLocked() - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return
	}
	var cleaned int32
	for _, rs := range old {
		if cleaned >= maxScaledDown {
			break
		}
		if n := min(maxScaledDown-cleaned, rs.replicas-rs.available(now)); n > 0 {
			rs.replicas -= n
			cleaned += n
		}
	}
	var available int32
	for _, rs := range l.sets {
		available += rs.available(now)
	}
	budget := available - minAvailable
	for _, rs := range old {
		if budget <= 0 {
			break
		}
		n := min(rs.replicas, budget)
		rs.replicas -= n
		budget -= n
	}
}

// syncReplicaSetLocked creates or deletes pods of rs to match its replicas, deleting first
// the pods a ReplicaSet ranks lowest: not ready before ready, ready for less time first,
// more restarts first, newer first.
func (l *Lab) syncReplicaSetLocked(rs *replicaSet) {
	active := rs.active()
	for n := int(rs.replicas) - len(active); n > 0; n-- {
		l.newPodLocked(rs)
	}
	if extra := len(active) - int(rs.replicas); extra > 0 {
		slices.SortStableFunc(active, deletionOrder)
		for _, p := range active[:extra] {
			p.deleteLocked()
		}
	}
}

// deletionOrder ranks a before b (negative) when a ReplicaSet would delete a first.
func deletionOrder(a, b *pod) int {
	ra, rb := a.readyLocked(), b.readyLocked()
	switch {
	case ra != rb && !ra:
		return -1
	case ra != rb:
		return 1
	case ra && !a.readySince.Equal(b.readySince):
		return b.readySince.Compare(a.readySince)
	case a.restarts != b.restarts:
		return b.restarts - a.restarts
	}
	return b.created.Compare(a.created)
}

// newPodLocked creates a pod of rs on a free loopback port and starts its kubelet work.
func (l *Lab) newPodLocked(rs *replicaSet) {
	addr, err := podAddr()
	if err != nil {
		l.event(kindPod, rs.name+" cannot create a pod", err.Error())
		return
	}
	suffix := make([]byte, 5)
	for i := range suffix {
		suffix[i] = safeChars[rand.IntN(len(safeChars))]
	}
	p := &pod{
		lab: l, rs: rs, spec: rs.spec, name: rs.name + "-" + string(suffix), addr: addr, created: time.Now(),
		admission: l.draws.admission(), sandbox: l.draws.sandbox(),
		bound: make(chan struct{}), deleted: make(chan struct{}), restart: make(chan restartReq, 1),
	}
	p.ctx, p.cancel = context.WithCancel(l.ctx)
	for _, s := range []*probeSpec{rs.spec.startup, rs.spec.readiness, rs.spec.liveness} {
		if s != nil {
			p.probers = append(p.probers, newProber(p, s))
		}
	}
	rs.pods = append(rs.pods, p)
	l.podEvent(p.name, result.StepCreated, kindPod, "created", p.addr)
	l.scheduleLocked(p)
	l.wg.Go(p.run)
}

// podAddr picks the pod's address, its "pod IP" and port: an address of its own in
// 127.0.0.0/8 (Linux routes all of it to the loopback device; elsewhere 127.0.0.1), on a
// port below the kernel's ephemeral range (internal/loopback). hello may not listen until
// its startup delay is over, and meanwhile no other pod, of this lab or of another one in
// this process or on this machine, may be given the same address (with one shared address
// and random ports, two pods starting at once collided).
func podAddr() (string, error) { return loopback.Addr() }
