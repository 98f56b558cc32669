package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/fromcluster"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/result"
)

// attackFromFlags are `loadtest attack`'s --from and what --from cluster needs: which
// cluster, which namespace the attacker pods run in, how many.
type attackFromFlags struct {
	from      string
	attackers fromcluster.Attackers
	kube      kube.Options
}

func (f *attackFromFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.from, "from", fromHost, "where the load comes from: host (this process) or cluster (a Job of attacker pods in --namespace, which must reach --target: a ClusterIP, say)")
	fs.IntVar(&f.attackers.N, "attackers", 1, "--from cluster: how many attacker pods share --rate, each with its own connection pool")
	fs.StringVar(&f.attackers.Image, "attacker-image", fromcluster.DefaultAttackerImage, "--from cluster: the image of loadtest the attacker pods run")
	fs.StringVar(&f.kube.Kubeconfig, "kubeconfig", "", "--from cluster: the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
	fs.StringVar(&f.kube.Context, "context", "", "--from cluster: the kubeconfig context (default: the current one)")
	fs.StringVar(&f.kube.Namespace, "namespace", "", "--from cluster: where the attacker pods run (default: the context's, else default)")
}

// run is the attack: attack.Run from here, or the attacker pods of a cluster.
func (f *attackFromFlags) run(ctx context.Context, o attack.Options, out io.Writer) (*result.Run, error) {
	switch f.from {
	case fromHost:
		if f.attackers.N != 1 {
			return nil, errors.New("--attackers needs --from cluster")
		}
		return attack.Run(ctx, o)
	case fromCluster:
	default:
		return nil, fmt.Errorf("--from %q: want host or cluster", f.from)
	}
	if o.Duration <= 0 {
		return nil, errors.New("--from cluster: the attacker pods are bounded, want a --duration")
	}
	f.kube.Out = out
	c, err := kube.New(ctx, f.kube)
	if err != nil {
		return nil, err
	}
	wait, err := fromcluster.Attack(ctx, c, o, f.attackers)
	if err != nil {
		return nil, err
	}
	return wait()
}
