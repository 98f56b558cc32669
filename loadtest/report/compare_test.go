package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"scalelab/loadtest/lossrate"
	"scalelab/loadtest/result"
)

// once is a cell run once that lost lost requests by reset, or could not run (err).
func once(cfg, sc, via string, lost int, err string) result.Cell {
	return result.Cell{Config: cfg, Scenario: sc, Via: via, Errors: result.Counts{result.Reset: lost}, Error: err}
}

// trials is a cell run once per entry of lost, each trial losing that many by 502.
func trials(cfg, sc, via string, lost ...int) result.Cell {
	c := result.Cell{Config: cfg, Scenario: sc, Via: via}
	for _, n := range lost {
		c.Trials = append(c.Trials, result.Trial{Errors: result.Counts{result.HTTP502: n}})
	}
	return c
}

// TestCompareOneTrial is the comparison of matrices run once, as every one in results/
// is: loss against none is apart, as it was a disagreement before there were trials.
func TestCompareOneTrial(t *testing.T) {
	t.Parallel()
	local := &result.Matrix{Cells: []result.Cell{
		once("naive", "scale-up", "service", 0, ""),    // lab: keep-alive pins connections
		once("naive", "scale-down", "service", 30, ""), // both lose
		once("graceful", "scale-down", "service", 0, ""),
		once("probes", "rollout-restart", "ingress", 0, ""), // only the lab has it
		once("graceful", "scale-up", "service", 0, ""),      // the cluster could not run it
	}}
	bare := &result.Matrix{Cells: []result.Cell{
		once("naive", "scale-up", "service", 12, ""),
		once("naive", "scale-down", "service", 4, ""),
		once("graceful", "scale-down", "service", 0, ""),
		once("graceful", "scale-up", "service", 0, "deploy: timeout"),
	}}
	ds := Disagreements(local, bare)
	if len(ds) != 1 || ds[0].Config != "naive" || ds[0].Scenario != "scale-up" || ds[0].Verdict != Apart || *ds[0].P != 1 {
		t.Fatalf("disagreements %+v, want only naive/scale-up, apart with p = 1", ds)
	}
	var sb strings.Builder
	if err := CompareMarkdown(local, bare, "local", "bare")(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| naive | scale-down | service | 1/1 (2–100 %) | 30 (reset 30) | 1/1 (2–100 %) | 4 (reset 4) | agree (p = 1) |",
		"| graceful | scale-up | service | 0/1 (0–98 %) | 0 | error | – | – |",
		"| probes | rollout-restart | ingress | 0/1 (0–98 %) | 0 | – | – | – |",
		"1 of 3 cells they both ran disagree: 0 by the test (p < 0.05), 1 apart with too few trials for it.",
		"- naive / scale-up via service: local 0/1 (0–98 %), 0 failed, bare 1/1 (2–100 %), 12 (reset 12) failed: apart (p = 1)",
		"The trials let the test decide on 0 of the 3 cells.",
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, sb.String())
		}
	}
}

