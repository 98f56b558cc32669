package report

import (
	"slices"
	"testing"

	"scalelab/loadtest/result"
)

// A scenario's outcome: a broken promise fails it, a cell that could not run makes it
// invalid over any failure, and each such cell has a line.
func TestScenarioOutcome(t *testing.T) {
	t.Parallel()
	cell := func(via string, v result.Verdict) result.Cell {
		return result.Cell{Scenario: "scale-down", Via: via, Verdict: v, Error: "boom"}
	}
	tests := []struct {
		cells []result.Cell
		want  result.Status
		why   []string
	}{
		{[]result.Cell{cell("service", result.VerdictKept)}, result.StatusPass, nil},
		{[]result.Cell{cell("service", result.VerdictKept), cell("ingress", result.VerdictBroken)}, result.StatusFail, nil},
		{[]result.Cell{cell("service", result.VerdictError), cell("ingress", result.VerdictBroken)}, result.StatusInvalid,
			[]string{"scale-down via service could not run: boom"}},
	}
	for _, tt := range tests {
		st, why := ScenarioOutcome(&result.Matrix{Cells: tt.cells})
		if st != tt.want || !slices.Equal(why, tt.why) {
			t.Errorf("%v: %s %q, want %s %q", tt.cells, st, why, tt.want, tt.why)
		}
	}
}

// Why a run did not pass: each failed gate, then each reason it proves nothing.
func TestWhy(t *testing.T) {
	t.Parallel()
	r := &result.Run{Gates: []result.Gate{{Name: "max-errors", Limit: "0", Actual: "3", OK: false}, {Name: "requests", OK: true}},
		Invalid: []string{"sent 50% of --rate"}}
	want := []string{"gate max-errors failed: 3, limit 0", "INVALID: sent 50% of --rate"}
	if got := Why(r); !slices.Equal(got, want) {
		t.Errorf("%q, want %q", got, want)
	}
}
