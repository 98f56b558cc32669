package main

import (
	"context"
	"os"
	"strings"
	"testing"
)

// The commands that run a platform refuse bad input with one clear line and exit 2,
// before anything starts. (The runs themselves are exercised by `make demo` in CI.)
func TestScenarioAndMatrixUsage(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable() // an executable to pass as --hello, for what is checked after it
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no scenario", []string{"scenario"}, "name one scenario"},
		{"unknown scenario", []string{"scenario", "scale-sideways"}, `unknown scenario "scale-sideways"`},
		{"bad path", []string{"scenario", "scale-up", "--via", "Tunnel!"}, `--via "Tunnel!"`},
		{"a path the lab has not", []string{"scenario", "scale-up", "--via", "tunnel"}, "--via tunnel: the lab has the paths service and ingress"},
		{"a target on the lab", []string{"scenario", "scale-up", "--target", "http://127.0.0.1:1/"}, "--workload and --target need --platform kube"},
		{"a path no target names", []string{"scenario", "scale-up", "--platform", "kube", "--target", "web=http://127.0.0.1:1/", "--via", "ingress,webb"}, "--via webb: no --target of that name (given: web)"},
		{"a bad target", []string{"scenario", "scale-up", "--target", "web=ftp://x/"}, `--target "web=ftp://x/": "ftp://x/": want an http:// or https:// URL`},
		{"a bad budget", []string{"scenario", "scale-up", "--budget", "502=0,teapot=1"}, `--budget "502=0,teapot=1": no class "teapot"`},
		{"negative trials", []string{"scenario", "scale-up", "--trials", "-1"}, `--trials "-1": want ≥ 1`},
		{"a workload on the lab", []string{"scenario", "scale-up", "--workload", "deployment/web"}, "--workload deployment/web needs --platform kube"},
		{"a bad workload", []string{"scenario", "scale-up", "--platform", "kube", "--workload", "pod/web", "--kubeconfig", "/nonexistent/kubeconfig"}, "kubeconfig"},
		{"bad rate", []string{"scenario", "scale-up", "--rate", "0"}, "--rate 0"},
		{"unknown configuration", []string{"scenario", "scale-up", "--config", "yolo", "--set", "../k8s/fast"}, `no configuration "yolo"`},
		{"no hello binary", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--hello", "/nonexistent/hello"}, "no hello binary at /nonexistent/hello"},
		{"unknown platform", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--platform", "mars"}, `unknown --platform "mars"`},
		{"unreachable cluster", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--platform", "kube", "--kubeconfig", "/nonexistent/kubeconfig"}, "kubeconfig"},
		{"matrix: unknown scenario", []string{"matrix", "--scenarios", "scale-up,nap"}, `unknown scenario "nap"`},
		{"matrix: unknown configuration", []string{"matrix", "--set", "../k8s/fast", "--configs", "naive,yolo"}, `no configuration "yolo" under ../k8s/fast (known: naive, probes, graceful, prestop-sleep)`},
		{"matrix: stray argument", []string{"matrix", "now"}, `unexpected argument "now"`},
		{"an --out that is a file", []string{"scenario", "scale-up", "--config", "../k8s/fast/naive", "--hello", exe, "--out", "cmd_scenario_test.go"}, "--out cmd_scenario_test.go: not a directory"},
		{"matrix: an --out that is a file", []string{"matrix", "--set", "../k8s/fast", "--hello", exe, "--out", "cmd_scenario_test.go"}, "--out cmd_scenario_test.go: not a directory"},
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