// TestCompareTrials judges rates: a race lost in one trial of three is no disagreement
// with one never lost; three of three against none of three is apart; four against none
// of four is a disagreement by the test.
func TestCompareTrials(t *testing.T) {
	t.Parallel()
	lab := &result.Matrix{Cells: []result.Cell{
		trials("naive", "scale-down", "ingress", 9, 0, 0),
		trials("naive", "scale-up", "ingress", 40, 20, 30),
		trials("naive", "rollout-restart", "ingress", 400, 500, 450, 470),
		trials("probes", "scale-down", "ingress", 3, 5, 0, 1),
		once("graceful", "scale-down", "ingress", 0, ""),
	}}
	lab.Cells[3].Trials[1].Error = "scale: forbidden" // no draw: 2 of 3 lost
	bare := &result.Matrix{Cells: []result.Cell{
		trials("naive", "scale-down", "ingress", 0, 0, 0),
		trials("naive", "scale-up", "ingress", 0, 0, 0),
		trials("naive", "rollout-restart", "ingress", 0, 0, 0, 0),
		trials("probes", "scale-down", "ingress", 2, 0, 0),
		trials("graceful", "scale-down", "ingress", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
	}}
	rows := Compare(lab, bare)
	want := []struct {
		verdict Agreement
		p       float64
		decides bool
	}{
		{Agree, 1, false},
		{Apart, 0.1, false},
		{Disagree, 2.0 / 70, true},
		{Agree, 1, false},
		{Agree, 1, true}, // 0/1 against 1/20: p = 1, though 0/1 against 20/20 would give p = 1/21
	}
	for i, w := range want {
		r := rows[i]
		if r.Verdict != w.verdict || r.P == nil || *r.P-w.p > 1e-9 || w.p-*r.P > 1e-9 || r.Decides != w.decides {
			t.Errorf("%s/%s: %s p %v decides %v, want %s p %v decides %v",
				r.Config, r.Scenario, r.Verdict, *r.P, r.Decides, w.verdict, w.p, w.decides)
		}
	}
	if got := rows[3].A; got.Rate != (lossrate.Rate{K: 2, N: 3}) || got.Errored != 1 {
		t.Errorf("probes lab side %+v, want 2/3 with one trial that could not run", got)
	}
	if ds := Disagreements(lab, bare); len(ds) != 2 {
		t.Errorf("%d disagreements, want 2: apart and by the test", len(ds))
	}

	var sb strings.Builder
	if err := CompareMarkdown(lab, bare, "lab", "bare")(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| naive | scale-down | ingress | 1/3 (0.8–91 %) | 0 / 9 (502 0 / 9) | 0/3 (0–71 %) | 0 | agree (p = 1) |",
		"| naive | rollout-restart | ingress | 4/4 (39–100 %) | 460 / 500 (502 460 / 500) | 0/4 (0–61 %) | 0 | disagree (p = 0.029) |",
		"| probes | scale-down | ingress | 2/3 (9–99.2 %), 1 trial(s) could not run | 1 / 3 (502 1 / 3) |",
		"2 of 5 cells they both ran disagree: 1 by the test (p < 0.05), 1 apart with too few trials for it.",
		"- naive / scale-up via ingress: lab 3/3 (29–100 %), 30 / 40 (502 30 / 40) failed, bare 0/3 (0–71 %), 0 failed: apart (p = 0.1)",
		"The trials let the test decide on 2 of the 5 cells.",
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, sb.String())
		}
	}

	sb.Reset()
	if err := CompareJSON(lab, bare, "lab", "bare")(&sb); err != nil {
		t.Fatal(err)
	}
	var c Comparison
	if err := json.Unmarshal([]byte(sb.String()), &c); err != nil {
		t.Fatal(err)
	}
	if c.Disagree != 1 || c.Apart != 1 || len(c.Rows) != 5 || c.Rows[2].A.Failed != (lossrate.Spread{Median: 460, Max: 500}) {
		t.Errorf("JSON comparison %+v, want 1 disagreeing, 1 apart, 5 rows, rollout-restart's lab median 460 max 500", c)
	}
}

func TestCompareAgree(t *testing.T) {
	t.Parallel()
	a := &result.Matrix{Cells: []result.Cell{trials("naive", "scale-down", "service", 26, 29, 24)}}
	b := &result.Matrix{Cells: []result.Cell{trials("naive", "scale-down", "service", 28, 26, 26)}}
	var sb strings.Builder
	if err := CompareMarkdown(a, b, "a", "b")(&sb); err != nil {
		t.Fatal(err)
	}
	if want := "The two agree on all 1 cells they both ran"; !strings.Contains(sb.String(), want) || len(Disagreements(a, b)) != 0 {
		t.Errorf("comparison lacks %q or disagrees:\n%s", want, sb.String())
	}
	sb.Reset()
	if err := CompareMarkdown(a, &result.Matrix{}, "a", "none")(&sb); err != nil {
		t.Fatal(err)
	}
	if want := "The two ran no cell in common"; !strings.Contains(sb.String(), want) {
		t.Errorf("comparison lacks %q:\n%s", want, sb.String())
	}
}

func TestBound(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		lo, hi float64
		want   string
	}{
		{0.2924, 1, "29–100"},
		{0, 0.975, "0–98"},
		{0.025, 1, "2–100"},
		{0.0084, 0.9057, "0.8–91"},
		{0.0004, 0.9996, "0–100"}, // a tenth rounded outwards reaches the ends
		{0.991, 0.9916, "99–99.2"},
		{0.5, 0.9996, "50–100"},
	} {
		if got := bound(c.lo, math.Floor) + "–" + bound(c.hi, math.Ceil); got != c.want {
			t.Errorf("bounds %v–%v: %s, want %s", c.lo, c.hi, got, c.want)
		}
	}
}
