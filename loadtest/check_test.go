package main

import (
	"slices"
	"strings"
	"testing"

	"scalelab/loadtest/flagvalue"
)

// The paths a run loads: --via as given, the targets' names by default, cluster-ip by
// default from the attacker pods, and what a path cannot reach refused.
func TestPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		platform string
		via      []string // given; nil: the default, service
		targets  []string
		from     string
		want     []string
		err      string
	}{
		{name: "the default", platform: "lab", want: []string{"service"}},
		{name: "given", platform: "lab", via: []string{"ingress", "service"}, want: []string{"ingress", "service"}},
		{name: "the lab has two", platform: "lab", via: []string{"cluster-ip"}, err: "--via cluster-ip: the lab has the paths service and ingress"},
		{name: "a cluster has more", platform: "kube", via: []string{"cluster-ip"}, want: []string{"cluster-ip"}},
		{name: "the targets by default", platform: "kube", targets: []string{"web", "api"}, want: []string{"web", "api"}},
		{name: "one target", platform: "kube", targets: []string{"web", "api"}, via: []string{"api"}, want: []string{"api"}},
		{name: "no such target", platform: "kube", targets: []string{"web"}, via: []string{"webb"}, err: "--via webb: no --target of that name (given: web)"},
		{name: "from the pods", platform: "kube", from: fromCluster, want: []string{"cluster-ip"}},
		{name: "from the pods, the targets", platform: "kube", from: fromCluster, targets: []string{"web"}, want: []string{"web"}},
		{name: "from the pods, not the loopback", platform: "kube", from: fromCluster, via: []string{"service"}, err: "--via service with --from cluster"},
		{name: "from the pods, nowhere", platform: "kube", from: fromCluster, via: []string{"other"}, err: "--from cluster: no path the pods reach"},
	}
	for _, tt := range tests {
		f := runFlags{platform: tt.platform, via: flagvalue.Via{Paths: []string{"service"}}, from: fromFlags{from: tt.from}}
		for _, v := range tt.via {
			if err := f.via.Set(v); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range tt.targets {
			if err := f.targets.Set(n + "=http://127.0.0.1:1/"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := f.paths(tt.via != nil)
		if tt.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
				t.Errorf("%s: %q, %v; want the error %q", tt.name, got, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s: %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
}
