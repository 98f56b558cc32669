package platform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/kube"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/scenario"
)

// One place to run is what the user named: a namespace, a workload or targets.
func TestOnePlace(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		kube kube.Options
		want bool
	}{
		{kube.Options{}, false},
		{kube.Options{Kubeconfig: "k", Context: "c", ServiceURL: "http://127.0.0.1:1/"}, false},
		{kube.Options{Namespace: "shop"}, true},
		{kube.Options{Workload: "deployment/web"}, true},
		{kube.Options{Targets: map[string]string{"web": "http://127.0.0.1:1/"}}, true},
	} {
		if got := (Options{Name: Kube, Kube: tt.kube}).OnePlace(); got != tt.want {
			t.Errorf("%+v: OnePlace %v, want %v", tt.kube, got, tt.want)
		}
	}
}

// The lab opens on a hello binary it finds, says its delays and nodes, and runs as many
// lanes as asked, else what fits (at least one).
func TestOpenLab(t *testing.T) {
	t.Parallel()
	hello := filepath.Join(t.TempDir(), "hello")
	if err := os.WriteFile(hello, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	o := Options{Name: Lab, Lab: lab.Options{Hello: hello, PropagationDelay: time.Second, IngressPoll: 3 * time.Second, Nodes: 2}}
	p, err := Open(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != Lab || p.Cluster != nil || p.lab.Hello != hello {
		t.Errorf("opened %q, cluster %v, hello %q: want the lab on %s", p.Name, p.Cluster, p.lab.Hello, hello)
	}
	want := map[string]string{"propagation_delay": "1s", "ingress_poll": "3s", "nodes": "2"}
	for k, v := range want {
		if p.Meta[k] != v || len(p.Meta) != len(want) {
			t.Errorf("meta %v: want %v", p.Meta, want)
			break
		}
	}
	for asked, want := range map[int]int{3: 3, 0: 1} {
		n, newLane, meta, err := p.Lanes(t.Context(), scenario.MatrixOptions{Lanes: asked}, nil)
		if n != want || newLane == nil || meta != nil || err != nil {
			t.Errorf("--lanes %d: %d lanes, meta %v, %v; want %d, no meta", asked, n, meta, err, want)
		}
	}
}

// A platform that cannot be had is an error, before anything runs: no hello binary on
// the lab, no kubeconfig for kube.
func TestOpenFails(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "nothing")
	for _, tt := range []struct {
		o    Options
		want string
	}{
		{Options{Name: Lab, Lab: lab.Options{Hello: missing}}, "no hello binary at " + missing},
		{Options{Name: Kube, Kube: kube.Options{Kubeconfig: missing}}, missing},
	} {
		p, err := Open(t.Context(), tt.o)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, %v; want an error saying %q", tt.o.Name, p, err, tt.want)
		}
	}
}
