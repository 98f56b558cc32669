package fromcluster

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/kube"
)

// BenchmarkAttackersRate runs the in-cluster attackers (Attack) at 1,000 and 3,000
// requests/s for 10 s each and reports what they sent against what was asked: sent-% is
// the requests sent as a share of rate × duration (each attacker paces its own share from
// its own start), rate-% vegeta's achieved rate over the span of all the sends (the pods
// start a few hundred milliseconds apart, which lowers it), failed-% the requests that
// failed. It needs a cluster: SCALELAB_ATTACK_TARGET is a URL the pods reach (a hello's
// ClusterIP, with ?delay=0 to measure the attackers rather than hello's delay),
// SCALELAB_ATTACK_NAMESPACE where the pods run (the kubeconfig's current context),
// SCALELAB_ATTACKERS how many (default 3). Run it once:
//
//	SCALELAB_ATTACK_TARGET='http://10.96.149.24/?delay=0' SCALELAB_ATTACK_NAMESPACE=h15-a \
//	  go test -run '^$' -bench AttackersRate -benchtime 1x ./loadtest/fromcluster
func BenchmarkAttackersRate(b *testing.B) {
	target, ns := os.Getenv("SCALELAB_ATTACK_TARGET"), os.Getenv("SCALELAB_ATTACK_NAMESPACE")
	if target == "" || ns == "" {
		b.Skip("needs a cluster: set SCALELAB_ATTACK_TARGET and SCALELAB_ATTACK_NAMESPACE")
	}
	n := 3
	if s := os.Getenv("SCALELAB_ATTACKERS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("SCALELAB_ATTACKERS %q: %v", s, err)
		}
	}
	c, err := kube.New(context.Background(), kube.Options{Namespace: ns})
	if err != nil {
		b.Fatal(err)
	}
	const d = 10 * time.Second
	for _, rate := range []int{1000, 3000} {
		b.Run(fmt.Sprintf("rate=%d/attackers=%d", rate, n), func(b *testing.B) {
			for range b.N {
				o := attack.Options{Target: target, Rate: rate, Duration: d, Timeout: 5 * time.Second, KeepAlive: true}
				wait, err := Attack(b.Context(), c, o, Attackers{N: n})
				if err != nil {
					b.Fatal(err)
				}
				run, err := wait()
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(100*float64(run.Requests)/(float64(rate)*d.Seconds()), "sent-%")
				b.ReportMetric(100*run.AchievedRate/float64(rate), "rate-%")
				b.ReportMetric(100*float64(run.Failed())/float64(max(run.Requests, 1)), "failed-%")
				b.ReportMetric(float64(run.Latency.P99.Microseconds())/1000, "p99-ms")
			}
		})
	}
}
