package report

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"scalelab/loadtest/lossrate"
	"scalelab/loadtest/result"
)

// The statistics of a comparison: every lesson is a race, so two matrices are compared
// by each cell's loss rate over its trials, not by one draw.
const (
	// Alpha is the level at which Fisher's exact test calls two loss rates apart.
	Alpha = 0.05
	// Confidence is the level of the interval shown with each loss rate.
	Confidence = 0.95
)

// TestWords states the statistic in a sentence, for the help and the output.
const TestWords = "two cells disagree when Fisher's exact test (two-sided) on their trials, " +
	"lost or not × one matrix or the other, gives p below 0.05"

// Agreement is the verdict on one cell the two matrices share.
type Agreement string

const (
	// Agree: the two loss rates are consistent with one probability, given the trials.
	Agree Agreement = "agree"
	// Disagree: Fisher's test puts the rates apart at p < Alpha.
	Disagree Agreement = "disagree"
	// Apart: one lost in every trial and the other in none, but the trials are too few
	// for the test to say so (0/1 against 1/1 has p = 1, 0/3 against 3/3 p = 0.1).
	// Nothing further apart can be seen with these trials, so it counts as a
	// disagreement: with one trial a side it is loss against none.
	Apart Agreement = "apart"
)

// Side is one matrix's cell as a comparison sees it.
type Side struct {
	Rate     lossrate.Rate                    `json:"lost_in"`  // trials that lost a request, of those that ran
	Low      float64                          `json:"low"`      // the rate's exact interval at Confidence
	High     float64                          `json:"high"`     //
	Failed   lossrate.Spread                  `json:"failed"`   // failed requests over the trials
	ByClass  map[result.Class]lossrate.Spread `json:"by_class"` // the same, of each class that failed
	Restarts int                              `json:"restarts"` // the fewest any trial saw
	Kills    int                              `json:"kills"`    //
	Errored  int                              `json:"errored"`  // trials that could not run: no draws
}

// side is what a comparison takes of a cell.
func side(c result.Cell) *Side {
	s := &Side{Rate: lossrate.Of(c), Restarts: c.Restarts, Kills: c.Kills}
	s.Low, s.High = s.Rate.Interval(Confidence)
	s.Failed, s.ByClass = lossrate.Losses(c)
	s.Errored = max(len(c.Trials), 1) - s.Rate.N
	return s
}

// Row is one cell compared.
type Row struct {
	Config   string `json:"config"`
	Scenario string `json:"scenario"`
	Via      string `json:"via"`
	A        *Side  `json:"a"` // nil when the matrix lacks the cell
	B        *Side  `json:"b"` //
	// P is Fisher's two-sided p-value, and Verdict the judgement; both are empty when a
	// side lacks the cell or none of its trials ran.
	P       *float64  `json:"p,omitempty"`
	Verdict Agreement `json:"verdict,omitempty"`
	// Decides is whether the trials are enough for the test to call any disagreement:
	// whether rates as far apart as they can be would give p < Alpha. When not, only
	// Apart can part the two.
	Decides bool `json:"decides"`
}

// Parts reports whether the row is a disagreement of either kind.
func (r Row) Parts() bool { return r.Verdict == Disagree || r.Verdict == Apart }

// Compare judges two matrices cell by cell: the cells of a in its order, then those only
// b has.
func Compare(a, b *result.Matrix) []Row {
	var rows []Row
	for _, ca := range a.Cells {
		r := Row{Config: ca.Config, Scenario: ca.Scenario, Via: ca.Via, A: side(ca)}
		if cb, ok := cell(b, ca.Config, ca.Scenario, ca.Via); ok {
			r.B = side(cb)
			r.P, r.Verdict = judgeRates(r.A.Rate, r.B.Rate)
			r.Decides = r.Verdict != "" && lossrate.FisherExact(lossrate.Rate{K: 0, N: r.A.Rate.N}, lossrate.Rate{K: r.B.Rate.N, N: r.B.Rate.N}) < Alpha
		}
		rows = append(rows, r)
	}
	for _, cb := range b.Cells {
		if _, ok := cell(a, cb.Config, cb.Scenario, cb.Via); !ok {
			rows = append(rows, Row{Config: cb.Config, Scenario: cb.Scenario, Via: cb.Via, B: side(cb)})
		}
	}
	return rows
}

