package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"scalelab/loadtest/kube"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/scenario"
)

// fdsPerRequest is how many file descriptors one request in flight holds in this process
// on the local lab: the client's connection, both ends of the proxy's hop to the pod (the
// pod's own end belongs to hello), and slack for keep-alive pools and probes.
const fdsPerRequest = 6

// localLanes is how many lanes of the local lab can run side by side in this process
// without running out of file descriptors: every lab's proxies and every attack share the
// process's open-file limit (which root cannot raise on every machine), and a lab short
// of descriptors answers 502 for reasons that have nothing to do with the lesson.
func localLanes(cfgs []*manifest.Config, rate int, lanes int) int {
	limit, ok := openFileLimit()
	if !ok {
		return 1
	}
	return lanesWithin(limit, cfgs, rate, lanes)
}

// lanesWithin is how many of lanes fit in limit open files.
func lanesWithin(limit uint64, cfgs []*manifest.Config, rate int, lanes int) int {
	var slowest time.Duration
	for _, c := range cfgs {
		d, _ := c.HelloDuration("request-delay")
		slowest = max(slowest, d)
	}
	inFlight := float64(rate) * (slowest + time.Second).Seconds() // Little's law, with a second of slack
	perLane := int(inFlight)*fdsPerRequest + 200                  // + the lab's pods, proxies and probes
	fit := int(limit*4/5) / perLane                               // a fifth left for everything else
	return max(1, min(lanes, fit))
}

// What a lane of a matrix on a cluster costs this machine, in shares of one core at 100
// requests per second, measured with `loadtest matrix --platform kube --set fast --configs
// naive,graceful --lanes 1` on the bare cluster (12 runs in 251 s; CPU time read from
// /proc of the cluster's processes and the kubepods cgroup, less their idle 0.08):
// loadtest itself spent 0.06, the control plane, the node, Skipper and the pods 0.23.
const (
	harnessCPU = 0.07 // loadtest's load, watch and reports; grows with the rate
	clusterCPU = 0.23 // the cluster's share, when it runs on this machine too (kind, bare)
)

// clusterLanes is how many lanes of a matrix fit a cluster with room millicores of CPU
// left to request and a machine of cpus cores: each lane's pods request (replicas + 1
// surging) × a pod's CPU request, and the lanes may take two thirds of the machine's
// cores — loadtest's own share, and the cluster's too when local says it runs here. A
// busier machine skews the races the lanes measure (a graceful rollout's margin over
// Skipper's poll is 1 s), so not all: the fast matrix's 72 runs in 4 lanes kept the
// machine 66 % busy (1.32 of 2 cores, 0.10 of them the idle cluster's) and lost as the 3
// lanes and the lab did, by `loadtest compare` on all 24 cells. It says which bound
// holds, for the run's output.
func clusterLanes(room int64, cpus int, local bool, cfgs []*manifest.Config, rate, jobs int) (int, string) {
	var perLane int64
	for _, c := range cfgs {
		if c.Deployment == nil {
			continue
		}
		pod := kube.PodCPU(c.Deployment.Spec.Template.Spec).MilliValue()
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

// matrixLanes decides how many lanes the matrix runs (asked, else what fits) and what
// makes each lane's platform. On a cluster every lane is a namespace of its own, made for
// the run and deleted after it, and the lanes a killed loadtest left behind are removed
// first; only a --namespace of the user's, a --workload or a --target keep the matrix in
// one place, one run at a time. A shared scenario (drain: it cordons a node every lane's
// pods may run on) keeps it to one lane on a cluster.
func matrixLanes(ctx context.Context, pf *platformFlags, rs *runs, asked, rate, vias, jobs int, shared string, out io.Writer) (int, func() (scenario.Platform, error), error) {
	if pf.name == platformLab {
		n := asked
		if n <= 0 {
			n = localLanes(rs.cfgs, rate, len(rs.cfgs)*vias)
		}
		return n, rs.newPlatform, nil
	}
	if rs.cluster == nil || pf.kube.Namespace != "" || pf.kube.Workload != "" || len(pf.targets.names) > 0 {
		if asked > 1 {
			return 0, nil, errors.New("--lanes makes namespaces of its own: not with --namespace, --workload or --target, which name one place")
		}
		return 1, rs.newPlatform, nil
	}
	gone, err := rs.cluster.ClaimLanes(ctx)
	if len(gone) > 0 {
		fmt.Fprintf(out, "lanes: removed %d left behind by a loadtest that was killed: %s\n", len(gone), strings.Join(gone, ", "))
	}
	if err != nil {
		return 0, nil, err
	}
	n := asked
	switch {
	case shared != "" && asked > 1:
		return 0, nil, fmt.Errorf("--lanes %d: %s cordons a node that every lane's pods may run on: run it with --lanes 1", asked, shared)
	case shared != "":
		n = 1
		fmt.Fprintf(out, "lanes: 1 (%s cordons a node that every lane's pods may run on)\n", shared)
	case n <= 0:
		room, err := rs.cluster.Room(ctx)
		if err != nil {
			return 0, nil, err
		}
		var why string
		n, why = clusterLanes(room, runtime.NumCPU(), rs.cluster.Local(), rs.cfgs, rate, jobs)
		fmt.Fprintf(out, "lanes: %d (%s)\n", n, why)
	}
	rs.meta["namespace"] = "scalelab-lane-… (a namespace for each lane, deleted after the run)"
	var next atomic.Int32
	return n, func() (scenario.Platform, error) {
		return rs.cluster.Lane(ctx, int(next.Add(1)-1))
	}, nil
}
