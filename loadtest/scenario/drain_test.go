package scenario

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// nodes is a Drainer over budget: its pods on nodes, each evicted pod gone a little later.
type nodes struct {
	*budget
	mu      sync.Mutex
	on      map[string]string
	actions []string
}

func (n *nodes) PodNodes(context.Context) (map[string]string, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := map[string]string{}
	for pod, node := range n.on {
		if at, ok := n.evictedAt(pod); !ok || time.Since(at) < 300*time.Millisecond {
			out[pod] = node
		}
	}
	return out, nil
}

func (n *nodes) evictedAt(pod string) (time.Time, bool) {
	n.budget.mu.Lock()
	defer n.budget.mu.Unlock()
	at, ok := n.at[pod]
	return at, ok
}

func (n *nodes) Cordon(_ context.Context, node string, unschedulable bool) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.actions = append(n.actions, map[bool]string{true: "cordon ", false: "uncordon "}[unschedulable]+node)
	return nil
}

func newNodes(allowed int, on map[string]string) *nodes {
	return &nodes{budget: &budget{allowed: allowed, asked: map[string]int{}, at: map[string]time.Time{}}, on: on}
}

// Drain cordons the node with most pods (the first by name of equals), evicts only its
// pods, waits until they are gone, and uncordons it; a budget that keeps them past the
// timeout ends the drain without an error, the node uncordoned, as does a drain stopped.
func TestDrain(t *testing.T) {
	t.Parallel()
	on := map[string]string{"a": "n2", "b": "n2", "c": "n1", "d": "n3", "e": "n3"}
	n := newNodes(5, on)
	log := result.NewLog(time.Now())
	if err := Drain(withTimeline(t.Context(), log), n, time.Minute); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(n.actions, []string{"cordon n2", "uncordon n2"}) {
		t.Errorf("actions %v, want n2 cordoned and uncordoned", n.actions)
	}
	if got := slices.Sorted(maps.Keys(n.at)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("evicted %v, want n2's a and b", got)
	}
	if ev := log.Events(); len(ev) != 1 || ev[0].Name != "drained" || !strings.Contains(ev[0].Detail, "2 pods evicted and gone") {
		t.Errorf("timeline %+v, want drained", ev)
	}

	kept := newNodes(-100, map[string]string{"a": "n1", "b": "n1"})
	log = result.NewLog(time.Now())
	if err := Drain(withTimeline(t.Context(), log), kept, 200*time.Millisecond); err != nil {
		t.Fatalf("a drain the budget keeps: %v, want no error", err)
	}
	if !slices.Equal(kept.actions, []string{"cordon n1", "uncordon n1"}) {
		t.Errorf("actions %v, want n1 cordoned and uncordoned", kept.actions)
	}
	if ev := log.Events(); len(ev) != 1 || ev[0].Name != "drain gave up" {
		t.Errorf("timeline %+v, want the drain given up", ev)
	}

	stopped := newNodes(-100, map[string]string{"a": "n1"})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := Drain(ctx, stopped, time.Minute); err == nil {
		t.Error("a drain stopped: no error")
	}
	if !slices.Equal(stopped.actions, []string{"cordon n1", "uncordon n1"}) {
		t.Errorf("actions %v, want n1 uncordoned after the drain stopped", stopped.actions)
	}

	if err := Drain(t.Context(), newNodes(1, map[string]string{"a": ""}), time.Minute); err == nil {
		t.Error("no pod on a node: no error")
	}
}

// A drain starts from pods placed anew and leaves none a next run could start from; it is
// the one scenario that changes what every lane on a cluster shares.
func TestDrainStartsAfresh(t *testing.T) {
	t.Parallel()
	cfg, err := manifest.Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range Scenarios() {
		starts, leaves := standsOf(cfg, sc)
		if sc.Fresh != (sc.Name == "drain") || sc.Needs.Shared() != (sc.Name == "drain") {
			t.Errorf("%s: fresh %v, shared %v; want only drain", sc.Name, sc.Fresh, sc.Needs.Shared())
		}
		if sc.Fresh && (starts != stand{} || leaves != stand{}) {
			t.Errorf("%s starts at %v and leaves %v: want neither a stand", sc.Name, starts, leaves)
		}
	}
	if got := drainTimeout(cfg); got != 50*time.Second {
		t.Errorf("graceful's drain gives up after %s, want 50s: twice its 25 s of evictions", got)
	}
}
