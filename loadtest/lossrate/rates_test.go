package lossrate

import (
	"math"
	"testing"

	"scalelab/loadtest/result"
)

// The figures below were derived by hand or in exact rational arithmetic (Python's
// fractions and math.comb), independently of this code; where R prints the same
// figure in its documentation, that is said.

func TestFisherExact(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b Rate
		want float64
	}{
		// Fisher's lady tasting tea, 3 of 4 cups right: the tables' probabilities are
		// 1, 16, 36, 16, 1 in 70; two-sided p = 34/70.
		{Rate{3, 4}, Rate{1, 4}, 34.0 / 70},
		{Rate{0, 4}, Rate{4, 4}, 2.0 / 70}, // apart, four trials each: 2 / C(8,4)
		{Rate{0, 3}, Rate{3, 3}, 2.0 / 20}, // apart, three trials each: 2 / C(6,3)
		{Rate{0, 1}, Rate{1, 1}, 1},        // one draw each can show nothing
		{Rate{1, 3}, Rate{0, 3}, 1},
		{Rate{0, 5}, Rate{3, 5}, 1.0 / 6},
		{Rate{7, 10}, Rate{2, 10}, 293.0 / 4199},
		// R's ?fisher.test example "Convictions" (Fisher 1935, convicted twins):
		// two-sided 3571/6653325 = 0.0005367.
		{Rate{2, 17}, Rate{10, 13}, 3571.0 / 6653325},
		{Rate{0, 0}, Rate{3, 3}, 1}, // no trials: no evidence
	} {
		if got := FisherExact(c.a, c.b); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("FisherExact(%v, %v) = %.10f, want %.10f", c.a, c.b, got, c.want)
		}
		if got, want := FisherExact(c.b, c.a), FisherExact(c.a, c.b); math.Abs(got-want) > 1e-12 {
			t.Errorf("FisherExact is not symmetric on %v, %v: %v, %v", c.a, c.b, got, want)
		}
	}
}

// TestApartIsLeastP checks what Apart's documentation claims, for up to 12 trials a side:
// no table has a smaller p-value than the rates that are apart, so when they are not
// significant, nothing with these numbers of trials is.
func TestApartIsLeastP(t *testing.T) {
	t.Parallel()
	for na := 1; na <= 12; na++ {
		for nb := 1; nb <= 12; nb++ {
			apart := FisherExact(Rate{0, na}, Rate{nb, nb})
			for ka := 0; ka <= na; ka++ {
				for kb := 0; kb <= nb; kb++ {
					if p := FisherExact(Rate{ka, na}, Rate{kb, nb}); p < apart-1e-12 {
						t.Fatalf("%d/%d vs %d/%d has p %v, below apart's %v", ka, na, kb, nb, p, apart)
					}
				}
			}
		}
	}
}

func TestInterval(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		r      Rate
		lo, hi float64
	}{
		{Rate{3, 3}, math.Pow(0.025, 1.0/3), 1},     // n/n: lower bound (α/2)^(1/n) = 0.2924
		{Rate{0, 3}, 0, 1 - math.Pow(0.025, 1.0/3)}, // 0/n: upper bound 1-(α/2)^(1/n)
		{Rate{0, 1}, 0, 0.975},
		{Rate{1, 1}, 0.025, 1},
		// 1/3: the lower bound is 1-0.975^(1/3); the upper solves (1-p)³+3p(1-p)² = 0.025.
		// Solved by bisection in Python: 0.905700676, as R's binom.test(1, 3) prints.
		{Rate{1, 3}, 1 - math.Pow(0.975, 1.0/3), 0.905700676},
		{Rate{2, 5}, 0.05274495, 0.85336720}, // binom.test(2, 5)
		// R's ?binom.test example, Mendel's peas: 682 of 925, 0.7076683 0.7654066.
		{Rate{682, 925}, 0.7076683, 0.7654066},
		{Rate{0, 0}, 0, 1},
	} {
		lo, hi := c.r.Interval(0.95)
		if math.Abs(lo-c.lo) > 1e-7 || math.Abs(hi-c.hi) > 1e-7 {
			t.Errorf("%v: interval %.9f–%.9f, want %.9f–%.9f", c.r, lo, hi, c.lo, c.hi)
		}
	}
}

func TestApart(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		a, b Rate
		want bool
	}{
		{Rate{0, 1}, Rate{1, 1}, true},
		{Rate{3, 3}, Rate{0, 5}, true},
		{Rate{0, 3}, Rate{2, 3}, false},
		{Rate{0, 3}, Rate{0, 3}, false},
		{Rate{0, 0}, Rate{1, 1}, false},
	} {
		if got := Apart(c.a, c.b); got != c.want {
			t.Errorf("Apart(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestLossRateAndLosses(t *testing.T) {
	t.Parallel()
	once := result.Cell{Errors: result.Counts{result.Reset: 28}}
	if r := Of(once); r != (Rate{1, 1}) {
		t.Errorf("a cell run once that lost: %v, want 1/1", r)
	}
	if r := Of(result.Cell{Error: "deploy: timeout"}); r != (Rate{0, 0}) {
		t.Errorf("a cell that could not run: %v, want 0/0", r)
	}
	c := result.Cell{Errors: result.Counts{result.HTTP502: 9}, Trials: []result.Trial{
		{Errors: result.Counts{result.HTTP502: 9, result.Timeout: 1}},
		{Errors: result.Counts{}},
		{Errors: result.Counts{result.HTTP502: 4}},
		{Errors: result.Counts{result.HTTP502: 2, result.Timeout: 3}},
		{Error: "scale: forbidden", Errors: result.Counts{result.Refused: 100}}, // no draw
	}}
	if r := Of(c); r != (Rate{3, 4}) {
		t.Errorf("loss rate %v, want 3/4", r)
	}
	total, by := Losses(c)
	if total != (Spread{Median: 4.5, Max: 10}) {
		t.Errorf("total spread %+v, want median 4.5 (of 0, 4, 5, 10), max 10", total)
	}
	if by[result.HTTP502] != (Spread{Median: 3, Max: 9}) || by[result.Timeout] != (Spread{Median: 0.5, Max: 3}) || len(by) != 2 {
		t.Errorf("spread by class %+v, want 502 median 3 max 9, timeout median 0.5 max 3", by)
	}
}
