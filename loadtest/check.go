package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/platform"
	"scalelab/loadtest/result"
)

// check checks the flags against each other, before anything is deployed, and returns the
// paths to load and the gates to judge by (nil: the promises alone). lanes is --lanes.
func (f *runFlags) check(viaSet bool, lanes int) ([]string, *attack.Gates, error) {
	if err := f.checkPlatform(lanes); err != nil {
		return nil, nil, err
	}
	if err := f.checkLoad(); err != nil {
		return nil, nil, err
	}
	if err := f.from.check(); err != nil {
		return nil, nil, err
	}
	if f.from.from == fromCluster && f.platform != platform.Kube {
		return nil, nil, errors.New("--from cluster needs --platform kube")
	}
	gates, err := f.gates.get()
	if err != nil {
		return nil, nil, err
	}
	vias, err := f.paths(viaSet)
	return vias, gates, err
}

// checkPlatform refuses an unknown platform, and on the lab what only a cluster can do:
// act on a running workload, load a target of the user's.
func (f *runFlags) checkPlatform(lanes int) error {
	lab := f.platform == platform.Lab
	switch {
	case !lab && f.platform != platform.Kube:
		return fmt.Errorf("unknown --platform %q: want lab or kube", f.platform)
	case lab && f.kube.Workload != "":
		return fmt.Errorf("--workload %s needs --platform kube", f.kube.Workload)
	case lab && len(f.targets.Names) > 0:
		return errors.New("--workload and --target need --platform kube: the lab runs only scalelab's configurations")
	case lab && (f.lab.PropagationDelay < 0 || f.lab.IngressPoll < 0):
		return fmt.Errorf("--propagation-delay %s and --ingress-poll %s must not be negative", f.lab.PropagationDelay, f.lab.IngressPoll)
	case lab && f.lab.Nodes < 1:
		return fmt.Errorf("--nodes %d: want at least 1", f.lab.Nodes)
	case !lab && f.platformOptions(nil).OnePlace() && lanes > 1:
		return errors.New("--lanes makes namespaces of its own: not with --namespace, --workload or --target, which name one place")
	}
	return nil
}

// checkLoad checks what no single flag's parsing can: the numbers against zero (where 0
// means the default, the flag's help says so; a zero that could wait for ever, --settle
// 0, is refused) and that --junit can be written.
func (f *runFlags) checkLoad() error {
	l := f.load
	switch {
	case l.Rate <= 0:
		return fmt.Errorf("--rate %d: want > 0", l.Rate)
	case l.Settle <= 0:
		return fmt.Errorf("--settle %s: want > 0", l.Settle)
	case l.Interval <= 0:
		return fmt.Errorf("--interval %s: want > 0", l.Interval)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"lead", l.Lead}, {"tail", l.Tail}, {"timeout", l.Timeout}} {
		if d.d < 0 {
			return fmt.Errorf("--%s %s: want ≥ 0", d.name, d.d)
		}
	}
	if f.junit != "" {
		return outFile("junit", f.junit)
	}
	return nil
}

// paths checks --via against what the flags can reach: with --target, only the targets'
// names (and by default all of them); with --from cluster, what the pods reach (by
// default the Service's ClusterIP), not the host's own ways in on its loopback.
func (f *runFlags) paths(viaSet bool) ([]string, error) {
	vias, names := f.via.Paths, f.targets.Names
	if f.from.from == fromCluster {
		if !viaSet {
			vias = []string{result.ViaClusterIP}
		}
		for _, v := range vias {
			if v == result.ViaService || v == result.ViaIngress {
				return nil, fmt.Errorf("--via %s with --from cluster: the pods cannot reach the host's loopback URLs; use cluster-ip or a --target the pods reach", v)
			}
		}
		if !slices.Contains(vias, result.ViaClusterIP) && len(names) == 0 {
			return nil, errors.New("--from cluster: no path the pods reach: --via cluster-ip, or a --target")
		}
	}
	if len(names) > 0 && !viaSet {
		return names, nil
	}
	for _, v := range vias {
		switch {
		case v == result.ViaService || v == result.ViaIngress:
		case len(names) == 0 && f.platform != platform.Kube:
			return nil, fmt.Errorf("--via %s: the lab has the paths service and ingress", v)
		case len(names) > 0 && !slices.Contains(names, v):
			return nil, fmt.Errorf("--via %s: no --target of that name (given: %s)", v, strings.Join(names, ", "))
		}
	}
	return vias, nil
}

// platformOptions are the options of the platform the flags name; progress is told what
// is done on a cluster.
func (f *runFlags) platformOptions(progress io.Writer) platform.Options {
	o := platform.Options{Name: f.platform, Lab: f.lab, Kube: f.kube}
	o.Kube.Targets, o.Kube.Out = f.targets.URLs, progress
	return o
}
