//go:build unix

package lab_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/lab"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

var _ scenario.Evictor = (*lab.Lab)(nil)

// withPDB gives cfg a PodDisruptionBudget named hello: maxUnavailable or minAvailable v.
func withPDB(cfg *manifest.Config, field string, v intstr.IntOrString) *manifest.Config {
	p := &policyv1.PodDisruptionBudget{}
	p.Name = "hello"
	if field == "maxUnavailable" {
		p.Spec.MaxUnavailable = &v
	} else {
		p.Spec.MinAvailable = &v
	}
	cfg.PDB = p
	return cfg
}

// evictable lists the lab's pods an eviction may take.
func evictable(t *testing.T, l *lab.Lab) []string {
	t.Helper()
	pods, err := l.Evictable(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return pods
}

// With maxUnavailable 1 of 3 the Eviction API lets one pod go and refuses the next with
// 429 until the first one's replacement is ready; without a budget every pod goes at once;
// with minAvailable 100 % none does.
func TestEvictHonoursTheBudget(t *testing.T) {
	t.Parallel()
	budgeted := func() *manifest.Config {
		return withPDB(config("evict", 3, []string{"--startup-delay=1s"}, withReadiness, withGrace(5)), "maxUnavailable", intstr.FromInt32(1))
	}
	t.Run("maxUnavailable 1", func(t *testing.T) {
		t.Parallel()
		l, log := newLab(t, 200*time.Millisecond)
		deploy(t, l, budgeted())
		pods := evictable(t, l)
		if len(pods) != 3 {
			t.Fatalf("evictable %q, want 3 pods", pods)
		}
		var answers []bool
		for _, p := range pods {
			ok, err := l.Evict(t.Context(), p)
			if err != nil {
				t.Fatal(err)
			}
			answers = append(answers, ok)
		}
		if !slices.Equal(answers, []bool{true, false, false}) {
			t.Fatalf("evictions answered %v, want the first allowed and two refused", answers)
		}
		// The API server decrements only disruptionsAllowed: until the controller next
		// computes the status, a refusal still counts the evicted pod as healthy (3).
		refused := names(log, result.EventAction, "refused")
		if len(refused) != 2 || !strings.Contains(refused[0].Detail, "429 TooManyRequests: Cannot evict pod") ||
			!strings.Contains(refused[0].Detail, "needs 2 healthy pods") {
			dumpEvents(t, log)
			t.Fatalf("refusals %+v, want two 429s naming the budget's 2 pods", refused)
		}
		// Asked again and again, the second eviction is allowed once a replacement is ready.
		deadline := time.Now().Add(30 * time.Second)
		for {
			ok, err := l.Evict(t.Context(), pods[1])
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				break
			}
			if time.Now().After(deadline) {
				dumpEvents(t, log)
				t.Fatal("the second eviction was still refused after 30 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		var replacementReady, secondDeleted time.Duration
		for _, e := range log.Events() {
			pod, _, _ := strings.Cut(e.Name, " ")
			switch {
			case replacementReady == 0 && e.Name == pod+" ready" && !slices.Contains(pods, pod):
				replacementReady = e.At
			case e.Name == pods[1]+" deleting":
				secondDeleted = e.At
			}
		}
		if replacementReady == 0 || secondDeleted < replacementReady {
			dumpEvents(t, log)
			t.Errorf("second pod deleted at %s, the first replacement ready at %s: want it deleted after", secondDeleted, replacementReady)
		}
		if ok, err := l.Evict(t.Context(), pods[2]); ok || err != nil {
			t.Errorf("third eviction right after the second: %v, %v; want refused", ok, err)
		}
		if ok, err := l.Evict(t.Context(), pods[0]); !ok || err != nil {
			t.Errorf("evicting a pod already terminating or gone: %v, %v; want evicted", ok, err)
		}
	})
	t.Run("no budget", func(t *testing.T) {
		t.Parallel()
		l, log := newLab(t, 200*time.Millisecond)
		cfg := budgeted()
		cfg.PDB = nil
		deploy(t, l, cfg)
		for _, p := range evictable(t, l) {
			if ok, err := l.Evict(t.Context(), p); !ok || err != nil {
				t.Errorf("evict %s: %v, %v; want evicted", p, ok, err)
			}
		}
		if n := len(names(log, result.EventPod, "deleting")); n != 3 {
			t.Errorf("%d pods deleting, want all 3", n)
		}
		settle(t, l)
		if pods := evictable(t, l); len(pods) != 3 || slices.ContainsFunc(pods, func(p string) bool { return len(names(log, result.EventPod, p+" deleting")) > 0 }) {
			t.Errorf("evictable now %q: want the 3 replacements only", pods)
		}
	})
	t.Run("minAvailable 100%", func(t *testing.T) {
		t.Parallel()
		l, log := newLab(t, 200*time.Millisecond)
		cfg := withPDB(budgeted(), "minAvailable", intstr.FromString("100%"))
		cfg.PDB.Spec.MaxUnavailable = nil
		deploy(t, l, cfg)
		for _, p := range evictable(t, l) {
			if ok, err := l.Evict(t.Context(), p); ok || err != nil {
				t.Errorf("evict %s: %v, %v; want refused", p, ok, err)
			}
		}
		if refused := names(log, result.EventAction, "refused"); len(refused) != 3 || !strings.Contains(refused[0].Detail, "needs 3 healthy pods and has 3 currently") {
			t.Errorf("refusals %+v, want three naming the budget's 3 of 3", refused)
		}
	})
}

// A budget the API server would refuse does not deploy.
func TestEvictRefusesAnInvalidBudget(t *testing.T) {
	t.Parallel()
	l, _ := newLab(t, 200*time.Millisecond)
	cfg := withPDB(config("evict", 3, nil), "maxUnavailable", intstr.FromString("150%"))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := l.Deploy(ctx, cfg); err == nil || !strings.Contains(err.Error(), "150%") {
		t.Errorf("deploy: %v, want the budget refused", err)
	}
}

// The lesson of k8s/reliability/evict-*: the evict scenario (every pod evicted at once, as
// kubectl drain asks) loses requests on graceful shutdown alone, and none with the
// PodDisruptionBudget, through either path.
func TestEvictScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("about 40 s of load")
	}
	t.Parallel()
	sc, err := scenario.Lookup("evict")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"evict-no-pdb", "evict-pdb"} {
		cfg, err := manifest.Render(filepath.Join("..", "..", "k8s", "reliability", name))
		if err != nil {
			t.Fatal(err)
		}
		// Through the Service only: the budget's refusals are the same on either path, and
		// make reliability judges both paths' losses (CI's reliability stage).
		for _, via := range []string{result.ViaService} {
			t.Run(name+"/"+via, func(t *testing.T) {
				t.Parallel()
				l, err := lab.New(lab.Options{Hello: hello(t), PropagationDelay: time.Second, IngressPoll: 3 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				r, err := scenario.Run(t.Context(), l, cfg, sc, scenario.Options{
					Via: via, Rate: 100, KeepAlive: true, Lead: 2 * time.Second, Tail: 4 * time.Second,
					Settle: 2 * time.Minute, Interval: 250 * time.Millisecond,
				})
				if err != nil {
					t.Fatal(err)
				}
				refused := 0
				for _, e := range r.Events {
					if strings.HasSuffix(e.Name, " refused") {
						refused++
					}
				}
				t.Logf("%s via %s: %d of %d requests failed %v, %d evictions refused, %s",
					name, via, r.Failed(), r.Requests, r.Errors, refused, r.Elapsed.Round(time.Second))
				if len(r.Invalid) > 0 {
					t.Errorf("invalid %q: want every pod seen evicted and replaced", r.Invalid)
				}
				if cfg.PDB == nil && (r.Failed() == 0 || refused > 0) {
					t.Errorf("without a budget: %d failed, %d refused; want a loss and no refusal", r.Failed(), refused)
				}
				if cfg.PDB != nil && (r.Failed() > 0 || refused == 0) {
					t.Errorf("with the budget: %d failed, %d refused; want no loss, and refusals", r.Failed(), refused)
				}
			})
		}
	}
}
