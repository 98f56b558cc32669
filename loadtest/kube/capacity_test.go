package kube

import (
	"testing"

	"scalelab/loadtest/manifest"
)

// A cluster's lanes are bounded by its free CPU (each lane's pods request theirs), by this
// machine's cores (each lane's harness costs some), and by the runs there are.
func TestFitLanes(t *testing.T) {
	t.Parallel()
	fast, err := manifest.RenderAll("../../k8s/fast")
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
			if got, why := FitLanes(tt.room, tt.cpus, tt.local, fast, tt.rate, tt.jobs); got != tt.want {
				t.Errorf("FitLanes = %d (%s), want %d", got, why, tt.want)
			}
		})
	}
}