// judgeRates is the p-value and the verdict on two loss rates; none when either has no
// trial that ran.
func judgeRates(a, b lossrate.Rate) (*float64, Agreement) {
	if a.N == 0 || b.N == 0 {
		return nil, ""
	}
	p := lossrate.FisherExact(a, b)
	switch {
	case p < Alpha:
		return &p, Disagree
	case lossrate.Apart(a, b):
		return &p, Apart
	}
	return &p, Agree
}

// Disagreements lists the cells both matrices ran where their loss rates part: by the
// test, or apart with too few trials for it. They are what a comparison of the lab with
// a cluster exists to show.
func Disagreements(a, b *result.Matrix) []Row {
	var out []Row
	for _, r := range Compare(a, b) {
		if r.Parts() {
			out = append(out, r)
		}
	}
	return out
}

// Comparison is what CompareJSON writes.
type Comparison struct {
	A          string  `json:"a"`
	B          string  `json:"b"`
	Test       string  `json:"test"`
	Alpha      float64 `json:"alpha"`
	Confidence float64 `json:"confidence"`
	Rows       []Row   `json:"rows"`
	Disagree   int     `json:"disagree"` // rows the test calls apart
	Apart      int     `json:"apart"`    // rows apart with too few trials for the test
}

// CompareJSON is the comparison for machines.
func CompareJSON(a, b *result.Matrix, nameA, nameB string) Reporter {
	c := Comparison{A: nameA, B: nameB, Test: TestWords, Alpha: Alpha, Confidence: Confidence, Rows: Compare(a, b)}
	for _, r := range c.Rows {
		switch r.Verdict {
		case Disagree:
			c.Disagree++
		case Apart:
			c.Apart++
		}
	}
	return JSON(c)
}

// CompareMarkdown puts two matrices side by side, cell by cell: each side's loss rate
// with its interval and its failed requests (median / maximum over the trials), and the
// verdict with its p-value; then it lists where they part. Cells only one of them has
// are shown with a dash for the other.
func CompareMarkdown(a, b *result.Matrix, nameA, nameB string) Reporter {
	return func(w io.Writer) error {
		p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
		rows := Compare(a, b)
		p("# %s beside %s\n\n", nameA, nameB)
		p("Lost in: the trials that lost at least one request, of those that ran, with the exact "+
			"(Clopper–Pearson) %g %% interval of the rate: what that many trials allow. Failed: the "+
			"requests, median / maximum over the trials. Verdict: %s; *apart* when one lost in "+
			"every trial and the other in none but the trials are too few for the test to tell.\n\n",
			100*Confidence, TestWords)
		p("| configuration | scenario | via | %s lost in | %s failed | %s lost in | %s failed | verdict |\n",
			nameA, nameA, nameB, nameB)
		p("|---|---|---|---|---|---|---|---|\n")
		shared, decides, disagree, apart := 0, 0, 0, 0
		for _, r := range rows {
			p("| %s | %s | %s | %s | %s | %s |\n", r.Config, r.Scenario, r.Via, sideCells(r.A), sideCells(r.B), verdictCell(r))
			if r.Verdict != "" {
				shared++
			}
			if r.Decides {
				decides++
			}
			switch r.Verdict {
			case Disagree:
				disagree++
			case Apart:
				apart++
			}
		}
		switch {
		case shared == 0:
			p("\nThe two ran no cell in common: there is nothing to compare.\n")
			return nil
		case disagree+apart == 0:
			p("\nThe two agree on all %d cells they both ran: no loss rate is apart from the other's "+
				"beyond what their trials allow.\n", shared)
		default:
			p("\n%d of %d cells they both ran disagree: %d by the test (p < %g), %d apart with too few trials for it.\n\n",
				disagree+apart, shared, disagree, Alpha, apart)
			for _, r := range rows {
				if r.Parts() {
					p("- %s / %s via %s: %s %s, %s %s: %s\n", r.Config, r.Scenario, r.Via,
						nameA, sideWords(r.A), nameB, sideWords(r.B), verdictCell(r))
				}
			}
		}
		if decides < shared {
			p("\nThe trials let the test decide on %d of the %d cells. With one trial a side Fisher's p "+
				"is 1 whatever happened, and with three a side 0/3 against 3/3 is still p = 0.1: so few "+
				"trials cannot show a disagreement. Where one side lost in every trial and the other in "+
				"none, the cell is as far apart as its trials can show and counts as *apart*; with one "+
				"trial a side that is the judgement of a single draw, loss against none. With four "+
				"trials a side, 0/4 against 4/4 gives p = 0.029 and the test decides.\n", decides, shared)
		}
		return nil
	}
}

