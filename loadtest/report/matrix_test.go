package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

// A losing cell's line in matrix.md names the pods and the moments its run's report does:
// here a real naive scale-down through Skipper on the bare cluster, attributed by
// Skipper's routes (explain's testdata); a cell that lost nothing gets no line.
func TestMatrixNamesWhichCameFirst(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "explain", "testdata", "kube-naive-scale-down-ingress.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r result.Run
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteRun(filepath.Join(dir, "naive", "scale-down-ingress"), &r); err != nil {
		t.Fatal(err)
	}
	m := &result.Matrix{
		Schema: result.SchemaVersion, Platform: "kube", Configs: []string{"naive", "graceful"},
		Promises:  map[string]result.Promise{"naive": result.PromiseNothing, "graceful": result.PromiseZero},
		Scenarios: []string{"scale-down"}, Vias: []string{"ingress"},
		Cells: []result.Cell{
			{Config: "naive", Scenario: "scale-down", Via: "ingress", Requests: r.Requests, Errors: r.Errors, Dir: "naive/scale-down-ingress", Verdict: result.VerdictLost},
			{Config: "graceful", Scenario: "scale-down", Via: "ingress", Requests: 800, Dir: "graceful/scale-down-ingress", PromisedZero: true, Verdict: result.VerdictKept},
		},
	}
	if err := WriteMatrix(dir, m); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, MatrixMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	want := "- naive scale-down via ingress: 0.250s–3.500s hello-5845cb964b-8gvdw, hello-5845cb964b-pvb25: " +
		"hello-5845cb964b-8gvdw: routed by the ingress at 0.413s, no answer from it in the run"
	if !strings.Contains(string(md), "## Which came first") || !strings.Contains(string(md), want) ||
		!strings.Contains(string(md), "84 × 502") || !strings.Contains(string(md), "(+1 more in the report)") {
		t.Errorf("matrix.md lacks the line %q…:\n%s", want, md)
	}
	if strings.Contains(string(md), "graceful scale-down via ingress:") {
		t.Errorf("a cell that lost nothing got a line:\n%s", md)
	}
	back, err := ReadMatrix(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Cells[0].Blame == "" || back.Cells[1].Blame != "" {
		t.Errorf("matrix.json's blames: %q, %q", back.Cells[0].Blame, back.Cells[1].Blame)
	}
}
