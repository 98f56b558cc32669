package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"scalelab/loadtest/result"
)

// A run that proves nothing says INVALID and why first, in every rendering.
func TestInvalidRunSaysWhyFirst(t *testing.T) {
	t.Parallel()
	r := sample()
	r.Gates = r.Gates[:1] // a gate that held: it would pass
	why := "the load fell short: 12.00/s sent of the 100/s asked over 3s (12.000%, under the floor of 95.000%)"
	r.Invalidate(why)
	want := "INVALID: " + why + " — 10 of 300 requests failed"
	for name, rep := range map[string]Reporter{"text": Text(r), "markdown": Markdown(r), "svg": SVG(r), "html": HTML(r)} {
		out := string(render(t, rep))
		if !strings.Contains(out, want) {
			t.Errorf("%s lacks %q:\n%.400s", name, want, out)
		}
	}
	if first, _, _ := strings.Cut(string(render(t, Markdown(r))), "\n"); !strings.HasPrefix(first, "## ⚠️ "+want) {
		t.Errorf("report.md's first line %q", first)
	}
	if x := render(t, RunJUnit(r, result.VerdictKept, "")); !bytes.Contains(x, []byte(`errors="1"`)) || !bytes.Contains(x, []byte(`type="invalid"`)) {
		t.Errorf("an invalid run kept its verdict in JUnit:\n%s", x)
	}
}

// A run of schema 3 cut short reads as invalid, but for an attack run until stopped.
func TestOlderRunCutShortReadsInvalid(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]result.Status{
		`{"schema":3,"duration":3000000000,"interrupted":true,"gates":[{"ok":true}]}`: result.StatusInvalid,
		`{"schema":3,"interrupted":true,"meta":{"scenario":"scale-up"}}`:              result.StatusInvalid,
		`{"schema":3,"duration":0,"interrupted":true,"gates":[{"ok":true}]}`:          result.StatusPass,
		`{"schema":3,"duration":3000000000,"gates":[{"ok":true}]}`:                    result.StatusPass,
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, SummaryFile), []byte(body), 0o644)
		r, err := ReadRun(dir)
		if err != nil || r.Outcome() != want {
			t.Errorf("%s: %v, outcome %q, want %q", body, err, r.Outcome(), want)
		}
	}
}

// A matrix interrupted is INVALID on its first line; its cell cut short an <error>, the
// one never begun <skipped>, neither kept nor with an overhead.
func TestInterruptedMatrix(t *testing.T) {
	t.Parallel()
	m := &result.Matrix{Schema: result.SchemaVersion, Platform: "lab", Configs: []string{"graceful"},
		Promises: map[string]result.Promise{"graceful": result.PromiseZero}, Scenarios: []string{"rollout-restart"},
		Vias: []string{"service", "ingress"}, Interrupted: true,
		Cells: []result.Cell{
			{Config: "graceful", Scenario: "rollout-restart", Via: "service", Dir: "graceful/rollout-restart-service",
				Requests: 310, PromisedZero: true, Interrupted: true, Invalid: []string{"interrupted after 3.1s"}, Verdict: result.VerdictInterrupted},
			{Config: "graceful", Scenario: "rollout-restart", Via: "ingress", Dir: "graceful/rollout-restart-ingress",
				PromisedZero: true, NotRun: true, Error: "did not run", Verdict: result.VerdictNotRun},
		},
		Problems: []string{"graceful/rollout-restart via service was interrupted: it proves nothing",
			"graceful/rollout-restart via ingress not run: the matrix was interrupted first"},
	}
	if v := MatrixVerdict(m); v != "INVALID: interrupted, 1 cut short, 1 not run of 2 cells" {
		t.Errorf("verdict %q", v)
	}
	md := string(render(t, MatrixMarkdown(m)))
	if first, _, _ := strings.Cut(md, "\n"); first != "# ⚠️ INVALID · scalelab matrix: lab" {
		t.Errorf("first line %q", first)
	}
	if strings.Contains(md, " ✓ |") || strings.Contains(md, "| kept |") || !strings.Contains(md, "| – | interrupted |") {
		t.Errorf("a cell cut short looks kept, or has an overhead:\n%s", md)
	}
	x := string(render(t, MatrixJUnit(m, "")))
	for _, want := range []string{`failures="0" errors="1" skipped="1"`, `<error message="interrupted: the run proves nothing" type="interrupted">`,
		`<skipped message="not run: the matrix was interrupted first" type="not run">`} {
		if !strings.Contains(x, want) {
			t.Errorf("JUnit lacks %s:\n%s", want, x)
		}
	}
}
