// Package lossrate judges a matrix's cells by their trials: every lesson of the testbed
// is a race, so a cell's outcome is a rate — in how many of its trials a request was lost
// (Of), with its exact interval (Rate.Interval) — and two cells differ when Fisher's exact
// test says so (FisherExact, Apart). Beside the rate, the failed requests' median and
// maximum over the trials (Losses). It reads result's plain types and keeps no state.
package lossrate

import (
	"fmt"
	"math"
	"slices"

	"scalelab/loadtest/result"
)

// Rate is k of n: in how many of a cell's trials something happened, such as a loss.
// Every lesson of the testbed is a race, so a cell's outcome is a rate, not one draw.
type Rate struct {
	K int `json:"k"` // trials in which it happened
	N int `json:"n"` // trials
}

// String is "2/3".
func (r Rate) String() string { return fmt.Sprintf("%d/%d", r.K, r.N) }

// Interval is the exact (Clopper–Pearson) two-sided confidence interval of the rate's
// probability at the given level (0.95 for 95 %): the probabilities p for which seeing
// K or more, and K or fewer, of N is each at least (1-level)/2 likely. It is what N
// allows: 3/3 is 29–100 % at 95 %, 30/30 is 88–100 %. A rate of no trials is 0–1.
func (r Rate) Interval(level float64) (lo, hi float64) {
	tail := (1 - level) / 2
	lo, hi = 0, 1
	if r.N <= 0 {
		return lo, hi
	}
	if r.K > 0 { // P(X ≥ K | p) = tail; P(X ≥ K) grows with p
		lo = bisect(func(p float64) bool { return 1-binomCDF(r.K-1, r.N, p) < tail })
	}
	if r.K < r.N { // P(X ≤ K | p) = tail; P(X ≤ K) falls with p
		hi = bisect(func(p float64) bool { return binomCDF(r.K, r.N, p) > tail })
	}
	return lo, hi
}

// bisect finds, to 1e-12, the p in [0, 1] where below(p) turns from true to false.
func bisect(below func(p float64) bool) float64 {
	lo, hi := 0.0, 1.0
	for hi-lo > 1e-12 {
		mid := (lo + hi) / 2
		if below(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// binomCDF is P(X ≤ k) for X binomial with n trials of probability p.
func binomCDF(k, n int, p float64) float64 {
	switch {
	case k < 0:
		return 0
	case k >= n || p <= 0:
		return 1
	case p >= 1:
		return 0
	}
	sum := 0.0
	for i := 0; i <= k && i <= n; i++ {
		sum += math.Exp(logChoose(n, i) + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
	}
	return min(sum, 1)
}

// logChoose is log C(n, k).
func logChoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// FisherExact is the two-sided p-value of Fisher's exact test on the 2×2 table of two
// rates (happened / did not × a / b): given the margins, how likely a table at most as
// likely as the one seen is, if both rates share one probability. Like R's fisher.test,
// it sums the tables whose probability is at most the seen one's (within a relative
// 1e-7, so that ties in exact arithmetic stay ties). 1 when either rate has no trials.
func FisherExact(a, b Rate) float64 {
	n, k := a.N+b.N, a.K+b.K
	if a.N <= 0 || b.N <= 0 {
		return 1
	}
	// The number of a's trials in which it happened is hypergeometric: k of the n trials
	// happened, a.N of them are a's.
	logP := func(x int) float64 { return logChoose(a.N, x) + logChoose(b.N, k-x) - logChoose(n, k) }
	seen := logP(a.K)
	p := 0.0
	for x := max(0, k-b.N); x <= min(k, a.N); x++ {
		if lp := logP(x); lp <= seen+1e-7 {
			p += math.Exp(lp)
		}
	}
	return min(p, 1)
}

// Apart reports whether two rates are as far apart as rates can be: it happened in every
// trial of one and in no trial of the other. This is the table with the least p-value
// Fisher's test can give for these numbers of trials, so when it is not significant,
// nothing is: with one trial on each side, 0/1 against 1/1 has p = 1.
func Apart(a, b Rate) bool {
	if a.N <= 0 || b.N <= 0 {
		return false
	}
	return (a.K == 0 && b.K == b.N) || (a.K == a.N && b.K == 0)
}

// Draws are the trials of the cell that ran: a trial that ended in an error (the
// scenario could not do what it should), proves nothing or was cut short is no draw of
// the race. A cell that ran once is one trial made of its own fields.
func Draws(c result.Cell) []result.Trial {
	ts := c.Trials
	if len(ts) == 0 {
		ts = []result.Trial{{Dir: c.Dir, Requests: c.Requests, Errors: c.Errors, P99: c.P99, Wall: c.Wall,
			Overhead: c.Overhead, Restarts: c.Restarts, Kills: c.Kills, Gates: c.Gates, Error: c.Error,
			Invalid: c.Invalid, Interrupted: c.Interrupted || c.NotRun}}
	}
	var out []result.Trial
	for _, t := range ts {
		if t.Error == "" && len(t.Invalid) == 0 && !t.Interrupted {
			out = append(out, t)
		}
	}
	return out
}

// Of is the cell's loss rate: in how many of its draws at least one request failed.
func Of(c result.Cell) Rate {
	ds := Draws(c)
	r := Rate{N: len(ds)}
	for _, t := range ds {
		if t.Errors.Total() > 0 {
			r.K++
		}
	}
	return r
}

// Spread is the median and the maximum of counts over a cell's trials: of its failed
// requests, or of those of one class.
type Spread struct {
	Median float64 `json:"median"`
	Max    int     `json:"max"`
}

// SpreadOf is the median and the maximum of vs; zero for none.
func SpreadOf(vs []int) Spread {
	if len(vs) == 0 {
		return Spread{}
	}
	s := slices.Sorted(slices.Values(vs))
	m := len(s) / 2
	med := float64(s[m])
	if len(s)%2 == 0 {
		med = float64(s[m-1]+s[m]) / 2
	}
	return Spread{Median: med, Max: s[len(s)-1]}
}

// Losses is the spread of the failed requests over the cell's draws, in total and of
// each class that failed in any draw.
func Losses(c result.Cell) (total Spread, byClass map[result.Class]Spread) {
	ds := Draws(c)
	totals := make([]int, len(ds))
	perClass := map[result.Class][]int{}
	for i, t := range ds {
		totals[i] = t.Errors.Total()
		for class, n := range t.Errors {
			if n > 0 && perClass[class] == nil {
				perClass[class] = make([]int, len(ds))
			}
		}
	}
	for class, vs := range perClass {
		for i, t := range ds {
			vs[i] = t.Errors[class]
		}
	}
	byClass = map[result.Class]Spread{}
	for class, vs := range perClass {
		byClass[class] = SpreadOf(vs)
	}
	return SpreadOf(totals), byClass
}
