// Package explain says why a run lost its requests: it finds the bursts of failures on
// a run's timeline (Windows), the last event before each, and — where the path named the
// pod each failure went to (blame.go), or else by the route events of the path's proxy
// (infer.go) — the pods and the two moments whose order lost their requests ("SIGTERM at
// 2.111s, the ingress still routed to the pod until 4.609s"). It reads a result.Run and
// fills result.Window and result.Blame, the plain types summary.json keeps; it keeps no
// state.
package explain

import (
	"time"

	"scalelab/loadtest/result"
)

// Gap is the quiet time that separates two windows.
const Gap = time.Second

// Windows finds the error windows of r and attributes each: the last event before each,
// and the pods and moments that explain its failures (blame.go, infer.go).
func Windows(r *result.Run) []result.Window {
	var out []result.Window
	var lost []result.PodCounts // per window
	for _, iv := range r.Timeline {
		if iv.Errors.Total() == 0 {
			continue
		}
		end := iv.Start + r.Interval
		if n := len(out); n > 0 && iv.Start-out[n-1].To < Gap {
			out[n-1].To = end
			out[n-1].Errors.Add(iv.Errors)
			addLost(lost[n-1], iv.Lost)
			continue
		}
		w := result.Window{From: iv.Start, To: end, Errors: result.Counts{}}
		w.Errors.Add(iv.Errors)
		out = append(out, w)
		lost = append(lost, result.PodCounts{})
		addLost(lost[len(lost)-1], iv.Lost)
	}
	for i := range out {
		out[i].After = cause(r, out[i])
		out[i].Blame = blame(r, out[i], lost[i])
		if !named(lost[i]) {
			if b := infer(r, out[i]); b != nil {
				out[i].Blame = b
			}
		}
	}
	return out
}

// named says whether some failures were counted to a pod by name.
func named(lost result.PodCounts) bool {
	for pod, c := range lost {
		if pod != "" && c.Total() > 0 {
			return true
		}
	}
	return false
}

func addLost(to, from result.PodCounts) {
	for pod, c := range from {
		for class, n := range c {
			to.Add(pod, class, n)
		}
	}
}

// cause is the last event before w's first failure: a command, an action or a pod,
// endpoint or route transition; a phase of the run only when there is none of those.
func cause(r *result.Run, w result.Window) *result.Event {
	var last, lastPhase *result.Event
	for j := range r.Events {
		e := &r.Events[j]
		switch {
		case e.At >= w.To || e.At > w.From+r.Interval:
		case e.Kind == result.EventPhase:
			lastPhase = later(lastPhase, e)
		default:
			last = later(last, e)
		}
	}
	if last == nil {
		last = lastPhase
	}
	if last == nil {
		return nil
	}
	e := *last
	return &e
}

func later(a, b *result.Event) *result.Event {
	if a == nil || b.At >= a.At {
		return b
	}
	return a
}
