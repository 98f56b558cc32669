package kube

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"

	"scalelab/loadtest/manifest"
)

// What a lane of a matrix on a cluster costs this machine, in shares of one core at 100
// requests per second, measured with `loadtest matrix --platform kube --set fast --configs
// naive,graceful --lanes 1` on the bare cluster (12 runs in 251 s; CPU time read from
// /proc of the cluster's processes and the kubepods cgroup, less their idle 0.08):
// loadtest itself spent 0.06, the control plane, the node, Skipper and the pods 0.23.
const (
	harnessCPU = 0.07 // loadtest's load, watch and reports; grows with the rate
	clusterCPU = 0.23 // the cluster's share, when it runs on this machine too (kind, bare)
)

// LanesThatFit is how many lanes of a matrix of cfgs at rate requests/s, with jobs runs in
// all, fit the cluster's free CPU and this machine's cores (FitLanes), and why.
func (c *Cluster) LanesThatFit(ctx context.Context, cfgs []*manifest.Config, rate, jobs int) (int, string, error) {
	room, err := c.Room(ctx)
	if err != nil {
		return 0, "", err
	}
	n, why := FitLanes(room, runtime.NumCPU(), c.Local(), cfgs, rate, jobs)
	return n, why, nil
}

// FitLanes is how many lanes of a matrix fit a cluster with room millicores of CPU left
// to request and a machine of cpus cores: each lane's pods request (replicas + 1 surging)
// × a pod's CPU request, and the lanes may take two thirds of the machine's cores —
// loadtest's own share, and the cluster's too when local says it runs here. A busier
// machine skews the races the lanes measure (a graceful rollout's margin over Skipper's
// poll is 1 s), so not all: the fast matrix's 72 runs in 4 lanes kept the machine 66 %
// busy (1.32 of 2 cores, 0.10 of them the idle cluster's) and lost as the 3 lanes and the
// lab did, by `loadtest compare` on all 24 cells. It says which bound holds, for the
// run's output.
func FitLanes(room int64, cpus int, local bool, cfgs []*manifest.Config, rate, jobs int) (int, string) {
	var perLane int64
	for _, c := range cfgs {
		if c.Deployment == nil {
			continue
		}
		pod := PodCPU(c.Deployment.Spec.Template.Spec).MilliValue()
		perLane = max(perLane, int64(c.Replicas()+1)*pod)
	}
	cost, where := harnessCPU*float64(rate)/100, "loadtest"
	if local {
		cost, where = cost+clusterCPU, "loadtest and the cluster"
	}
	byMachine := int(float64(cpus) * 2 / 3 / cost)
	byRoom := byMachine
	if perLane > 0 {
		byRoom = int(room / perLane)
	}
	n := max(1, min(jobs, byRoom, byMachine))
	return n, fmt.Sprintf("room for %d on the cluster's CPU (%dm free, %dm a lane), %d in two thirds of this machine's %d cores (%s, %.2f a lane), %d runs",
		byRoom, room, perLane, byMachine, cpus, where, cost, jobs)
}

// Lanes says how many lanes a matrix of cfgs runs on the cluster — asked, else as many as
// fit (LanesThatFit), one when shared names a scenario that changes what every lane's
// pods share — once the lanes a killed loadtest left behind are removed (ClaimLanes),
// and tells out about both; lane makes the next lane, a namespace of its own (Lane).
func (c *Cluster) Lanes(ctx context.Context, asked int, shared string, cfgs []*manifest.Config, rate, jobs int, out io.Writer) (n int, lane func() (*Cluster, error), err error) {
	gone, err := c.ClaimLanes(ctx)
	if len(gone) > 0 {
		fmt.Fprintf(out, "lanes: removed %d left behind by a loadtest that was killed: %s\n", len(gone), strings.Join(gone, ", "))
	}
	if err != nil {
		return 0, nil, err
	}
	switch n = asked; {
	case shared != "":
		n = 1
		fmt.Fprintf(out, "lanes: 1 (%s cordons a node that every lane's pods may run on)\n", shared)
	case n <= 0:
		var why string
		if n, why, err = c.LanesThatFit(ctx, cfgs, rate, jobs); err != nil {
			return 0, nil, err
		}
		fmt.Fprintf(out, "lanes: %d (%s)\n", n, why)
	}
	var next atomic.Int32
	return n, func() (*Cluster, error) { return c.Lane(ctx, int(next.Add(1)-1)) }, nil
}
