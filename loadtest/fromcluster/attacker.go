package fromcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// The two ends of an attack from the cluster as the commands call them: on the side of
// loadtest, Run and OnPlatform wrap Attack; in each pod, `loadtest attacker` runs Attacker.

// Run starts o from the attacker pods of c and waits for the merged run, as attack.Run
// sends it from this process.
func (a Attackers) Run(c *kube.Cluster) func(context.Context, attack.Options) (*result.Run, error) {
	return func(ctx context.Context, o attack.Options) (*result.Run, error) {
		wait, err := Attack(ctx, c, o, a)
		if err != nil {
			return nil, err
		}
		return wait()
	}
}

// OnPlatform is Attack as a scenario starts its load (scenario.Options.Attack), on the
// platform it runs on, which must be a cluster.
func (a Attackers) OnPlatform(ctx context.Context, p scenario.Platform, o attack.Options) (func() (*result.Run, error), error) {
	c, ok := p.(*kube.Cluster)
	if !ok {
		return nil, fmt.Errorf("--from cluster: platform %s is no cluster", p.Name())
	}
	return Attack(ctx, c, o, a)
}

// Index is an attacker's index: index when it is given (≥ 0), else the Job's
// $JOB_COMPLETION_INDEX, else 0.
func Index(index int) (int, error) {
	s := os.Getenv("JOB_COMPLETION_INDEX")
	if index >= 0 || s == "" {
		return max(index, 0), nil
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("$JOB_COMPLETION_INDEX %q: %w", s, err)
	}
	return i, nil
}

// Attacker is one attacker pod's attack: it streams the results of o, its share, to
// stdout (attack.Stream) and, when it ends, writes its counts as JSON to summary when
// given (the pod's termination message, which summaryOf reads).
func Attacker(ctx context.Context, o attack.Options, index int, summary string, stdout io.Writer) error {
	sum, err := attack.Stream(ctx, o, fmt.Sprintf("attacker-%d", index), stdout)
	if summary != "" {
		b, _ := json.Marshal(sum)
		if werr := os.WriteFile(summary, b, 0o644); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}
