package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// A pod's state on its row, from its events.
const (
	statePending     = "pending"                // created, no container yet
	stateStarting    = "started, not listening" // a container runs, its port refuses
	stateReadyDeaf   = "ready, not listening"   // the proxies may route to a port that refuses
	stateRunning     = "running"                // started, where the run does not record listening
	stateListening   = "listening, not ready"
	stateReady       = "ready"
	stateTerminating = "terminating" // deletion requested or SIGTERM, still running
	stateExited      = "exited"      // its container ended; the pod is not gone yet
)

// allStates are the states in the legend's order.
var allStates = []string{statePending, stateStarting, stateReadyDeaf, stateRunning, stateListening, stateReady, stateTerminating, stateExited}

// stateColor is the fill of a state's stretch of a row.
func stateColor(s string) string {
	switch s {
	case statePending:
		return "#e5e7eb"
	case stateStarting:
		return "#fcd34d"
	case stateReadyDeaf:
		return "url(#deaf)" // stripes: see deafPattern
	case stateRunning, stateListening:
		return "#86efac"
	case stateReady:
		return "#16a34a"
	case stateTerminating:
		return "#f97316"
	case stateExited:
		return "#334155"
	}
	return "#e5e7eb"
}

// deafPattern fills a "ready, not listening" stretch: the amber of a port that refuses,
// striped with the red of the failures it causes once a proxy routes there.
const deafPattern = `<defs><pattern id="deaf" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
	`<rect width="6" height="6" fill="#fcd34d"/><rect width="3" height="6" fill="#e11d48"/></pattern></defs>` + "\n"

// lineEndpoint is the key of the EndpointSlice's view among a row's route lines.
const lineEndpoint = "endpoint"

// lineColor is the colour of a route line: the EndpointSlice's, or a path's proxy's.
func lineColor(key string) string {
	switch key {
	case lineEndpoint:
		return "#94a3b8"
	case result.ViaService:
		return "#2563eb"
	case result.ViaIngress:
		return "#7c3aed"
	}
	return "#0891b2"
}

// span is a stretch of a row's time in one state, or routed by one proxy.
type span struct {
	from, to time.Duration
	what     string
}

// podRow is one pod's row under the aggregate panels: its states, the routes to it (the
// EndpointSlice's and each proxy's own), its marks (SIGTERM, exit, ...), and the
// requests it answered and lost per bucket.
type podRow struct {
	pod    string
	first  time.Duration // its first sign of life: the order of the rows
	states []span
	lines  map[string][]span // by lineEndpoint or path
	marks  []result.Event
}

// markSteps are the steps drawn as a tick across a row.
var markSteps = []string{result.StepListening, result.StepSIGTERM, result.StepSIGKILL, result.StepExited, result.StepGone}

// markColor is the colour of a mark's tick.
func markColor(step string) string {
	switch step {
	case result.StepListening:
		return "#15803d"
	case result.StepSIGTERM:
		return "#c2410c"
	case result.StepSIGKILL:
		return "#b91c1c"
	}
	return "#0f172a"
}

// buildPodRows makes a row for every pod the run's events name or its answers or failures
// came from, in the order they appeared, over [t0, t1]. A pod already there when the
// run's events begin (no "created") is drawn ready, and routed by every line whose first
// change of it is a removal, from t0: a scenario starts its load on a settled platform.
func buildPodRows(r *result.Run, t0, t1 time.Duration) []podRow {
	byPod := map[string]*podRow{}
	get := func(pod string, at time.Duration) *podRow {
		l := byPod[pod]
		if l == nil {
			l = &podRow{pod: pod, first: at, lines: map[string][]span{}}
			byPod[pod] = l
		}
		return l
	}
	var listening bool // the run records listening at all
	evs := map[string][]result.Event{}
	for _, e := range r.Events {
		if e.Pod == "" {
			continue
		}
		get(e.Pod, e.At)
		evs[e.Pod] = append(evs[e.Pod], e)
		listening = listening || e.Step == result.StepListening
	}
	for _, iv := range r.Timeline {
		for pod := range iv.Pods {
			get(pod, max(iv.Start, t0))
		}
		for pod := range iv.Lost {
			get(pod, max(iv.Start, t0))
		}
	}
	// Every line some pod's events change: a pod there from the start that none of them
	// changes was routed by it all along.
	keys := map[string]bool{}
	for _, es := range evs {
		for k := range lines(es, t0, t1) {
			keys[k] = true
		}
	}
	var out []podRow
	for pod, l := range byPod {
		l.states = states(evs[pod], listening, len(evs) > 0, t0, t1)
		l.lines = lines(evs[pod], t0, t1)
		if es := evs[pod]; len(evs) > 0 && (len(es) == 0 || es[0].Step != result.StepCreated) {
			end := t1
			if i := slices.IndexFunc(es, func(e result.Event) bool { return e.Step == result.StepGone }); i >= 0 {
				end = es[i].At
			}
			for k := range keys {
				if !changes(es, k) {
					l.lines[k] = []span{{t0, end, k}}
				}
			}
		}
		for _, e := range evs[pod] {
			if slices.Contains(markSteps, e.Step) && e.At >= t0 && e.At <= t1 {
				l.marks = append(l.marks, e)
			}
		}
		if len(evs[pod]) > 0 && evs[pod][0].Step != result.StepCreated {
			l.first = t0
		}
		out = append(out, *l)
	}
	slices.SortFunc(out, func(a, b podRow) int { return cmp.Or(cmp.Compare(a.first, b.first), strings.Compare(a.pod, b.pod)) })
	return out
}

// changes says whether any of a pod's events changes the line key.
func changes(evs []result.Event, key string) bool {
	return slices.ContainsFunc(evs, func(e result.Event) bool {
		switch e.Step {
		case result.StepEndpointReady, result.StepEndpointNotReady, result.StepEndpointTerminating, result.StepEndpointRemoved:
			return key == lineEndpoint
		case result.StepRouted, result.StepUnrouted:
			return key == e.Via
		}
		return false
	})
}

// states follows one pod's events (in time order) into stretches of its states: its
// container's life (pending, running, terminating, exited), and while it runs whether it
// is ready and, where the run records it, whether its port accepts (listening). A pod with
// no event at all is ready throughout when the run follows pods (settled: the scenario
// began settled and nothing happened to it), else just running.
func states(evs []result.Event, listening, settled bool, t0, t1 time.Duration) []span {
	if len(evs) == 0 {
		if settled {
			return []span{{t0, t1, stateReady}}
		}
		return []span{{t0, t1, stateRunning}}
	}
	// A pod there before the run's events is taken as settled: running, ready, listening.
	var (
		life  = stateRunning // "" (not yet, or gone), pending, running, terminating, exited
		ready = true
		up    = true
	)
	if evs[0].Step == result.StepCreated {
		life, ready, up = "", false, false
	}
	state := func() string {
		if life != stateRunning {
			return life
		}
		switch {
		case !listening && ready:
			return stateReady
		case !listening:
			return stateRunning
		case ready && up:
			return stateReady
		case ready:
			return stateReadyDeaf
		case up:
			return stateListening
		}
		return stateStarting
	}
	var out []span
	cur, since := state(), t0
	for _, e := range evs {
		switch e.Step {
		case result.StepCreated:
			life = statePending
		case result.StepStarted:
			if life != stateTerminating {
				life = stateRunning
			}
			up = false
		case result.StepListening:
			up = true
		case result.StepReady:
			ready = true
		case result.StepNotReady:
			ready = false
		case result.StepDeleting, result.StepSIGTERM:
			if life != stateExited {
				life = stateTerminating
			}
		case result.StepExited:
			life, up = stateExited, false
		case result.StepGone:
			life = ""
		default:
			continue
		}
		if next := state(); next != cur {
			if cur != "" && e.At > since {
				out = append(out, span{max(since, t0), min(e.At, t1), cur})
			}
			cur, since = next, e.At
		}
	}
	if cur != "" && t1 > since {
		out = append(out, span{max(since, t0), t1, cur})
	}
	return out
}

// lines follows one pod's endpoint and route events into the stretches it was routed by
// the EndpointSlice (ready) and by each path's proxy.
func lines(evs []result.Event, t0, t1 time.Duration) map[string][]span {
	out := map[string][]span{}
	on := map[string]time.Duration{}
	seen := map[string]bool{}
	set := func(key string, up bool, at time.Duration) {
		start, isOn := on[key]
		if !seen[key] && !up && !isOn { // removed first: it was there from the start
			start, isOn = t0, true
		}
		seen[key] = true
		switch {
		case up && !isOn:
			on[key] = at
		case !up && isOn:
			if at > t0 {
				out[key] = append(out[key], span{max(start, t0), min(at, t1), key})
			}
			delete(on, key)
		}
	}
	for _, e := range evs {
		switch e.Step {
		case result.StepEndpointReady:
			set(lineEndpoint, true, e.At)
		case result.StepEndpointNotReady, result.StepEndpointTerminating, result.StepEndpointRemoved:
			set(lineEndpoint, false, e.At)
		case result.StepRouted:
			set(e.Via, true, e.At)
		case result.StepUnrouted:
			set(e.Via, false, e.At)
		}
	}
	for key, start := range on {
		if start < t1 {
			out[key] = append(out[key], span{max(start, t0), t1, key})
		}
	}
	return out
}

// podRowLabels are the pods' names less the prefix they all share, so the part that tells
// them apart fits the margin; each cut to n runes from the right.
func podRowLabels(ls []podRow, n int) []string {
	prefix := ""
	if len(ls) > 1 {
		prefix = ls[0].pod
		for _, l := range ls[1:] {
			for !strings.HasPrefix(l.pod, prefix) {
				prefix = prefix[:len(prefix)-1]
			}
		}
		// cut at a dash, so "hello-" goes and "hello-4" does not
		if i := strings.LastIndexByte(prefix, '-'); i >= 0 {
			prefix = prefix[:i+1]
		} else {
			prefix = ""
		}
	}
	out := make([]string, len(ls))
	for i, l := range ls {
		s := []rune(strings.TrimPrefix(l.pod, prefix))
		if len(s) > n {
			s = append([]rune("…"), s[len(s)-n+1:]...)
		}
		out[i] = string(s)
	}
	return out
}

// podRowGeometry is the height of each row's parts, smaller when there are many rows.
type podRowGeometry struct {
	traffic, bar, line, gap float64
}

func (g podRowGeometry) height(lines int) float64 {
	return g.traffic + g.bar + float64(lines)*g.line + g.gap
}

func geometryFor(n int) podRowGeometry {
	switch {
	case n > 10:
		return podRowGeometry{traffic: 9, bar: 6, line: 2.5, gap: 4}
	case n > 6:
		return podRowGeometry{traffic: 14, bar: 9, line: 3, gap: 7}
	}
	return podRowGeometry{traffic: 20, bar: 12, line: 3.5, gap: 9}
}

// drawPodRows draws the rows from y0 on and returns where they end.
func (p *plot) drawPodRows(b *strings.Builder, y0 float64, via string) float64 {
	if len(p.podRows) == 0 {
		return y0
	}
	g := geometryFor(len(p.podRows))
	keys := p.lineKeys()
	b.WriteString(deafPattern)
	fmt.Fprintf(b, `<text x="%g" y="%g" fill="#333">pods: requests answered and lost per %s · state · routes to it</text>`+"\n",
		left, y0-6, p.step)
	labels := podRowLabels(p.podRows, 17)
	// The traffic of every row shares one scale, so that a pod's share reads across rows.
	most := 1
	for _, bk := range p.podBuckets {
		for pod, n := range bk.answered {
			most = max(most, n+bk.lost[pod].Total())
		}
		for pod, c := range bk.lost {
			most = max(most, bk.answered[pod]+c.Total())
		}
	}
	y := y0
	for i, l := range p.podRows {
		h := g.height(len(keys))
		if i%2 == 1 {
			fmt.Fprintf(b, `<rect x="0" y="%.1f" width="%g" height="%.1f" fill="#f8fafc"/>`+"\n", y-g.gap/2, p.width, h)
		}
		fmt.Fprintf(b, `<text x="%g" y="%.1f" text-anchor="end" font-size="10" fill="#333"><title>%s</title>%s</text>`+"\n",
			left-6, y+g.traffic+g.bar-1, esc(l.pod), esc(labels[i]))
		p.podRowTraffic(b, l.pod, y, g.traffic, most)
		by := y + g.traffic
		for _, s := range l.states {
			x0, x1 := p.x(s.from), p.x(s.to)
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%g" fill="%s"><title>%s %s: %s–%s</title></rect>`+"\n",
				x0, by, max(x1-x0, 0.5), g.bar, stateColor(s.what), esc(l.pod), s.what, Offset(s.from), Offset(s.to))
		}
		for j, key := range keys {
			ly := by + g.bar + g.line*(float64(j)+0.5)
			opacity := 1.0
			if key != via && key != lineEndpoint && via != "" {
				opacity = 0.4
			}
			for _, s := range l.lines[key] {
				fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="%g" stroke-opacity="%g"><title>%s routed by %s: %s–%s</title></line>`+"\n",
					p.x(s.from), ly, p.x(s.to), ly, lineColor(key), g.line-0.5, opacity, esc(l.pod), esc(key), Offset(s.from), Offset(s.to))
			}
		}
		for _, m := range l.marks {
			x := p.x(m.At)
			fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5"><title>%s %s</title></line>`+"\n",
				x, by-2, x, by+g.bar+2, markColor(m.Step), Offset(m.At), esc(m.Name))
		}
		y += h
	}
	return y
}

