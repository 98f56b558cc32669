package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/fromcluster"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// Where the load comes from.
const (
	fromHost    = "host"    // this process (attack.Run)
	fromCluster = "cluster" // attacker pods, a Job in the cluster (fromcluster.Attack)
)

// fromFlags choose where the load of `scenario` and `matrix` comes from.
type fromFlags struct {
	from      string
	attackers fromcluster.Attackers
}

func (f *fromFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.from, "from", fromHost, "where the load comes from: host (this process) or cluster (kube: a Job of attacker pods running loadtest's attack, aimed at the Service's ClusterIP; their results stream back through the API server)")
	fs.IntVar(&f.attackers.N, "attackers", 1, "--from cluster: how many attacker pods share --rate, each with its own connection pool")
	fs.StringVar(&f.attackers.Image, "attacker-image", fromcluster.DefaultAttackerImage, "--from cluster: the image of loadtest the attacker pods run (k8s/bare/up.sh imports it)")
}

// apply checks --from against the platform and the paths, and with --from cluster makes
// the attack one of attacker pods: the path defaults to cluster-ip, and the host's own
// ways in (a NodePort on loopback, the ingress on loopback) are refused, for the pods
// cannot reach them.
func (f *fromFlags) apply(pf *platformFlags, lf *loadFlags, viaSet bool) error {
	switch {
	case f.from == fromHost:
		if f.attackers.N != 1 {
			return errors.New("--attackers needs --from cluster")
		}
		return nil
	case f.from != fromCluster:
		return fmt.Errorf("--from %q: want host or cluster", f.from)
	case pf.name != platformKube:
		return errors.New("--from cluster needs --platform kube")
	case f.attackers.N < 1 || f.attackers.N > fromcluster.MaxAttackers:
		return fmt.Errorf("--attackers %d: want 1 to %d", f.attackers.N, fromcluster.MaxAttackers)
	}
	if !viaSet {
		lf.via.paths = []string{result.ViaClusterIP}
	}
	for _, v := range lf.via.paths {
		if v == result.ViaService || v == result.ViaIngress {
			return fmt.Errorf("--via %s with --from cluster: the pods cannot reach the host's loopback URLs; use cluster-ip or a --target the pods reach", v)
		}
	}
	a := f.attackers
	lf.Attack = func(ctx context.Context, p scenario.Platform, o attack.Options) (func() (*result.Run, error), error) {
		c, ok := p.(*kube.Cluster)
		if !ok {
			return nil, fmt.Errorf("--from cluster: platform %s is no cluster", p.Name())
		}
		return fromcluster.Attack(ctx, c, o, a)
	}
	if !slices.Contains(lf.via.paths, result.ViaClusterIP) && len(pf.targets.names) == 0 {
		return errors.New("--from cluster: no path the pods reach: --via cluster-ip, or a --target")
	}
	return nil
}

// meta says where the load came from, for a matrix's provenance: nothing from the host.
func (f *fromFlags) meta() map[string]string {
	if f.from != fromCluster {
		return nil
	}
	return map[string]string{"from": fmt.Sprintf("cluster: %d attacker pod(s) of %s", f.attackers.N, f.attackers.Image)}
}
