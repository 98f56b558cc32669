// Package platform opens the platform a run's pods run on: the lab (package lab, hello
// processes on this machine) or a cluster (package kube), and each lane's. It is the one
// package that knows both, as kind's cluster.NewProvider picks a provider; what runs on a
// platform speaks to scenario.Platform alone.
package platform

import (
	"context"
	"fmt"
	"io"

	"scalelab/loadtest/kube"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/scenario"
)

// The platforms, by their names.
const (
	Lab  = "lab"  // hello processes on loopback, no cluster (package lab)
	Kube = "kube" // the kubeconfig's cluster (package kube)
)

// Options say which platform to open and how.
type Options struct {
	Name string       // Lab or Kube
	Lab  lab.Options  // on the lab; Hello as given, found by lab.FindHello
	Kube kube.Options // on kube; Out is told what is done on the cluster
}

// OnePlace says whether the options name the one place on a cluster to run: a namespace,
// a workload or targets of the user's. There a matrix runs one run at a time.
func (o Options) OnePlace() bool {
	return o.Kube.Namespace != "" || o.Kube.Workload != "" || len(o.Kube.Targets) > 0
}

// Platform is a platform opened: what makes each lane's, and what a run's provenance
// says of it.
type Platform struct {
	Name     string
	Cluster  *kube.Cluster     // on kube; nil on the lab
	Meta     map[string]string // the lab's delays and nodes, or the cluster's version, kind and namespace
	lab      lab.Options
	onePlace bool
}

// Open has the platform: on the lab, the hello binary found; on kube, the cluster, asked
// whether it answers. An error means the platform cannot be had.
func Open(ctx context.Context, o Options) (*Platform, error) {
	if o.Name == Lab {
		bin, err := lab.FindHello(o.Lab.Hello)
		if err != nil {
			return nil, err
		}
		l := o.Lab
		l.Hello = bin
		return &Platform{Name: Lab, lab: l, Meta: map[string]string{"propagation_delay": l.PropagationDelay.String(),
			"ingress_poll": l.IngressPoll.String(), "nodes": fmt.Sprint(l.Nodes)}}, nil
	}
	c, err := kube.New(ctx, o.Kube)
	if err != nil {
		return nil, err
	}
	return &Platform{Name: Kube, Cluster: c, onePlace: o.OnePlace(),
		Meta: map[string]string{"kubernetes": c.Version(), "cluster": c.About(), "namespace": c.Namespace()}}, nil
}

// New is the platform of one lane: a lab of its own on the lab, the cluster on kube.
func (p *Platform) New() (scenario.Platform, error) {
	if p.Cluster != nil {
		return p.Cluster, nil
	}
	return lab.New(p.lab)
}

// Lanes decides how many lanes matrix m runs (m.Lanes, else what fits) and what makes
// each lane's platform: a lab each on the lab; on a cluster a namespace each, made for the
// run and deleted after it (kube's Lanes), unless the options named one place to run (a
// namespace, a workload or targets): then one lane, one run at a time. meta is what the
// lanes add to the matrix's provenance; out is told what is done on the cluster.
func (p *Platform) Lanes(ctx context.Context, m scenario.MatrixOptions, out io.Writer) (n int, newLane func() (scenario.Platform, error), meta map[string]string, err error) {
	switch {
	case p.Cluster == nil && m.Lanes > 0:
		return m.Lanes, p.New, nil, nil
	case p.Cluster == nil:
		return lab.Lanes(m.Configs, m.Rate, len(m.Configs)*len(m.Vias)), p.New, nil, nil
	case p.onePlace:
		return 1, p.New, nil, nil
	}
	jobs := 0
	for _, cfg := range m.Configs {
		jobs += len(scenario.Columns([]*manifest.Config{cfg}, m.Scenarios)) * len(m.Vias) * m.Trials
	}
	n, lane, err := p.Cluster.Lanes(ctx, m.Lanes, scenario.Shared(m.Configs, m.Scenarios), m.Configs, m.Rate, jobs, out)
	if err != nil {
		return 0, nil, nil, err
	}
	newLane = func() (scenario.Platform, error) {
		c, err := lane()
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return n, newLane, map[string]string{"namespace": "scalelab-lane-… (a namespace for each lane, deleted after the run)"}, nil
}
