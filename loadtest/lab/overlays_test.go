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
			deploy(t, l, cfg)
			startup, _ := cfg.HelloDuration("startup-delay")
			time.Sleep(startup + 500*time.Millisecond) // naive: "ready" before hello listens
			for _, via := range []string{result.ViaService, result.ViaIngress} {
				target, _ := l.Target(via)
				client := newClient()
				if code, pod := get(client, target); code != "200" || pod == "" {
					dumpEvents(t, log)
					t.Fatalf("%s: %s from %q", via, code, pod)
				}
			}
		})
	}
}
