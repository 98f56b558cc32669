package result

import (
	"fmt"
	"time"
)

// Window is a burst of failures on a run's timeline: consecutive failing slots, with short
// gaps merged; the last event before it began; and, where the path could tell which pod
// each failure went to, the pods and the two moments whose order lost each pod's requests.
// Package explain finds them (explain.Windows).
type Window struct {
	From   time.Duration `json:"from"`
	To     time.Duration `json:"to"`
	Errors Counts        `json:"errors"`
	After  *Event        `json:"after,omitempty"` // the last event at or before the window's first failure
	Blame  []Blame       `json:"blame,omitempty"` // by pod, the most failures first
}

// Blame names the pod some of a window's failures went to and the two moments whose
// order lost them: the pod stopped serving (SIGTERM, exit, gone) before a proxy stopped
// routing to it, or a proxy routed to it before it listened. Either moment may be
// missing when the run did not record it; Text then says what is known.
type Blame struct {
	Pod    string `json:"pod"` // "" for failures no pod could be named for
	Errors Counts `json:"errors"`
	First  *Event `json:"first,omitempty"` // the earlier of the two moments
	Then   *Event `json:"then,omitempty"`  // the later one: nil when it did not come in the run
	Text   string `json:"text"`            // "SIGTERM at 3.340s, the ingress still routed to the pod until 5.900s: 96 × 502"
	// Inferred says the failures were put on the pod by its path's route events, not
	// counted per request (explain's infer.go): Pod may then name several, joined by ", ".
	Inferred bool `json:"inferred,omitempty"`
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
