package explain

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// stopsServing are the steps after which a pod answers nothing: its requests fail.
var stopsServing = []string{result.StepSIGTERM, result.StepSIGKILL, result.StepExited, result.StepGone, result.StepUnanswered}

// blame attributes the failures of w that went to each pod (lost) to the two moments of
// that pod whose order lost them, per class where classes differ in their explanation
// (502s from SIGTERM on, timeouts from the pod's being gone). Pods come by their number of
// failures, the most first; failures no pod was named for come last, when some were.
func blame(r *result.Run, w result.Window, lost result.PodCounts) []result.Blame {
	if len(lost) == 0 {
		return nil
	}
	via := r.Meta["via"]
	byPod := map[string][]result.Event{}
	for _, e := range r.Events {
		if e.Pod != "" {
			byPod[e.Pod] = append(byPod[e.Pod], e)
		}
	}
	pods := slices.SortedFunc(maps.Keys(lost), func(a, b string) int {
		return cmp.Or(lost[b].Total()-lost[a].Total(), strings.Compare(a, b))
	})
	var out []result.Blame
	named := result.Counts{}
	for _, pod := range pods {
		named.Add(lost[pod])
		if pod == "" {
			continue
		}
		var mine []result.Blame
		for _, class := range result.Classes {
			n := lost[pod][class]
			if n == 0 {
				continue
			}
			first, then, text := explain(byPod[pod], firstLost(r, w, pod, class), r.Interval, via)
			i := slices.IndexFunc(mine, func(b result.Blame) bool { return b.Text == text })
			if i < 0 {
				mine = append(mine, result.Blame{Pod: pod, Errors: result.Counts{}, First: first, Then: then, Text: text})
				i = len(mine) - 1
			}
			mine[i].Errors[class] += n
		}
		out = append(out, mine...)
	}
	for i := range out {
		out[i].Text = fmt.Sprintf("%s: %s", out[i].Text, result.CountsText(out[i].Errors))
	}
	rest := result.Counts{}
	for c, n := range w.Errors {
		if d := n - named[c] + lost[""][c]; d > 0 {
			rest[c] = d
		}
	}
	if rest.Total() > 0 {
		out = append(out, result.Blame{Errors: rest, Text: "to no pod the path named: " + result.CountsText(rest)})
	}
	return out
}

// firstLost is the start of the first slot of w where a request to pod failed as class.
func firstLost(r *result.Run, w result.Window, pod string, class result.Class) time.Duration {
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
func explain(evs []result.Event, at, slot time.Duration, via string) (first, then *result.Event, text string) {
	horizon := at + slot
	again := result.StepStarted // the step after which it serves again
	hasSIGTERM := false
	for _, e := range evs {
		if e.Step == result.StepListening {
			again = result.StepListening
		}
		hasSIGTERM = hasSIGTERM || e.Step == result.StepSIGTERM
	}
	var stop, start *result.Event
	for i := range evs {
		e := &evs[i]
		if e.At >= horizon {
			break
		}
		switch {
		case slices.Contains(stopsServing, e.Step) || e.Step == result.StepDeleting && !hasSIGTERM:
			if stop == nil || e.Step != result.StepUnanswered { // gone says it first
				stop = e
			}
		case e.Step == again:
			stop = nil
		case e.Step == result.StepRouted && e.Via == via, start == nil && (e.Step == result.StepReady || e.Step == result.StepEndpointReady):
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
		if e := &evs[i]; e.At >= start.At && e.Step == result.StepListening {
			return start, e, fmt.Sprintf("%s at %s, listening only at %s", startWords(start), at3(start.At), at3(e.At))
		}
	}
	return start, nil, fmt.Sprintf("%s at %s, not listening yet", startWords(start), at3(start.At))
}

// explainStop is explain after the pod stopped serving at stop.
func explainStop(evs []result.Event, stop *result.Event, via, again string) (first, then *result.Event, text string) {
	what := fmt.Sprintf("%s at %s", stopWords(stop), at3(stop.At))
	var unrouted *result.Event // via's last unrouting before stop, while no routing followed it
	routes := false
	for i := range evs {
		e := &evs[i]
		if e.Via == via && (e.Step == result.StepRouted || e.Step == result.StepUnrouted) {
			routes = true
		}
		switch {
		case e.At < stop.At && e.Via == via && e.Step == result.StepUnrouted:
			unrouted = e
		case e.At < stop.At && e.Via == via && e.Step == result.StepRouted:
			unrouted = nil
		case e.At < stop.At || e == stop:
		case e.Via == via && e.Step == result.StepUnrouted:
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

func stopWords(e *result.Event) string {
	switch e.Step {
	case result.StepDeleting:
		return "deletion requested"
	case result.StepUnanswered:
		return result.StepGone
	}
	return e.Step
}

func startWords(e *result.Event) string {
	if e.Step == result.StepRouted {
		return "routed by the " + pathWords(e.Via)
	}
	return e.Step
}

// pathWords names a path's proxy: "service path", "ingress", or "<name> path".
func pathWords(via string) string {
	switch via {
	case result.ViaIngress:
		return "ingress"
	case "":
		return "proxy"
	}
	return via + " path"
}
