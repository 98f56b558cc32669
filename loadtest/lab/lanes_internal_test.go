package lab

import (
	"testing"

	"scalelab/loadtest/manifest"
)

func TestLanesWithin(t *testing.T) {
	t.Parallel()
	fast, err := manifest.RenderAll("../../k8s/fast")
	if err != nil {
		t.Fatal(err)
	}
	tutorial, err := manifest.RenderAll("../../k8s/overlays")
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
