//go:build unix

package lab_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/lab"
	"scalelab/loadtest/result"
)

func TestNewRefusesAMissingHello(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, hello, want string }{
		{"empty", "", "no hello binary"},
		{"missing", filepath.Join(dir, "nope"), "no such file"},
		{"directory", dir, "not an executable"},
		{"not executable", plain, "not an executable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lab.New(lab.Options{Hello: tc.hello})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New(%q) = %v, want an error with %q", tc.hello, err, tc.want)
			}
		})
	}
}

func TestTargets(t *testing.T) {
	t.Parallel()
	l, _ := newLab(t, 100*time.Millisecond)
	for _, via := range []string{result.ViaService, result.ViaIngress} {
		u, err := l.Target(via)
		if err != nil || !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Errorf("Target(%s) = %q, %v", via, u, err)
		}
	}
	if _, err := l.Target("nodeport"); err == nil {
		t.Error("Target(nodeport): no error")
	}
}

// Scale-up without a readiness probe: the new pod is an endpoint while hello still starts,
// and the ingress answers 502 for it. With a readiness probe no request fails.
func TestScaleUpNeedsReadiness(t *testing.T) {
	t.Parallel()
	args := []string{"--startup-delay=2s"}
	for _, tc := range []struct {
		name     string
		probe    bool
		wantLoss bool
	}{{"no readiness probe", false, true}, {"readiness probe", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, log := newLab(t, 200*time.Millisecond)
			cfg := config("scale-up", 1, args)
			if tc.probe {
				cfg = config("scale-up", 1, args, withReadiness)
			}
			deploy(t, l, cfg)
			waitServes(t, l, result.ViaIngress) // without the probe, "ready" came before hello listened
			stop := make(chan struct{})
			ld := startLoad(t, l, result.ViaIngress, true, stop)
			if err := l.Scale(t.Context(), 2); err != nil {
				t.Fatal(err)
			}
			settle(t, l)
			ld.waitServed(t, 2) // without the probe, the 502s come until the new hello listens
			close(stop)
			ok, failed := ld.result()
			t.Logf("ok %d, failed %v", ok, failed)
			if lost := failed["502"]; (lost > 0) != tc.wantLoss || len(failed) > 1 || (!tc.wantLoss && len(failed) > 0) {
				dumpEvents(t, log)
				t.Errorf("failed requests %v, want 502s: %t and nothing else", failed, tc.wantLoss)
			}
			if ok == 0 {
				t.Error("no request succeeded")
			}
		})
	}
}
