package scenario

import (
	"slices"
	"strings"
	"testing"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

func TestJudgeExpectations(t *testing.T) {
	t.Parallel()
	lost := func(n int) result.Counts { return result.Counts{result.Reset: n} }
	cell := func(expect string, failed, restarts, kills int) result.Cell {
		c := result.Cell{Config: "c", Scenario: "delete-pod", Via: "service", Requests: 500,
			Expects: expectationsOf(expect), Restarts: restarts, Kills: kills}
		if failed > 0 {
			c.Errors = lost(failed)
		}
		return c
	}
	tests := []struct {
		name    string
		cell    result.Cell
		verdict result.Verdict
		problem string // a word of the problem; "" for none
	}{
		{"zero kept", cell("zero", 0, 0, 0), "as expected", ""},
		{"zero broken", cell("zero", 3, 0, 0), "not as expected", "lost 3 of 500"},
		{"loss and kills seen", cell("loss,kills", 40, 0, 1), "as expected", ""},
		{"loss without a kill", cell("loss,kills", 40, 0, 0), "not as expected", "SIGKILLed"},
		{"a kill, nothing lost", cell("loss,kills", 0, 0, 1), "not as expected", "cannot see"},
		{"restarts and zero", cell("zero,restarts", 0, 2, 0), "as expected", ""},
		{"no restart", cell("zero,restarts", 0, 0, 0), "not as expected", "restarted"},
		{"restarts, but a loss", cell("zero,restarts", 1, 2, 0), "not as expected", "lost 1"},
		{"unknown expectation", cell("faster", 0, 0, 0), "not as expected", "unknown expectation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The promise "nothing" makes a control of an overlay without expectations;
			// stated expectations replace it (no blind control).
			m := &result.Matrix{Cells: []result.Cell{tt.cell}, Promises: map[string]result.Promise{"c": result.PromiseNothing}}
			judge(m)
			got := m.Cells[0].Verdict
			problems := strings.Join(m.Problems, "; ")
			if got != tt.verdict || (tt.problem == "") != (problems == "") || !strings.Contains(problems, tt.problem) {
				t.Errorf("verdict %q, problems %q; want %q with a problem naming %q", got, problems, tt.verdict, tt.problem)
			}
		})
	}
}

// Every overlay of k8s/reliability says which scenarios it is for and what it expects, in
// words the matrix knows; the timings make each check what its name says.
func TestReliabilityOverlays(t *testing.T) {
	t.Parallel()
	cfgs, err := manifest.RenderAll("../../k8s/reliability")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*manifest.Config{}
	for _, cfg := range cfgs {
		byName[cfg.Name] = cfg
		scs, err := scenariosFor(cfg, nil)
		if err != nil || len(scs) == 0 {
			t.Errorf("%s: scenarios %v, %v: want its own", cfg.Name, scs, err)
		}
		c := result.Cell{Expects: expectations(cfg)}
		if len(c.Expects) == 0 || strings.Contains(unmet(c), "unknown") {
			t.Errorf("%s: expects %q: want known expectations", cfg.Name, c.Expects)
		}
	}
	for _, name := range []string{"slow-requests", "short-grace", "liveness-trap"} {
		if byName[name] == nil {
			t.Fatalf("no overlay %s under k8s/reliability", name)
		}
	}
	dur := func(cfg *manifest.Config, flag string) float64 {
		d, err := cfg.HelloDuration(flag)
		if err != nil {
			t.Fatal(err)
		}
		return d.Seconds()
	}
	slow, short := byName["slow-requests"], byName["short-grace"]
	if r, d := dur(slow, "request-delay"), dur(slow, "drain-timeout"); d < r || r <= 1 {
		t.Errorf("slow-requests: requests of %gs, drain %gs: want requests longer than the propagation and a drain at least as long", r, d)
	}
	if g, s, d := slow.GracePeriod().Seconds(), dur(slow, "shutdown-delay"), dur(slow, "drain-timeout"); g <= s+d {
		t.Errorf("slow-requests: grace %gs, want more than shutdown %gs + drain %gs", g, s, d)
	}
	if g, s, d := short.GracePeriod().Seconds(), dur(short, "shutdown-delay"), dur(short, "drain-timeout"); g >= s+d || g >= s {
		t.Errorf("short-grace: grace %gs, want less than the shutdown delay %gs (and the drain %gs after it)", g, s, d)
	}

	trap := byName["liveness-trap"]
	stuck, _ := Lookup("stuck-rollout")
	before, err := stuck.Start(trap)
	if err != nil {
		t.Fatal(err)
	}
	budget := func(cfg *manifest.Config) float64 {
		return manifest.ProbeTimings(cfg.Container.LivenessProbe).Latest().Seconds()
	}
	if s := dur(before, "startup-delay"); s >= budget(before) || before.Container.StartupProbe != nil {
		t.Errorf("before: startup %gs, liveness allows %gs: want a release that starts in time, with the liveness probe alone", s, budget(before))
	}
	if s := dur(trap, "startup-delay"); s <= budget(trap) || trap.Container.StartupProbe != nil || trap.Container.ReadinessProbe == nil {
		t.Errorf("liveness-trap: startup %gs, liveness allows %gs: want a longer startup, no startup probe, a readiness probe", s, budget(trap))
	}
	if _, unavailable := trap.Strategy(); unavailable != 0 {
		t.Errorf("liveness-trap: maxUnavailable %d: the old pods must all keep serving", unavailable)
	}
}

func TestScenariosFor(t *testing.T) {
	t.Parallel()
	cfg, err := manifest.Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	defaults := Scenarios()[:3]
	if got, err := scenariosFor(cfg, defaults); err != nil || len(got) != 3 {
		t.Errorf("an overlay that declares nothing: %d scenarios, %v; want the matrix's 3", len(got), err)
	}
	cfg.Deployment.Annotations[ScenariosAnnotation] = "delete-pod, scale-sideways"
	got, err := scenariosFor(cfg, defaults)
	var names []string
	for _, sc := range got {
		names = append(names, sc.Name)
	}
	if err == nil || !strings.Contains(err.Error(), "scale-sideways") || !slices.Equal(names, []string{"delete-pod", "scale-sideways"}) {
		t.Errorf("scenarios %q, err %v: want both names kept and the unknown one an error", names, err)
	}
}

// expectationsOf splits a comma-separated list of expectations.
func expectationsOf(s string) []result.Expectation {
	var out []result.Expectation
	for _, e := range strings.Split(s, ",") {
		out = append(out, result.Expectation(e))
	}
	return out
}
