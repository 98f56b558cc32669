//go:build unix

package lab_test

import (
	"path/filepath"
	"testing"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Every fast overlay of the project deploys, settles and answers through both paths.
func TestFastOverlays(t *testing.T) {
	t.Parallel()
	cfgs, err := manifest.RenderAll(filepath.Join("..", "..", "k8s", "fast"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfgs) == 0 {
		t.Fatal("no overlay under k8s/fast")
	}
	for _, cfg := range cfgs {
		t.Run(cfg.Name, func(t *testing.T) {
			t.Parallel()
			l, log := newLab(t, 200*time.Millisecond)
			t.Cleanup(func() {
				if t.Failed() {
					dumpEvents(t, log)
				}
			})
			deploy(t, l, cfg)
			for _, via := range []string{result.ViaService, result.ViaIngress} {
				waitServes(t, l, via) // naive: "ready" before hello listens, so poll
			}
		})
	}
}
