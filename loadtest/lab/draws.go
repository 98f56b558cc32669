package lab

import (
	"math/rand/v2"
	"time"
)

// Every lesson of the lab is a race, so one run is one draw, and the lab draws where a
// cluster does: the phase of the ingress's poll against a run's action (Settle). Each draw
// comes from one source (Lab.draws), seeded by Options.Seed: a fixed seed replays a run's
// draws, 0 draws a seed of its own, so that runs, and a matrix's trials, are independent.

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

// pollPhase is when, after now, an ingress that polls every period next polls: uniform
// over (0, period]. Skipper polls on a ticker started with it (routing/datasource.go,
// receiveFromClient: time.NewTicker(-source-poll-timeout)), and nothing ties a run's action
// to that ticker's phase; kube's Settle watches the pods, not Skipper.
func (d drawSource) pollPhase(period time.Duration) time.Duration {
	return period - time.Duration(d.r.Float64()*float64(period))
}
