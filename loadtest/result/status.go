package result

import "slices"

// Status is the outcome of a run or of a matrix: pass, fail, or invalid — the run proves
// nothing, whatever it measured, and its Invalid says why (an action that failed, a load
// that did not arrive, an interruption). Reports say it first, and the commands' exit
// status follows it.
type Status string

const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusInvalid Status = "invalid"
	// StatusNone is a run judged by nothing: no gate, and valid (a scenario's run, whose
	// verdict is its cell's).
	StatusNone Status = "none"
)

// Word is how a report's first line says it: PASS, FAIL, INVALID, or RESULT for none.
func (s Status) Word() string {
	switch s {
	case StatusPass:
		return "PASS"
	case StatusFail:
		return "FAIL"
	case StatusInvalid:
		return "INVALID"
	}
	return "RESULT"
}

// Reason is why an interrupted run proves nothing; a run, a trial and a cell cut short
// say it first.
const Reason = "interrupted"

// Invalidate adds why r proves nothing, once. The attack adds its own reasons (an --at
// command that failed, the load short of its floor, an interruption); a scenario may add
// its own (an action that took no effect).
func (r *Run) Invalidate(reason string) {
	if !slices.Contains(r.Invalid, reason) {
		r.Invalid = append(r.Invalid, reason)
	}
}

// Outcome is r's status: invalid when any reason says it proves nothing, else pass or
// fail by its gates, none when it has none.
func (r *Run) Outcome() Status {
	switch {
	case len(r.Invalid) > 0:
		return StatusInvalid
	case len(r.Gates) == 0:
		return StatusNone
	case r.Passed():
		return StatusPass
	}
	return StatusFail
}

// Void says whether the cell proves nothing: interrupted, not run, or invalid.
func (c Cell) Void() bool { return c.Interrupted || c.NotRun || len(c.Invalid) > 0 }

// Outcome is m's status: invalid when it was interrupted or any cell proves nothing —
// a matrix with a hole is never a pass —, else fail when it has problems, else pass.
func (m *Matrix) Outcome() Status {
	switch {
	case m.Interrupted || slices.ContainsFunc(m.Cells, Cell.Void):
		return StatusInvalid
	case len(m.Problems) > 0:
		return StatusFail
	}
	return StatusPass
}