// lineKeys are the route lines the pod rows draw: the EndpointSlice's, then each path's.
func (p *plot) lineKeys() []string {
	seen := map[string]bool{}
	for _, l := range p.podRows {
		for k := range l.lines {
			seen[k] = true
		}
	}
	var out []string
	if seen[lineEndpoint] {
		out = append(out, lineEndpoint)
	}
	delete(seen, lineEndpoint)
	out = append(out, slices.Sorted(maps.Keys(seen))...)
	return out
}

// podRowTraffic draws, above a row's states, the requests the pod answered (an area) and
// those that failed going to it (bars in their class's colour, stacked on the answered).
func (p *plot) podRowTraffic(b *strings.Builder, pod string, y0, h float64, most int) {
	base := y0 + h
	var path strings.Builder
	open := false
	for i, bk := range p.podBuckets {
		n := bk.answered[pod]
		x0, x1 := p.x(p.buckets[i].Start), p.x(p.buckets[i].Start+p.step)
		if n == 0 {
			if open {
				path.WriteString("Z ")
				open = false
			}
			continue
		}
		top := base - h*float64(n)/float64(most)
		if !open {
			fmt.Fprintf(&path, "M%.1f %.1f ", x0, base)
			open = true
		}
		fmt.Fprintf(&path, "L%.1f %.1f L%.1f %.1f ", x0, top, x1, top)
		if i+1 == len(p.podBuckets) || p.podBuckets[i+1].answered[pod] == 0 {
			fmt.Fprintf(&path, "L%.1f %.1f Z ", x1, base)
			open = false
		}
	}
	if path.Len() > 0 {
		fmt.Fprintf(b, `<path d="%s" fill="%s" fill-opacity="0.55"/>`+"\n", strings.TrimSpace(path.String()), okColor)
	}
	for i, bk := range p.podBuckets {
		c := bk.lost[pod]
		if c.Total() == 0 {
			continue
		}
		x0, x1 := p.x(p.buckets[i].Start), p.x(p.buckets[i].Start+p.step)
		y := base - h*float64(bk.answered[pod])/float64(most)
		for _, class := range Present(c) {
			hh := max(h*float64(c[class])/float64(most), 1)
			y -= hh
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s–%s: %d %s</title></rect>`+"\n",
				x0, y, max(x1-x0-0.5, 0.5), hh, classColor(class), esc(pod), Offset(p.buckets[i].Start), Offset(p.buckets[i].Start+p.step), c[class], class)
		}
	}
}

// podBucket is one bucket's answers and failures by pod.
type podBucket struct {
	answered map[string]int
	lost     result.PodCounts
}

// legendItem is one entry of the pod rows' legend: a box (a state), a line (a route) or a
// tick (a mark), in its colour, and its words.
type legendItem struct{ kind, color, label string }

// podRowLegend lists what the rows draw: the states, route lines and marks present.
func (p *plot) podRowLegend() []legendItem {
	var items []legendItem
	states, marks := map[string]bool{}, map[string]bool{}
	for _, l := range p.podRows {
		for _, st := range l.states {
			states[st.what] = true
		}
		for _, m := range l.marks {
			marks[m.Step] = true
		}
	}
	for _, st := range allStates {
		if states[st] {
			items = append(items, legendItem{"box", stateColor(st), st})
		}
	}
	for _, k := range p.lineKeys() {
		label := "routed by " + k
		if k == lineEndpoint {
			label = "endpoint ready"
		}
		items = append(items, legendItem{"line", lineColor(k), label})
	}
	for _, m := range markSteps {
		if marks[m] {
			items = append(items, legendItem{"tick", markColor(m), m})
		}
	}
	return items
}

// legendPos is where an item of a legend goes: its row and its x from the left edge.
type legendPos struct {
	row int
	x   float64
}

// layoutLegend puts items in rows no wider than width, and says how many rows it took.
func layoutLegend(items []legendItem, width float64) ([]legendPos, int) {
	pos := make([]legendPos, len(items))
	row, x := 0, 0.0
	for i, it := range items {
		w := 24 + 6*float64(len([]rune(it.label)))
		if x > 0 && x+w > width {
			row, x = row+1, 0
		}
		pos[i] = legendPos{row, x}
		x += w
	}
	return pos, row + 1
}