// sideCells is a side's two table cells, "3/3 (29–100 %) | 26 / 29 (reset 26 / 29)";
// dashes for a cell the matrix lacks, "error" when no trial ran.
func sideCells(s *Side) string {
	switch {
	case s == nil:
		return "– | –"
	case s.Rate.N == 0:
		return "error | –"
	}
	return rateWords(s) + " | " + failedWords(s)
}

// sideWords is a side in one phrase: "0/1 (0–98 %), 0 failed".
func sideWords(s *Side) string { return rateWords(s) + ", " + failedWords(s) + " failed" }

// rateWords is "3/3 (29–100 %)", with the trials that could not run, if any.
func rateWords(s *Side) string {
	out := fmt.Sprintf("%s (%s–%s %%)", s.Rate, bound(s.Low, math.Floor), bound(s.High, math.Ceil))
	if s.Errored > 0 {
		out += fmt.Sprintf(", %d trial(s) could not run", s.Errored)
	}
	return out
}

// failedWords is the failed requests: "28 (reset 28)" from one trial, "26 / 29 (reset
// 26 / 29)" as median / maximum from more, with the restarts and kills every trial saw.
func failedWords(s *Side) string {
	spread := func(sp lossrate.Spread) string {
		if s.Rate.N == 1 || sp.Max == 0 {
			return strconv.Itoa(sp.Max)
		}
		return strconv.FormatFloat(sp.Median, 'f', -1, 64) + " / " + strconv.Itoa(sp.Max)
	}
	out := spread(s.Failed)
	if s.Failed.Max > 0 {
		var parts []string
		for _, class := range result.Classes {
			if sp, ok := s.ByClass[class]; ok {
				parts = append(parts, string(class)+" "+spread(sp))
			}
		}
		out += " (" + strings.Join(parts, ", ") + ")"
	}
	if s.Restarts > 0 {
		out += fmt.Sprintf(", %d restart(s)", s.Restarts)
	}
	if s.Kills > 0 {
		out += fmt.Sprintf(", %d kill(s)", s.Kills)
	}
	return out
}

// verdictCell is "agree (p = 1)", "disagree (p = 0.029)", or a dash.
func verdictCell(r Row) string {
	if r.Verdict == "" {
		return "–"
	}
	return fmt.Sprintf("%s (p = %s)", r.Verdict, strconv.FormatFloat(*r.P, 'g', 2, 64))
}

// bound is a bound of an interval in percent, rounded outwards by round (math.Floor for
// the lower, math.Ceil for the upper) to a whole percent, or to a tenth where a whole
// percent would claim 0 or 100 that the bound is not (a tenth may still reach them): 0/1 is 0–98 %, 1/1 is 2–100 %, 1/3 is 0.8–91 %.
func bound(v float64, round func(float64) float64) string {
	pc := v * 100
	whole := round(pc)
	if (whole == 0 && v > 0) || (whole == 100 && v < 1) {
		return strconv.FormatFloat(round(pc*10)/10, 'f', -1, 64)
	}
	return strconv.FormatFloat(whole, 'f', -1, 64)
}
