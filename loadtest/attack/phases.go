package attack

import (
	"fmt"
	"math"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// The floor holds over every phase of a run, not only over the whole: a sender that stalled
// for seconds while the action ran — the moment the run is for — and caught up afterwards
// sent enough over the run, and still did not load the action. A run's phases are its
// phase events (result.EventPhase: "attack start", the scenario's action, "settled", ...):
// each from its event to the next one's, within the time the attack was to send in.

// MinPhase is the shortest phase window judged alone, and minPhaseAsked the fewest requests
// it must ask for: a shorter one is joined to the window after it (the last to the one
// before). A window so judged misses its floor only when its sender stalled for a tenth of
// a second at least (5 % of 2 s), not for a scheduler's hiccup on a busy machine, nor on
// rounding: in the lab's fast matrix on 2 cores with a load of 3-4, the settle-to-stop
// window of 1-1.7 s judged alone fell to 93 % for one 60 ms pause before the stop; joined,
// such a pause is a fraction of the floor's slack.
const (
	MinPhase      = 2 * time.Second
	minPhaseAsked = 100
)

// phaseWindow is a stretch of a run between phase events, as offsets from the log's start.
type phaseWindow struct {
	names    []string // the phases it holds: one, or more where short ones were joined
	from, to time.Duration
}

// validatePhases adds to r.Invalid each phase window in which the attack sent fewer than
// o.MinRate of the requests p asked for there, less one (as validate). The attack was to
// send from offset from to offset to, p's schedule counting from offset origin; the
// requests are counted by their send offsets (sends), not by when they were answered.
// Nothing is judged when the phases make a single window: the whole run, which validate
// judges.
func validatePhases(r *result.Run, o *Options, p vegeta.Pacer, sends []send, origin, from, to time.Duration) {
	if o.MinRate <= 0 || to <= from {
		return
	}
	askedIn := func(w phaseWindow) float64 { return asked(p, w.to-origin) - asked(p, w.from-origin) }
	short := func(w phaseWindow) bool { return w.to-w.from < MinPhase || askedIn(w) < minPhaseAsked }
	var ws []phaseWindow
	for _, w := range phaseWindows(r.Events, from, to) {
		if n := len(ws); n > 0 && short(ws[n-1]) {
			ws[n-1] = join(ws[n-1], w)
			continue
		}
		ws = append(ws, w)
	}
	if n := len(ws); n > 1 && short(ws[n-1]) {
		ws = append(ws[:n-2], join(ws[n-2], ws[n-1]))
	}
	if len(ws) < 2 {
		return
	}
	for i, w := range ws {
		want := askedIn(w)
		// The last window holds every request sent from its start: those the pacer had
		// issued as the attack was stopped, which the run counts too, may start just after.
		end := w.to
		if i == len(ws)-1 {
			end = time.Duration(math.MaxInt64)
		}
		// The requests sent in it, and the mean latency of those in flight in it (sent before
		// its end, answered after its start): a stalled target's held requests are sent
		// before the stall, and answered only after it.
		var sent, busy int
		var sum time.Duration
		for _, s := range sends {
			if s.at >= w.from && s.at < end {
				sent++
			}
			if s.at < w.to && s.at+s.latency > w.from {
				busy++
				sum += s.latency
			}
		}
		if want <= 0 || float64(sent+1) >= o.MinRate*want {
			continue
		}
		var mean time.Duration
		if busy > 0 {
			mean = sum / time.Duration(busy)
		}
		secs := (w.to - w.from).Seconds()
		r.Invalidate(fmt.Sprintf("the load fell short in %s (%.3fs–%.3fs): %.2f/s sent of the %.6g/s asked (%s, under the floor of %s)%s",
			w.name(), w.from.Seconds(), w.to.Seconds(), float64(sent)/secs, want/secs,
			result.Percent(float64(sent)/want), result.Percent(o.MinRate), behind(mean, o, want/secs)))
	}
}

// phaseWindows are the windows between r's phase events, each from its event to the next
// one's, cut to [from, to); those that fall outside it are left out.
func phaseWindows(events []result.Event, from, to time.Duration) []phaseWindow {
	var phases []result.Event
	for _, e := range events { // ordered by offset (Log.Events)
		if e.Kind == result.EventPhase {
			phases = append(phases, e)
		}
	}
	var ws []phaseWindow
	for i, e := range phases {
		end := to
		if i+1 < len(phases) {
			end = min(phases[i+1].At, to)
		}
		if start := max(e.At, from); start < end {
			ws = append(ws, phaseWindow{[]string{e.Name}, start, end})
		}
	}
	return ws
}

func join(a, b phaseWindow) phaseWindow {
	return phaseWindow{append(append([]string(nil), a.names...), b.names...), a.from, b.to}
}

// name is `phase "scale-down"`, or `phases "scale-down", "settled"` for joined ones.
func (w phaseWindow) name() string {
	q := make([]string, len(w.names))
	for i, n := range w.names {
		q[i] = fmt.Sprintf("%q", result.Short(n, 60))
	}
	if len(q) == 1 {
		return "phase " + q[0]
	}
	return "phases " + strings.Join(q, ", ")
}
