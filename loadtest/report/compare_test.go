package report

import (
	"strings"
	"testing"

	"scalelab/loadtest/result"
)

func TestDisagreements(t *testing.T) {
	t.Parallel()
	c := func(cfg, sc, via string, lost int, err string) result.Cell {
		return result.Cell{Config: cfg, Scenario: sc, Via: via, Errors: result.Counts{result.Reset: lost}, Error: err}
	}
	local := &result.Matrix{Cells: []result.Cell{
		c("naive", "scale-up", "service", 0, ""),    // lab: keep-alive pins connections
		c("naive", "scale-down", "service", 30, ""), // both lose
		c("graceful", "scale-down", "service", 0, ""),
		c("probes", "rollout-restart", "ingress", 0, ""), // only the lab has it
		c("graceful", "scale-up", "service", 0, ""),      // the cluster could not run it
	}}
	bare := &result.Matrix{Cells: []result.Cell{
		c("naive", "scale-up", "service", 12, ""),
		c("naive", "scale-down", "service", 4, ""),
		c("graceful", "scale-down", "service", 0, ""),
		c("graceful", "scale-up", "service", 0, "deploy: timeout"),
	}}
	ds := Disagreements(local, bare)
	if len(ds) != 1 || ds[0].Config != "naive" || ds[0].Scenario != "scale-up" {
		t.Fatalf("disagreements %+v, want only naive/scale-up", ds)
	}
	var sb strings.Builder
	if err := CompareMarkdown(local, bare, "local", "bare")(&sb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| probes | rollout-restart | ingress | 0 | – |",
		"- naive / scale-up via service: local 0, bare 12 (reset 12)",
	} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, sb.String())
		}
	}
}
