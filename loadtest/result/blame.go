package result

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

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
	// counted per request (infer.go): Pod may then name several, joined by ", ".
	Inferred bool `json:"inferred,omitempty"`
}

// stopsServing are the steps after which a pod answers nothing: its requests fail.
var stopsServing = []string{StepSIGTERM, StepSIGKILL, StepExited, StepGone, StepUnanswered}

// blame attributes the failures of w that went to each pod (lost) to the two moments of
// that pod whose order lost them, per class where classes differ in their explanation
// (502s from SIGTERM on, timeouts from the pod's being gone). Pods come by their number of
// failures, the most first; failures no pod was named for come last, when some were.
func blame(r *Run, w Window, lost PodCounts) []Blame {
	if len(lost) == 0 {
		return nil
	}
	via := r.Meta["via"]
	byPod := map[string][]Event{}
	for _, e := range r.Events {
		if e.Pod != "" {
			byPod[e.Pod] = append(byPod[e.Pod], e)
		}
	}
	pods := slices.SortedFunc(maps.Keys(lost), func(a, b string) int {
		return cmp.Or(lost[b].Total()-lost[a].Total(), strings.Compare(a, b))
	})
	var out []Blame
	named := Counts{}
	for _, pod := range pods {
		named.Add(lost[pod])
		if pod == "" {
			continue
		}
		var mine []Blame
		for _, class := range Classes {
			n := lost[pod][class]
			if n == 0 {
				continue
			}
			first, then, text := explain(byPod[pod], firstLost(r, w, pod, class), r.Interval, via)
			i := slices.IndexFunc(mine, func(b Blame) bool { return b.Text == text })
			if i < 0 {
				mine = append(mine, Blame{Pod: pod, Errors: Counts{}, First: first, Then: then, Text: text})
				i = len(mine) - 1
			}
			mine[i].Errors[class] += n
		}
		out = append(out, mine...)
	}
	for i := range out {
		out[i].Text = fmt.Sprintf("%s: %s", out[i].Text, CountsText(out[i].Errors))
	}
	rest := Counts{}
	for c, n := range w.Errors {
		if d := n - named[c] + lost[""][c]; d > 0 {
			rest[c] = d
		}
	}
	if rest.Total() > 0 {
		out = append(out, Blame{Errors: rest, Text: "to no pod the path named: " + CountsText(rest)})
	}
	return out
}

// firstLost is the start of the first slot of w where a request to pod failed as class.
func firstLost(r *Run, w Window, pod string, class Class) time.Duration {
	for _, iv := range r.Timeline {
		if iv.Start >= w.From && iv.Start < w.To && iv.Lost[pod][class] > 0 {
			return iv.Start
		}
	}
	return w.From
}

// explain finds, in one pod's events, the two moments whose order lost the requests sent
// to it from the slot at `at` on, through the path via. The pod's last step before that
// slot ended decides: after one that stops serving (stopsServing), the second moment is
// when via's proxy stopped routing to it or it listened again; otherwise the first is
// when via's proxy started routing to it (its Ready condition when no route was
// recorded) and the second when it listened.
func explain(evs []Event, at, slot time.Duration, via string) (first, then *Event, text string) {
	horizon := at + slot
	again := StepStarted // the step after which it serves again
	hasSIGTERM := false
	for _, e := range evs {
		if e.Step == StepListening {
			again = StepListening
		}
		hasSIGTERM = hasSIGTERM || e.Step == StepSIGTERM
	}
	var stop, start *Event
	for i := range evs {
		e := &evs[i]
		if e.At >= horizon {
			break
		}
		switch {
		case slices.Contains(stopsServing, e.Step) || e.Step == StepDeleting && !hasSIGTERM:
			if stop == nil || e.Step != StepUnanswered { // gone says it first
				stop = e
			}
		case e.Step == again:
			stop = nil
		case e.Step == StepRouted && e.Via == via, start == nil && (e.Step == StepReady || e.Step == StepEndpointReady):
			start = e
		}
	}
	if stop != nil {
		return explainStop(evs, stop, via, again)
	}
	if start == nil {
		return nil, nil, "nothing recorded of the pod before its failures"
	}
	for i := range evs {
		if e := &evs[i]; e.At >= start.At && e.Step == StepListening {
			return start, e, fmt.Sprintf("%s at %s, listening only at %s", startWords(start), at3(start.At), at3(e.At))
		}
	}
	return start, nil, fmt.Sprintf("%s at %s, not listening yet", startWords(start), at3(start.At))
}

// explainStop is explain after the pod stopped serving at stop.
func explainStop(evs []Event, stop *Event, via, again string) (first, then *Event, text string) {
	what := fmt.Sprintf("%s at %s", stopWords(stop), at3(stop.At))
	var unrouted *Event // via's last unrouting before stop, while no routing followed it
	routes := false
	for i := range evs {
		e := &evs[i]
		if e.Via == via && (e.Step == StepRouted || e.Step == StepUnrouted) {
			routes = true
		}
		switch {
		case e.At < stop.At && e.Via == via && e.Step == StepUnrouted:
			unrouted = e
		case e.At < stop.At && e.Via == via && e.Step == StepRouted:
			unrouted = nil
		case e.At < stop.At || e == stop:
		case e.Via == via && e.Step == StepUnrouted:
			return stop, e, fmt.Sprintf("%s, the %s still routed to the pod until %s", what, pathWords(via), at3(e.At))
		case e.Step == again:
			return stop, e, fmt.Sprintf("%s, %s again at %s", what, e.Step, at3(e.At))
		}
	}
	switch {
	case unrouted != nil:
		return unrouted, stop, fmt.Sprintf("%s, after the %s stopped routing to the pod at %s: connections kept to it still went there",
			what, pathWords(via), at3(unrouted.At))
	case routes:
		return stop, nil, fmt.Sprintf("%s, the %s still routed to the pod when the run ended", what, pathWords(via))
	}
	return stop, nil, what + " (no route change of the " + pathWords(via) + " recorded)"
}

func at3(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

func stopWords(e *Event) string {
	switch e.Step {
	case StepDeleting:
		return "deletion requested"
	case StepUnanswered:
		return StepGone
	}
	return e.Step
}

func startWords(e *Event) string {
	if e.Step == StepRouted {
		return "routed by the " + pathWords(e.Via)
	}
	return e.Step
}

// pathWords names a path's proxy: "service path", "ingress", or "<name> path".
func pathWords(via string) string {
	switch via {
	case ViaIngress:
		return "ingress"
	case "":
		return "proxy"
	}
	return via + " path"
}

// CountsText is failures as a sentence says them, in report order: "96 × 502 + 35
// timeout"; an HTTP status is counted with ×, a broken connection by its word.
func CountsText(c Counts) string {
	var parts []string
	for _, class := range Classes {
		n := c[class]
		switch {
		case n == 0:
		case class[0] >= '0' && class[0] <= '9':
			parts = append(parts, fmt.Sprintf("%d × %s", n, class))
		default:
			parts = append(parts, fmt.Sprintf("%d %s", n, class))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}
