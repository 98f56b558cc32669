package attack

import (
	"math"
	"slices"
	"time"

	"scalelab/loadtest/result"
)

// tally sorts the answers of an attack into fixed intervals by the offset at which
// each request was sent. It keeps every latency (8 bytes a request) so percentiles
// are exact; results arrive out of order, so no interval is final before the end.
type tally struct {
	interval time.Duration
	first    int // index of the first slot, the one the attack began in
	slots    []slot

	requests, ok int
	errors       result.Counts
	pods         map[string]int
	lost         result.PodCounts
	sum, max     time.Duration
	earliest     time.Duration // send offsets of the first and last request
	latest       time.Duration
	// sends is every request's send offset and latency, in the order they came back: what
	// the phase windows count (phases.go), which need not fall on the slots' bounds.
	sends []send
}

// send is one request as the phase windows count it.
type send struct{ at, latency time.Duration }

type slot struct {
	ok        int
	errors    result.Counts
	latencies []time.Duration
	pods      map[string]int
	lost      result.PodCounts
}

func newTally(interval, began time.Duration) *tally {
	return &tally{
		interval: interval,
		first:    int(began / interval),
		errors:   result.Counts{},
		pods:     map[string]int{},
		lost:     result.PodCounts{},
		earliest: -1,
	}
}

// add counts one request sent at offset that took latency; class is empty when it
// succeeded, pod is the X-Pod of the answer ("" for none), lost the pod a failed one went
// to ("" when unknown).
func (t *tally) add(offset, latency time.Duration, class result.Class, pod, lost string) {
	i := int(offset/t.interval) - t.first
	if i < 0 {
		i = 0
	}
	for len(t.slots) <= i {
		t.slots = append(t.slots, slot{})
	}
	s := &t.slots[i]
	t.requests++
	if class == "" {
		t.ok++
		s.ok++
	} else {
		t.errors[class]++
		if s.errors == nil {
			s.errors = result.Counts{}
		}
		s.errors[class]++
		if lost != "" {
			t.lost.Add(lost, class, 1)
			if s.lost == nil {
				s.lost = result.PodCounts{}
			}
			s.lost.Add(lost, class, 1)
		}
	}
	if pod != "" {
		t.pods[pod]++
		if s.pods == nil {
			s.pods = map[string]int{}
		}
		s.pods[pod]++
	}
	s.latencies = append(s.latencies, latency)
	t.sum += latency
	t.max = max(t.max, latency)
	if t.earliest < 0 || offset < t.earliest {
		t.earliest = offset
	}
	t.latest = max(t.latest, offset)
	t.sends = append(t.sends, send{offset, latency})
}

// rate is requests per second over the span of send times, as vegeta reports it.
func (t *tally) rate() float64 {
	span := t.latest - t.earliest
	if t.requests < 2 || span <= 0 {
		return 0
	}
	return float64(t.requests) / span.Seconds()
}

// fill writes the totals and the timeline into r.
func (t *tally) fill(r *result.Run) {
	r.Requests, r.OK, r.Errors = t.requests, t.ok, t.errors
	r.AchievedRate = t.rate()
	if t.requests > 0 {
		r.Success = float64(t.ok) / float64(t.requests)
	}
	if len(t.pods) > 0 {
		r.Pods = t.pods
	}
	if len(t.lost) > 0 {
		r.Lost = t.lost
	}
	r.Interval = t.interval
	r.Timeline = make([]result.Interval, len(t.slots))
	all := make([]time.Duration, 0, t.requests)
	for i := range t.slots {
		s := &t.slots[i]
		slices.Sort(s.latencies)
		r.Timeline[i] = result.Interval{
			Start:  time.Duration(t.first+i) * t.interval,
			OK:     s.ok,
			Errors: s.errors,
			P50:    quantile(s.latencies, 0.50),
			P99:    quantile(s.latencies, 0.99),
			Pods:   s.pods,
			Lost:   s.lost,
		}
		all = append(all, s.latencies...)
	}
	slices.Sort(all)
	r.Latency = result.Latency{
		P50: quantile(all, 0.50), P90: quantile(all, 0.90),
		P95: quantile(all, 0.95), P99: quantile(all, 0.99), Max: t.max,
	}
	if t.requests > 0 {
		r.Latency.Mean = t.sum / time.Duration(t.requests)
	}
}

// quantile is the nearest-rank q-quantile of sorted latencies; 0 for none.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
