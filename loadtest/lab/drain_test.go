//go:build unix

package lab_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/lab"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

var _ scenario.Drainer = (*lab.Lab)(nil)

// podNodes counts the lab's pods on each node ("" for those Pending).
func podNodes(t *testing.T, l *lab.Lab) map[string]int {
	t.Helper()
	on, err := l.PodNodes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, n := range on {
		count[n]++
	}
	return count
}

// Pods spread over the nodes, the first node taking the odd one; a cordoned node takes no
// new pod; with every node cordoned a new pod stays Pending, and the lab unsettled, until one
// is uncordoned.
func TestNodesPlaceAndCordon(t *testing.T) {
	t.Parallel()
	l, log := newLabWith(t, lab.Options{PropagationDelay: 100 * time.Millisecond, Nodes: 2})
	deploy(t, l, config("nodes", 3, nil))
	if got := podNodes(t, l); got["lab-node-1"] != 2 || got["lab-node-2"] != 1 {
		t.Fatalf("pods on nodes %v, want 2 on lab-node-1 and 1 on lab-node-2", got)
	}
	if err := l.Cordon(t.Context(), "lab-node-1", true); err != nil {
		t.Fatal(err)
	}
	on, _ := l.PodNodes(t.Context())
	for pod, node := range on {
		if node == "lab-node-1" { // one of its pods goes (no budget: at once)
			if ok, err := l.Evict(t.Context(), pod); !ok || err != nil {
				t.Fatalf("evict %s: %v, %v", pod, ok, err)
			}
			break
		}
	}
	settle(t, l)
	if got := podNodes(t, l); got["lab-node-1"] != 1 || got["lab-node-2"] != 2 {
		t.Fatalf("pods on nodes %v after a pod of cordoned lab-node-1 went: want its replacement on lab-node-2", got)
	}
	if err := l.Cordon(t.Context(), "lab-node-2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeletePod(t.Context()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a pod Pending", func() bool { return podNodes(t, l)[""] == 1 })
	if len(names(log, result.EventPod, "pending: no node")) != 1 {
		dumpEvents(t, log)
		t.Fatal("no FailedScheduling event for the Pending pod")
	}
	time.Sleep(500 * time.Millisecond) // a Pending pod does not start, whatever its delays
	if got := podNodes(t, l)[""]; got != 1 {
		t.Fatalf("%d pods Pending with both nodes cordoned, want 1", got)
	}
	var pending string
	on, _ = l.PodNodes(t.Context())
	for pod, node := range on {
		if node == "" {
			pending = pod
		}
	}
	if err := l.Cordon(t.Context(), "lab-node-1", false); err != nil {
		t.Fatal(err)
	}
	settle(t, l)
	if on, _ := l.PodNodes(t.Context()); on[pending] != "lab-node-1" {
		t.Errorf("pods on nodes %v after uncordoning lab-node-1: want %s there", on, pending)
	}
	if err := l.Cordon(t.Context(), "lab-node-3", true); err == nil || !strings.Contains(err.Error(), "no node lab-node-3") {
		t.Errorf("cordon of a node the lab does not have: %v", err)
	}
}

// On one node a PodDisruptionBudget keeps the drain from taking the service down: the
// first pod goes, its replacement has no node to go to, the budget refuses the others, and
// the drain gives up; uncordoned, the replacement starts there.
func TestDrainOfOneNodeGivesUp(t *testing.T) {
	t.Parallel()
	l, log := newLabWith(t, lab.Options{PropagationDelay: 100 * time.Millisecond})
	cfg := withPDB(config("drain", 3, nil, withReadiness), "maxUnavailable", intstr.FromInt32(1))
	deploy(t, l, cfg)
	if err := scenario.Drain(t.Context(), l, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(names(log, result.EventPod, "deleting")); n != 1 {
		dumpEvents(t, log)
		t.Errorf("%d pods deleting, want the one the budget allowed", n)
	}
	if len(names(log, result.EventPod, "pending: no node")) != 1 || len(names(log, result.EventAction, "refused")) == 0 {
		dumpEvents(t, log)
		t.Error("want its replacement Pending and the others' evictions refused")
	}
	settle(t, l)
	if got := podNodes(t, l); got["lab-node-1"] != 3 {
		t.Errorf("pods on nodes %v once uncordoned, want 3 on lab-node-1", got)
	}
}

// The drain scenario's lessons under load: on one node without a PodDisruptionBudget every
// pod goes and the service is dark until the node is uncordoned; on two, with it, the
// replacements go to the other node one by one, and nothing is lost; on one, with it, the
// budget keeps the last pods there and the drain gives up, as designed: each run is valid.
func TestDrainScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("about 30 s of load")
	}
	t.Parallel()
	sc, err := scenario.Lookup("drain")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		nodes int
		cfg   string
		lost  bool
	}{
		{1, "evict-no-pdb", true},
		{2, "evict-pdb", false},
		{1, "evict-pdb", false},
	} {
		t.Run(fmt.Sprintf("%s-%d-nodes", c.cfg, c.nodes), func(t *testing.T) {
			t.Parallel()
			cfg, err := manifest.Render(filepath.Join("..", "..", "k8s", "reliability", c.cfg))
			if err != nil {
				t.Fatal(err)
			}
			l, err := lab.New(lab.Options{Hello: hello(t), PropagationDelay: time.Second, IngressPoll: 3 * time.Second, Nodes: c.nodes})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			r, err := scenario.Run(t.Context(), l, cfg, sc, scenario.Options{
				Via: result.ViaService, Rate: 100, KeepAlive: true, Lead: 2 * time.Second, Tail: 2 * time.Second,
				Settle: 2 * time.Minute, Interval: 250 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			var drained bool
			var actions []string
			for _, e := range r.Events {
				drained = drained || e.Kind == result.EventPhase && e.Name == map[bool]string{true: "drain gave up", false: "drained"}[c.nodes == 1 && c.cfg == "evict-pdb"]
				if e.Kind == result.EventAction && strings.Contains(e.Name, "cordon") {
					actions = append(actions, e.Name)
				}
			}
			t.Logf("%d of %d requests failed %v in %s; %v", r.Failed(), r.Requests, r.Errors, r.Elapsed.Round(time.Second), actions)
			if (r.Failed() > 0) != c.lost {
				t.Errorf("%d requests failed: want a loss %v", r.Failed(), c.lost)
			}
			if len(r.Invalid) > 0 {
				t.Errorf("invalid %q: want the drain's effect seen", r.Invalid)
			}
			if !drained || !slices.Equal(actions, []string{"cordon node lab-node-1", "uncordon node lab-node-1"}) {
				t.Errorf("drained %v, actions %v: want lab-node-1 cordoned, drained, uncordoned", drained, actions)
			}
		})
	}
}
