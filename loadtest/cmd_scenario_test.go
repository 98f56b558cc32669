package main

import (
	"context"
	"strings"
	"testing"
)

// The commands that run a platform refuse bad input with one clear line and exit 2,
// before anything starts. (The runs themselves are exercised by `make demo` in CI.)
func TestScenarioAndMatrixUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no scenario", []string{"scenario"}, "name one scenario"},
		{"unknown scenario", []string{"scenario", "scale-sideways"}, `unknown scenario "scale-sideways"`},
		{"bad path", []string{"scenario", "scale-up", "--via", "tunnel"}, `--via "tunnel"`},
		{"bad rate", []string{"scenario", "scale-up", "--rate", "0"}, "--rate 0"},
		{"unknown configuration", []string{"scenario", "scale-up", "--config", "yolo", "--root", "../k8s/fast"}, `no configuration "yolo"`},
		{"no hello binary", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--hello", "/nonexistent/hello"}, "no hello binary at /nonexistent/hello"},
		{"unknown platform", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--platform", "mars"}, `unknown --platform "mars"`},
		{"unreachable cluster", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--platform", "kube", "--kubeconfig", "/nonexistent/kubeconfig"}, "kubeconfig"},
		{"matrix: unknown scenario", []string{"matrix", "--scenarios", "scale-up,nap"}, `unknown scenario "nap"`},
		{"matrix: unknown configuration", []string{"matrix", "--root", "../k8s/fast", "--configs", "naive,yolo"}, `no configuration "yolo" under ../k8s/fast (known: naive, probes, graceful, prestop-sleep)`},
		{"matrix: stray argument", []string{"matrix", "now"}, `unexpected argument "now"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, stderr := cli(context.Background(), tc.args...)
			if code != 2 || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, tc.stderr)
			}
			if first := strings.SplitN(stderr, "\n", 2)[0]; !strings.HasPrefix(first, "loadtest ") {
				t.Errorf("first line %q does not say who speaks", first)
			}
		})
	}
}
