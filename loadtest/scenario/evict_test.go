package scenario

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"scalelab/loadtest/lint"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// budget is an Evictor whose budget lets allowed pods go at a time, and one more each time
// a pod is asked for again (its predecessor's replacement ready).
type budget struct {
	mu      sync.Mutex
	pods    []string
	allowed int
	asked   map[string]int
	at      map[string]time.Time // when each pod was evicted
}

func (b *budget) Evictable(context.Context) ([]string, error) { return b.pods, nil }

func (b *budget) Evict(_ context.Context, pod string) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked[pod]++
	if b.asked[pod] > 1 {
		b.allowed++
	}
	if b.allowed <= 0 {
		return false, nil
	}
	b.allowed--
	b.at[pod] = time.Now()
	return true, nil
}

// EvictAll asks for every pod at once, and again every EvictRetry for those refused, as
// kubectl drain does; it gives up at its timeout, naming the pods the budget kept.
func TestEvictAll(t *testing.T) {
	t.Parallel()
	b := &budget{pods: []string{"a", "b", "c"}, allowed: 1, asked: map[string]int{}, at: map[string]time.Time{}}
	start := time.Now()
	if err := EvictAll(t.Context(), b, time.Minute); err != nil {
		t.Fatal(err)
	}
	if len(b.at) != 3 {
		t.Fatalf("evicted %v, want a, b and c", b.at)
	}
	var first, later int
	for pod, at := range b.at {
		switch d := at.Sub(start); {
		case d < EvictRetry/2 && b.asked[pod] == 1:
			first++
		case d >= EvictRetry && b.asked[pod] == 2:
			later++
		default:
			t.Errorf("%s evicted after %s, asked %d times", pod, d, b.asked[pod])
		}
	}
	if first != 1 || later != 2 {
		t.Errorf("%d evicted at once and %d at the retry, want 1 and 2", first, later)
	}

	never := &budget{pods: []string{"a", "b"}, asked: map[string]int{}, at: map[string]time.Time{}}
	never.allowed = -10 // refuses every time
	err := EvictAll(t.Context(), never, 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "evict pod a") || !strings.Contains(err.Error(), "evict pod b") {
		t.Errorf("a budget that allows nothing: %v, want both pods named", err)
	}
	if err := EvictAll(t.Context(), &budget{}, time.Minute); err == nil {
		t.Error("nothing to evict: no error")
	}
}

// The two evict overlays differ by the PodDisruptionBudget alone; evict takes a wave per
// pod the budget lets go, each at a retry after its predecessor's replacement is ready.
func TestEvictOverlays(t *testing.T) {
	t.Parallel()
	with, err := manifest.Render("../../k8s/reliability/evict-pdb")
	if err != nil {
		t.Fatal(err)
	}
	without, err := manifest.Render("../../k8s/reliability/evict-no-pdb")
	if err != nil {
		t.Fatal(err)
	}
	if with.PDB == nil || without.PDB != nil {
		t.Fatalf("PDBs %v and %v: want evict-pdb's only", with.PDB, without.PDB)
	}
	if len(with.Objects) != len(without.Objects)+1 {
		t.Errorf("%d and %d objects: want the PDB the only difference", len(with.Objects), len(without.Objects))
	}
	if with.Replicas() != 3 || !lint.Passed(onlyRule(lint.Check(with, manifest.DefaultPropagation), "pdb")) ||
		lint.Passed(onlyRule(lint.Check(without, manifest.DefaultPropagation), "pdb")) {
		t.Error("want 3 replicas, the pdb rule passed by evict-pdb and failed by evict-no-pdb")
	}
	for _, cfg := range []*manifest.Config{with, without} {
		if got := expectations(cfg); len(got) != 1 || got[0] != map[bool]result.Expectation{true: result.ExpectZero, false: result.ExpectLoss}[cfg.PDB != nil] {
			t.Errorf("%s expects %q", cfg.Name, got)
		}
		if scs, err := scenariosFor(cfg, nil); err != nil || len(scs) != 1 || scs[0].Name != "evict" {
			t.Errorf("%s runs %v, %v; want evict", cfg.Name, scs, err)
		}
	}
	sc, _ := Lookup("evict")
	// 5 s startup, a 1 s readiness period, a 4 s shutdown delay: 1 pod a wave, each
	// after two retries (10 s), the last one's replacement 5 s.
	if got := sc.Takes(with); got != 25*time.Second {
		t.Errorf("evict-pdb takes %s, want 25s", got)
	}
	if got := sc.Takes(without); got != 5*time.Second {
		t.Errorf("evict-no-pdb takes %s, want 5s", got)
	}
}

// onlyRule is the findings of one rule.
func onlyRule(fs []lint.Finding, rule string) []lint.Finding {
	var out []lint.Finding
	for _, f := range fs {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}
