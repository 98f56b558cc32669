package main

import (
	"testing"

	"scalelab/loadtest/manifest"
)

func TestLanesWithin(t *testing.T) {
	t.Parallel()
	fast, err := manifest.RenderAll("../k8s/fast")
	if err != nil {
		t.Fatal(err)
	}
	tutorial, err := manifest.RenderAll("../k8s/overlays")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		limit uint64
		cfgs  []*manifest.Config
		want  int
	}{
		{"fast timings: every lane fits", 20000, fast, 8},
		// 100/s × (5 s + 1 s) in flight × 6 descriptors each: 3,800 a lane, 4 in 16,000.
		{"5 s requests: half the lanes", 20000, tutorial, 4},
		{"a tiny limit: one at a time", 1024, tutorial, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lanesWithin(tt.limit, tt.cfgs, 100, 8); got != tt.want {
				t.Errorf("lanesWithin(%d) = %d, want %d", tt.limit, got, tt.want)
			}
		})
	}
}

// A cluster's lanes are bounded by its free CPU (each lane's pods request theirs), by this
// machine's cores (each lane's harness costs some), and by the runs there are.
func TestClusterLanes(t *testing.T) {
	t.Parallel()
	fast, err := manifest.RenderAll("../k8s/fast")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name             string
		room             int64
		cpus             int
		local            bool
		rate, jobs, want int
	}{
		// A fast pod requests 50m; 3 replicas and a surging one: 200m a lane.
		{"the cluster's CPU", 1000, 8, false, 100, 72, 5},
		// Two thirds of 2 cores, 0.07 a lane: 19; with the cluster here, 0.30 a lane: 4.
		{"this machine's cores", 100000, 2, false, 100, 72, 19},
		{"the cluster on this machine", 100000, 2, true, 100, 72, 4},
		{"a faster load", 100000, 2, false, 500, 72, 3},
		{"the runs there are", 100000, 64, false, 100, 6, 6},
		{"no room: one", 0, 2, false, 100, 72, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, why := clusterLanes(tt.room, tt.cpus, tt.local, fast, tt.rate, tt.jobs); got != tt.want {
				t.Errorf("clusterLanes = %d (%s), want %d", got, why, tt.want)
			}
		})
	}
}
