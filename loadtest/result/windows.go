package result

import (
	"fmt"
	"time"
)

// Window is a burst of failures on a run's timeline: consecutive failing slots, with gaps
// shorter than WindowGap merged; the last event before it began; and, where the path
// could tell which pod each failure went to, the pods and the two moments whose order
// lost each pod's requests (blame.go).
type Window struct {
	From   time.Duration `json:"from"`
	To     time.Duration `json:"to"`
	Errors Counts        `json:"errors"`
	After  *Event        `json:"after,omitempty"` // the last event at or before the window's first failure
	Blame  []Blame       `json:"blame,omitempty"` // by pod, the most failures first
}

// WindowGap is the quiet time that separates two windows.
const WindowGap = time.Second

// FindWindows finds the error windows of r and attributes each.
func FindWindows(r *Run) []Window {
	var out []Window
	var lost []PodCounts // per window
	for _, iv := range r.Timeline {
		if iv.Errors.Total() == 0 {
			continue
		}
		end := iv.Start + r.Interval
		if n := len(out); n > 0 && iv.Start-out[n-1].To < WindowGap {
			out[n-1].To = end
			out[n-1].Errors.Add(iv.Errors)
			addLost(lost[n-1], iv.Lost)
			continue
		}
		w := Window{From: iv.Start, To: end, Errors: Counts{}}
		w.Errors.Add(iv.Errors)
		out = append(out, w)
		lost = append(lost, PodCounts{})
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
func named(lost PodCounts) bool {
	for pod, c := range lost {
		if pod != "" && c.Total() > 0 {
			return true
		}
	}
	return false
}

func addLost(to, from PodCounts) {
	for pod, c := range from {
		for class, n := range c {
			to.Add(pod, class, n)
		}
	}
}

// cause is the last event before w's first failure: a command, an action or a pod,
// endpoint or route transition; a phase of the run only when there is none of those.
func cause(r *Run, w Window) *Event {
	var last, lastPhase *Event
	for j := range r.Events {
		e := &r.Events[j]
		switch {
		case e.At >= w.To || e.At > w.From+r.Interval:
		case e.Kind == EventPhase:
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

func later(a, b *Event) *Event {
	if a == nil || b.At >= a.At {
		return b
	}
	return a
}

// Cause says which event a window followed and how long after: `0.250s after command
// "kubectl rollout restart deploy/hello"`; "" when none did.
func (w Window) Cause() string {
	if w.After == nil {
		return ""
	}
	lag := max(w.From-w.After.At, 0)
	return fmt.Sprintf("%.3fs after %s %q", lag.Seconds(), w.After.Kind, Short(w.After.Name, 60))
}
