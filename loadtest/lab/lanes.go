package lab

import (
	"time"

	"scalelab/loadtest/manifest"
)

// fdsPerRequest is how many file descriptors one request in flight holds in this process
// on the local lab: the client's connection, both ends of the proxy's hop to the pod (the
// pod's own end belongs to hello), and slack for keep-alive pools and probes.
const fdsPerRequest = 6

// Lanes is how many of lanes labs can run side by side in this process, at rate
// requests/s to each, without running out of file descriptors: every lab's proxies and
// every attack share the process's open-file limit (which root cannot raise on every
// machine), and a lab short of descriptors answers 502 for reasons that have nothing to
// do with the lesson. One where the limit cannot be read.
func Lanes(cfgs []*manifest.Config, rate, lanes int) int {
	limit, ok := openFileLimit()
	if !ok {
		return 1
	}
	return lanesWithin(limit, cfgs, rate, lanes)
}

// lanesWithin is how many of lanes fit in limit open files.
func lanesWithin(limit uint64, cfgs []*manifest.Config, rate int, lanes int) int {
	var slowest time.Duration
	for _, c := range cfgs {
		d, _ := c.HelloDuration("request-delay")
		slowest = max(slowest, d)
	}
	inFlight := float64(rate) * (slowest + time.Second).Seconds() // Little's law, with a second of slack
	perLane := int(inFlight)*fdsPerRequest + 200                  // + the lab's pods, proxies and probes
	fit := int(limit*4/5) / perLane                               // a fifth left for everything else
	return max(1, min(lanes, fit))
}
