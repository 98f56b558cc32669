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

// A path that cannot name the pod of each failed request (a real cluster's: Skipper's
// 502 carries no X-Pod, kube-proxy's reset no address) still recorded when its proxy
// gained and lost each pod (route events) and when each pod stopped serving. infer puts
// each failing slot of a window on the pods that were broken through that path then —
// routed by its proxy while they had stopped serving, or routed before they ever
// answered — and explains each as blame does. Those are the pods that could have lost
// the slot's requests, not a count per request: a Blame made so is Inferred.

// infer attributes the failures of w by the route events of the run's path; nil when the
// run recorded no route of its path or no pod was broken through it during w.
func infer(r *result.Run, w result.Window) []result.Blame {
	via := result.ProxyOf(r.Meta["via"])
	if !slices.ContainsFunc(r.Events, func(e result.Event) bool { return e.Kind == result.EventRoute && e.Via == via }) {
		return nil
	}
	byPod := map[string][]result.Event{}
	for _, e := range r.Events {
		if e.Pod != "" {
			byPod[e.Pod] = append(byPod[e.Pod], e)
		}
	}
	answered := firstAnswers(r)
	// A group is the broken pods of a slot, each with the explanation of its failures
	// then: slots whose pods and explanations are the same add up.
	type group struct {
		pods, texts []string
		first, then *result.Event
		errors      result.Counts
	}
	groups := map[string]*group{}
	rest := result.Counts{}
	// Each pod's failures are explained as of the first slot it was broken in that way:
	// a pod that stopped serving stays explained by when it stopped, not by when it was
	// gone at last.
	type why struct {
		first, then *result.Event
		text        string
	}
	whys := map[[2]string]why{}
	for _, iv := range r.Timeline {
		if iv.Start < w.From || iv.Start >= w.To || iv.Errors.Total() == 0 {
			continue
		}
		g := &group{errors: result.Counts{}}
		for _, pod := range slices.Sorted(maps.Keys(byPod)) {
			how := brokenIn(byPod[pod], answered, pod, iv.Start, r.Interval, via)
			if how == "" {
				continue
			}
			y, ok := whys[[2]string{pod, how}]
			if !ok {
				y.first, y.then, y.text = explain(byPod[pod], iv.Start, r.Interval, via)
				if how == "unanswered" && !slices.ContainsFunc(byPod[pod], func(e result.Event) bool { return e.Step == result.StepListening }) {
					y.first, y.then, y.text = unanswered(byPod[pod], answered, pod, iv.Start, r.Interval, via)
				}
				whys[[2]string{pod, how}] = y
			}
			if g.first == nil {
				g.first, g.then = y.first, y.then
			}
			g.pods, g.texts = append(g.pods, pod), append(g.texts, y.text)
		}
		if len(g.pods) == 0 {
			rest.Add(iv.Errors)
			continue
		}
		key := fmt.Sprint(g.pods, g.texts)
		if groups[key] == nil {
			groups[key] = g
		}
		groups[key].errors.Add(iv.Errors)
	}
	if len(groups) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(groups), func(a, b string) int {
		return cmp.Or(groups[b].errors.Total()-groups[a].errors.Total(), strings.Compare(a, b))
	})
	var out []result.Blame
	for _, key := range keys {
		g := groups[key]
		texts := g.texts
		if len(g.pods) > 1 {
			texts = nil
			for i, pod := range g.pods {
				texts = append(texts, pod+": "+g.texts[i])
			}
		}
		out = append(out, result.Blame{
			Pod: strings.Join(g.pods, ", "), Errors: g.errors, First: g.first, Then: g.then, Inferred: true,
			Text: fmt.Sprintf("%s: %s (by the %s's routes: the pods it sent requests to then, not each request's)",
				strings.Join(texts, "; "), result.CountsText(g.errors), pathWords(via)),
		})
	}
	if rest.Total() > 0 {
		out = append(out, result.Blame{Errors: rest, Text: "to no pod the " + pathWords(via) + " routed to while it was broken: " + result.CountsText(rest)})
	}
	return out
}

// unanswered explains the failures of a pod routed before it answered, where the run did
// not record when it listened (a real cluster's pods): when via's proxy routed to it, and
// the slot of its first answer, if it gave one.
func unanswered(evs []result.Event, answered map[string]time.Duration, pod string, at, slot time.Duration, via string) (first, then *result.Event, text string) {
	what := "routed by the " + pathWords(via) + " when the run began"
	for i := range evs {
		if e := &evs[i]; e.At < at+slot && e.Kind == result.EventRoute && e.Via == via && e.Step == result.StepRouted {
			first, what = e, fmt.Sprintf("%s at %s", startWords(e), at3(e.At))
		}
	}
	if t, ok := answered[pod]; ok {
		return first, nil, fmt.Sprintf("%s, its first answer only in the slot at %s", what, at3(t))
	}
	return first, nil, what + ", no answer from it in the run"
}

// firstAnswers is when each pod first answered a request: the start of its first slot.
func firstAnswers(r *result.Run) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, iv := range r.Timeline {
		for pod := range iv.Pods {
			if _, ok := out[pod]; !ok {
				out[pod] = iv.Start
			}
		}
	}
	return out
}

// brokenIn says whether via's proxy routed to pod during the slot at `at` while the pod
// could not answer: it had stopped serving (stopsServing, or deletion asked where no
// SIGTERM is recorded) before the slot ended ("stopped"), or it had not answered a
// request yet ("unanswered"); "" when it was not broken.
func brokenIn(evs []result.Event, answered map[string]time.Duration, pod string, at, slot time.Duration, via string) string {
	if !routedIn(evs, at, slot, via) {
		return ""
	}
	hasSIGTERM := slices.ContainsFunc(evs, func(e result.Event) bool { return e.Step == result.StepSIGTERM })
	stopped := false
	for _, e := range evs {
		switch {
		case e.At >= at+slot:
		case slices.Contains(stopsServing, e.Step) || e.Step == result.StepDeleting && !hasSIGTERM:
			stopped = true
		case (e.Step == result.StepStarted || e.Step == result.StepListening) && e.At <= at:
			stopped = false // a container restarted in place serves again
		}
	}
	if first, ok := answered[pod]; stopped {
		return "stopped"
	} else if !ok || first > at {
		return "unanswered"
	}
	return ""
}

// routedIn says whether via's proxy routed to the pod at any moment of the slot at `at`,
// by the pod's route events: after a routing and before an unrouting; before its first
// route event, when that is an unrouting (routed when the run began); and throughout, when
// it has none but existed when the run began (no StepCreated).
func routedIn(evs []result.Event, at, slot time.Duration, via string) bool {
	var routes []result.Event
	created := false
	for _, e := range evs {
		created = created || e.Step == result.StepCreated
		if e.Kind == result.EventRoute && e.Via == via && (e.Step == result.StepRouted || e.Step == result.StepUnrouted) {
			routes = append(routes, e)
		}
	}
	if len(routes) == 0 {
		return !created
	}
	routed := routes[0].Step == result.StepUnrouted // its state before the first change
	for _, e := range routes {
		if e.At >= at+slot {
			break
		}
		if e.At > at && routed { // routed at the slot's start, changed within it
			return true
		}
		routed = e.Step == result.StepRouted
	}
	return routed
}
