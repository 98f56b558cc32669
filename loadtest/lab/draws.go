package lab

import (
	"math/rand/v2"
	"time"
)

// Every lesson of the lab is a race, so one run is one draw, and the lab draws where a
// cluster does: the phase of the ingress's poll against a run's action (Settle), and each
// pod's way from its creation to a running process (newPodLocked). Each draw comes from
// one source (Lab.draws), seeded by Options.Seed: a fixed seed replays a run's draws, 0
// draws a seed of its own, so that runs, and a matrix's trials, are independent.
//
// The figures are the bare cluster's (Kubernetes v1.34.4, results/bare, bare-evict,
// bare-reliability, bare-reliability-short-grace: 52 pods with the fast probes, 10 naive
// ones), read from the timelines' events.

// drawSource is the lab's source of draws, and the seed it was made from.
type drawSource struct {
	seed uint64
	r    *rand.Rand
}

func newDrawSource(seed uint64) drawSource {
	for seed == 0 {
		seed = rand.Uint64()
	}
	return drawSource{seed: seed, r: rand.New(rand.NewPCG(seed, seed^0x5ca1e1ab))}
}

// exp is an exponential draw of the given mean, capped at limit.
func (d drawSource) exp(mean, limit time.Duration) time.Duration {
	return min(time.Duration(d.r.ExpFloat64()*float64(mean)), limit)
}

// pollPhase is when, after now, an ingress that polls every period next polls: uniform
// over (0, period]. Skipper polls on a ticker started with it (routing/datasource.go,
// receiveFromClient: time.NewTicker(-source-poll-timeout)), and nothing ties a run's action
// to that ticker's phase; kube's Settle watches the pods, not Skipper.
func (d drawSource) pollPhase(period time.Duration) time.Duration {
	return period - time.Duration(d.r.Float64()*float64(period))
}

// Admission is how long after its creation the kubelet takes a pod in and starts its
// probe workers (prober_manager.go, AddPod from the pod worker's first sync): 0.3 s plus
// an exponential draw of mean 0.17 s (at most 2 s). Their ticker starts then and keeps
// its phase (worker.go, run: time.NewTicker(periodSeconds); the random initial sleep is
// only for a kubelet started less than a period ago). On the cluster a pod with the fast
// timings (5 s startup, a startup probe every second) turned ready 6.35 to 8.43 s after
// its creation, on that ticker: the part past the whole second, 0.27 to 0.97 s, was at
// most 0.55 s for 42 of 52 pods (81 %) and more than 0.66 s for 6 (12 %); the draw gives
// 78 % and 11 %.
const (
	admissionFloor = 300 * time.Millisecond
	admissionMean  = 170 * time.Millisecond
	admissionLimit = 2 * time.Second
)

// Sandbox is how long after its admission a pod's first container runs: the sandbox, its
// network and the container created and started. 0.2 s plus an exponential draw of mean
// 0.55 s (at most 4 s): on the cluster the same 52 pods turned ready at the startup probe's
// 6th tick (the process ran within 1 s of the admission) 40 times, the 7th 10 times, the
// 8th twice; the draw gives 77 %, 19 % and 4 %. A naive pod (no probe) was reported ready
// 1.34 to 1.95 s after its creation, its admission and sandbox plus the kubelet's relist
// (up to 1 s, not modelled: the lab's pod is ready the instant its process runs); the
// lab's mean from creation to process is 1.22 s.
const (
	sandboxFloor = 200 * time.Millisecond
	sandboxMean  = 550 * time.Millisecond
	sandboxLimit = 4 * time.Second
)

// admission draws a pod's admission delay.
func (d drawSource) admission() time.Duration {
	return admissionFloor + d.exp(admissionMean, admissionLimit-admissionFloor)
}

// sandbox draws a pod's sandbox delay.
func (d drawSource) sandbox() time.Duration {
	return sandboxFloor + d.exp(sandboxMean, sandboxLimit-sandboxFloor)
}
