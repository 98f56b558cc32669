package scenario

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"scalelab/loadtest/manifest"
)

// queue hands the matrix's trials to its lanes. A lane takes the first trial, in the
// matrix's order, that starts where the lane's platform stands: the configuration its last
// trial ran, at the number of replicas that trial left. What the last run left is then what
// the next one deploys, and no pod starts or stops between them: on a cluster each such
// start or stop took 5–7 s in the fast set, where a trial's load lasts 9–35 s. Of those,
// one that leaves the stand as it found it goes first (a rollout restart before a scale
// down), so that the stand serves as many as it can; where no trial starts there, the lane
// takes the first one.
type queue struct {
	mu   sync.Mutex // guards jobs
	jobs []job
}

// job is one trial of one cell, for the next free lane.
type job struct {
	cell, trial int
	cfg         *manifest.Config // the cell's configuration
	starts      stand            // what its run deploys
	leaves      stand            // what its run leaves running
}

// stand is a configuration running at a number of replicas; the zero stand is none a
// run could start from.
type stand struct {
	cfg      *manifest.Config
	replicas int32
}

// standsOf says where a run of sc on cfg starts and what it leaves.
func standsOf(cfg *manifest.Config, sc Scenario) (starts, leaves stand) {
	if sc.Start != nil || sc.Fresh { // another configuration first, or pods placed anew
		return stand{}, stand{}
	}
	starts = stand{cfg, cfg.Replicas()}
	if sc.Replicas != nil {
		starts.replicas = sc.Replicas(cfg)
	}
	leaves = starts
	if sc.Leaves != nil {
		leaves.replicas = sc.Leaves(cfg)
	}
	if leaves.replicas == 0 {
		leaves = stand{}
	}
	return starts, leaves
}

// next takes the first job that starts at at and leaves it so, else the first that starts
// there, else the first job; false when none is left.
func (q *queue) next(at stand) (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.jobs) == 0 {
		return job{}, false
	}
	i := -1
	if at != (stand{}) {
		i = slices.IndexFunc(q.jobs, func(j job) bool { return j.starts == at && j.leaves == at })
		if i < 0 {
			i = slices.IndexFunc(q.jobs, func(j job) bool { return j.starts == at })
		}
	}
	i = max(i, 0)
	j := q.jobs[i]
	q.jobs = slices.Delete(q.jobs, i, i+1)
	return j, true
}

// longestFirst orders the jobs by configuration, the one whose trials take longest in all
// first (took estimates a job), keeping the matrix's order within each: the lanes then
// end on the short ones, and together.
func (q *queue) longestFirst(took func(job) time.Duration) {
	total := map[*manifest.Config]time.Duration{}
	for _, j := range q.jobs {
		total[j.cfg] += took(j)
	}
	slices.SortStableFunc(q.jobs, func(a, b job) int { return cmp.Compare(total[b.cfg], total[a.cfg]) })
}
