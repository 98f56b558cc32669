package attack

import (
	"fmt"
	"time"

	"scalelab/loadtest/result"
)

// Gates are the pass/fail conditions of a run; each one is off at its zero value,
// except MaxErrors, which is off when negative (0 allows no failed request).
type Gates struct {
	MaxErrors  int           // most failed requests allowed; < 0: no limit
	MinSuccess float64       // least success ratio, 0..1; 0: no limit
	MaxP99     time.Duration // highest p99 latency; 0: no limit
	// Budget is the most failed requests allowed of each class named (e.g. 502: 0,
	// timeout: 5); a class it does not name has no limit of its own.
	Budget result.Counts
}

// On reports whether any gate but "requests > 0" is on; Judge always adds that one.
func (g Gates) On() bool {
	return g.MaxErrors >= 0 || g.MinSuccess > 0 || g.MaxP99 > 0 || len(g.Budget) > 0
}

// Judge fills r.Gates with every gate that is on, what it allowed and what was
// measured, saying by how much a failed gate missed. A run that sent no request
// fails: it proves nothing.
func Judge(r *result.Run, g Gates) {
	r.Gates = []result.Gate{{
		Name: "requests", Limit: "> 0", Actual: fmt.Sprint(r.Requests), OK: r.Requests > 0,
	}}
	if g.MaxErrors >= 0 {
		n := r.Failed()
		gate := result.Gate{Name: "max-errors", Limit: fmt.Sprint(g.MaxErrors),
			Actual: fmt.Sprint(n), OK: n <= g.MaxErrors}
		if !gate.OK {
			gate.Actual += fmt.Sprintf(" (%d over)", n-g.MaxErrors)
		}
		r.Gates = append(r.Gates, gate)
	}
	if g.MinSuccess > 0 {
		gate := result.Gate{Name: "min-success", Limit: result.Percent(g.MinSuccess),
			Actual: result.Percent(r.Success), OK: r.Success >= g.MinSuccess}
		if !gate.OK {
			gate.Actual += fmt.Sprintf(" (%.3f points under)", 100*(g.MinSuccess-r.Success))
		}
		r.Gates = append(r.Gates, gate)
	}
	for _, c := range result.Classes {
		limit, ok := g.Budget[c]
		if !ok {
			continue
		}
		n := r.Errors[c]
		gate := result.Gate{Name: "budget " + string(c), Limit: fmt.Sprint(limit), Actual: fmt.Sprint(n), OK: n <= limit}
		if !gate.OK {
			gate.Actual += fmt.Sprintf(" (%d over)", n-limit)
		}
		r.Gates = append(r.Gates, gate)
	}
	if g.MaxP99 > 0 {
		p99 := r.Latency.P99
		gate := result.Gate{Name: "max-p99", Limit: g.MaxP99.String(),
			Actual: p99.String(), OK: p99 <= g.MaxP99}
		if !gate.OK {
			gate.Actual += fmt.Sprintf(" (%s over)", p99-g.MaxP99)
		}
		r.Gates = append(r.Gates, gate)
	}
}
