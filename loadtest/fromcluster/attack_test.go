package fromcluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// When the merged load of the attackers falls short, the run names each attacker's own
// sent rate against the share it was started with (attack.Share, its pod's --rate).
func TestMergedShortfallNamesEachAttacker(t *testing.T) {
	t.Parallel()
	start := time.Now()
	log := result.NewLog(start)
	r := &attackRun{a: Attackers{N: 3}, log: log, job: &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "attackers-x"}},
		o: attack.Options{Target: "http://10.96.0.10/", Rate: 300, MinRate: attack.DefaultMinRate, Log: log}}
	// attacker-0 and attacker-1 send their 100/s for 2 s; attacker-2, 10/s.
	for i, every := range []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 100 * time.Millisecond} {
		for at := time.Duration(0); at < 2*time.Second; at += every {
			r.buffered = append(r.buffered, &vegeta.Result{Attack: fmt.Sprintf("attacker-%d", i), Code: 200,
				Timestamp: start.Add(at + time.Duration(i)*time.Millisecond), Latency: time.Millisecond})
		}
	}
	if err := r.collect(context.Background()); err != nil {
		t.Fatal(err)
	}
	run := r.col.Finish(context.Background(), false)
	// The run was to send until 1.994 s: its last send at 1.991 s and one tick of 300/s.
	each := "; by attacker, from its first request: attacker-0 100.28/s of its 100/s (100.284%), attacker-1 100.33/s of its 100/s (100.334%), attacker-2 10.04/s of its 100/s (10.038%)"
	if len(run.Invalid) != 1 || !strings.HasPrefix(run.Invalid[0], "the load fell short: ") || !strings.HasSuffix(run.Invalid[0], each) {
		t.Errorf("invalid %q: want the shortfall, ending %q", run.Invalid, each)
	}
}
