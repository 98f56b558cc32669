package scenario

import (
	"slices"
	"testing"
	"time"

	"scalelab/loadtest/manifest"
)

// A lane takes the trial that starts where its last one ended, so that the fast matrix's
// scenarios chain (scale-up leaves 3, a rollout restart keeps them, scale-down starts at 3
// and leaves 1, scale-up starts at 1) instead of stopping or starting pods between them;
// where none does, the first.
func TestQueueChainsStands(t *testing.T) {
	t.Parallel()
	cfg, err := manifest.Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	other, err := manifest.Render("../../k8s/fast/naive")
	if err != nil {
		t.Fatal(err)
	}
	q := &queue{}
	var names []string
	for i, c := range []struct {
		cfg *manifest.Config
		sc  string
	}{{cfg, "scale-up"}, {cfg, "scale-up"}, {cfg, "scale-down"}, {cfg, "rollout-restart"}, {other, "scale-up"}} {
		sc, err := Lookup(c.sc)
		if err != nil {
			t.Fatal(err)
		}
		starts, leaves := standsOf(c.cfg, sc)
		q.jobs = append(q.jobs, job{cell: i, starts: starts, leaves: leaves})
		names = append(names, c.cfg.Name+" "+c.sc)
	}
	var order []string
	var at stand
	for {
		j, ok := q.next(at)
		if !ok {
			break
		}
		order = append(order, names[j.cell])
		at = j.leaves
	}
	want := []string{
		"graceful scale-up",        // the first: nothing runs yet
		"graceful rollout-restart", // starts at the 3 scale-up left, and leaves them
		"graceful scale-down",      // starts at 3
		"graceful scale-up",        // starts at the 1 scale-down left
		"naive scale-up",           // nothing starts at graceful's 3 any more: the first
	}
	if !slices.Equal(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
}

func TestStandsOf(t *testing.T) {
	t.Parallel()
	cfg, err := manifest.Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		sc             string
		starts, leaves int32
	}{{"scale-up", 1, 3}, {"scale-down", 3, 1}, {"rollout-restart", 3, 3}, {"delete-pod", 3, 3}} {
		sc, _ := Lookup(tc.sc)
		s, l := standsOf(cfg, sc)
		if s != (stand{cfg, tc.starts}) || l != (stand{cfg, tc.leaves}) {
			t.Errorf("%s: starts %d, leaves %d; want %d, %d", tc.sc, s.replicas, l.replicas, tc.starts, tc.leaves)
		}
	}
	stuck, _ := Lookup("stuck-rollout")
	if s, l := standsOf(cfg, stuck); s != (stand{}) || l != (stand{}) {
		t.Errorf("stuck-rollout starts from another configuration, leaves a template of its own: got %v, %v", s, l)
	}
}

// The configuration whose trials take longest goes first, so that the lanes end on the
// short ones; the matrix's order holds within a configuration.
func TestQueueLongestFirst(t *testing.T) {
	t.Parallel()
	naive, err := manifest.Render("../../k8s/fast/naive")
	if err != nil {
		t.Fatal(err)
	}
	graceful, err := manifest.Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	up, _ := Lookup("scale-up")
	restart, _ := Lookup("rollout-restart")
	type planned struct {
		cfg *manifest.Config
		sc  Scenario
	}
	plan := []planned{{naive, up}, {naive, restart}, {graceful, up}, {graceful, restart}}
	q := &queue{}
	for i, p := range plan {
		q.jobs = append(q.jobs, job{cell: i, cfg: p.cfg})
	}
	q.longestFirst(func(j job) time.Duration { return plan[j.cell].sc.Takes(plan[j.cell].cfg) })
	var got []int
	for _, j := range q.jobs {
		got = append(got, j.cell)
	}
	if want := []int{2, 3, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("cells in order %v, want %v (graceful's rollout is the longest)", got, want)
	}
}
