package scenario

import (
	"testing"

	"scalelab/loadtest/manifest"
)

func TestShared(t *testing.T) {
	t.Parallel()
	cfgs, err := manifest.RenderAll("../../k8s/fast")
	if err != nil {
		t.Fatal(err)
	}
	lookup := func(names ...string) []Scenario {
		var scs []Scenario
		for _, n := range names {
			sc, err := Lookup(n)
			if err != nil {
				t.Fatal(err)
			}
			scs = append(scs, sc)
		}
		return scs
	}
	if got := Shared(cfgs, lookup("scale-up", "drain")); got != "drain" {
		t.Errorf("scale-up, drain: %q, want drain", got)
	}
	if got := Shared(cfgs, lookup(DefaultScenarios...)); got != "" {
		t.Errorf("the default scenarios: %q, want none", got)
	}
}
