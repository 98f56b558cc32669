package report

import (
	"bytes"
	"strings"
	"testing"

	"scalelab/loadtest/result"
)

// A reliability matrix: each configuration runs its own scenarios, states what it expects,
// and shows the restarts and kills its runs saw.
func TestMatrixShowsExpectationsRestartsAndKills(t *testing.T) {
	t.Parallel()
	m := &result.Matrix{
		Platform: "local", Configs: []string{"liveness-trap", "short-grace"},
		Promises:  map[string]result.Promise{"liveness-trap": result.PromiseZero, "short-grace": result.PromiseNothing},
		Scenarios: []string{"stuck-rollout", "delete-pod"}, Vias: []string{"service"},
		Cells: []result.Cell{
			{Config: "liveness-trap", Scenario: "stuck-rollout", Via: "service", Requests: 2200, Restarts: 2, Dir: "liveness-trap/stuck-rollout-service",
				Expects: []result.Expectation{"zero", "restarts"}, PromisedZero: true, Verdict: "as expected"},
			{Config: "short-grace", Scenario: "delete-pod", Via: "service", Requests: 800, Kills: 1, Dir: "short-grace/delete-pod-service",
				Errors: result.Counts{result.EOF: 34}, Expects: []result.Expectation{"loss", "kills"}, Verdict: "as expected"},
		},
	}
	var text, md bytes.Buffer
	if err := MatrixText(m)(&text); err != nil {
		t.Fatal(err)
	}
	if err := MatrixMarkdown(m)(&md); err != nil {
		t.Fatal(err)
	}
	words := strings.Join(strings.Fields(text.String()), " ") // whatever the columns' widths
	for _, want := range []string{
		"liveness-trap expects zero, restarts 0, 2 restart(s) –",
		"short-grace expects loss, kills – 34 (eof 34), 1 kill(s)",
		"PASS: every promise and expectation held",
	} {
		if !strings.Contains(words, want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	for _, want := range []string{
		"| liveness-trap (expects zero, restarts) | [0, 2 restart(s)](liveness-trap/stuck-rollout-service/report.md) ✓ | – |",
		"| short-grace | delete-pod | service | 800 | eof 34 | 0 | 1 |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}
