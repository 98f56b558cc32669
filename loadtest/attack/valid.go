package attack

import (
	"fmt"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// DefaultMinRate is the least share of the requests asked for that a run must send to
// prove anything (Options.MinRate, --min-rate), over the run and over each of its phases
// (phases.go): below it, the load did not arrive.
const DefaultMinRate = 0.95

// validate adds to r.Invalid why it proves nothing: it was cut short (by ctx, when a
// duration or a Stop was to end it), an --at command failed or never ran (failed), or it
// sent fewer than o.MinRate of the requests p asked for in window, the time it was to
// send them in, less one: a window holds its rate's requests give or take one, and a
// short run would otherwise miss its floor by the one due as it ended. each, when the load
// fell short, says more of where (a merged run's attackers, each against its share).
func validate(r *result.Run, o *Options, failed []string, p vegeta.Pacer, window time.Duration, each func() string) {
	if r.Interrupted && (o.Duration > 0 || o.Stop != nil) {
		s := fmt.Sprintf("%s after %s", result.Reason, window.Round(time.Millisecond))
		if o.Duration > 0 {
			s += " of " + o.Duration.String()
		}
		r.Invalidate(s)
	}
	for _, f := range failed {
		r.Invalidate(f)
	}
	want := asked(p, window)
	if o.MinRate <= 0 || want <= 0 || float64(r.Requests+1) >= o.MinRate*want {
		return
	}
	s := window.Seconds()
	more := ""
	if each != nil {
		more = each()
	}
	r.Invalidate(fmt.Sprintf("the load fell short: %.2f/s sent of the %.6g/s asked over %s (%s, under the floor of %s)%s%s",
		float64(r.Requests)/s, want/s, window.Round(time.Millisecond), result.Percent(float64(r.Requests)/want),
		result.Percent(o.MinRate), behind(r.Latency.Mean, o, want/s), more))
}

// behind says why the attack could not send rate requests/s, where it can tell: the
// workers allowed, each busy for a request's latency (mean, of the requests it sent then),
// send no more than that many per latency (Little's law).
func behind(latency time.Duration, o *Options, rate float64) string {
	mean := latency.Seconds()
	if o.MaxWorkers == vegeta.DefaultMaxWorkers || mean <= 0 {
		return ": the sender fell behind with no limit on its workers (this machine's CPU or open files)"
	}
	if most := float64(o.MaxWorkers) / mean; most < rate {
		return fmt.Sprintf(": the worker limit was reached: %d workers at a mean latency of %s send at most %.2f/s",
			o.MaxWorkers, latency.Round(time.Microsecond), most)
	}
	return ""
}

// asked is how many requests p asks for in the first window of an attack; 0 for a pacer
// of another shape, which sets no floor.
func asked(p vegeta.Pacer, window time.Duration) float64 {
	switch p := p.(type) {
	case vegeta.ConstantPacer:
		return float64(p.Freq) * window.Seconds() / p.Per.Seconds()
	case *Steps:
		return p.total(window)
	}
	return 0
}
