package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"scalelab/loadtest/kube"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/scenario"
)

// The platforms: where the pods run.
const (
	platformLab  = "lab"  // hello processes on loopback, no cluster (package lab)
	platformKube = "kube" // the kubeconfig's cluster (package kube)
)

// platformFlags choose and configure the platform of `scenario` and `matrix`.
type platformFlags struct {
	name        string
	hello       string
	propagation time.Duration
	ingressPoll time.Duration
	labLogs     string
	nodes       int
	kube        kube.Options
	targets     targetFlag
}

func (f *platformFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.name, "platform", platformLab, "where the pods run: lab (hello processes, no cluster; also called local) or kube (the current kubeconfig context)")
	fs.StringVar(&f.hello, "hello", "", "lab: the hello binary (default: hello beside loadtest, else bin/hello)")
	fs.DurationVar(&f.propagation, "propagation-delay", time.Second, "lab: how late endpoint changes reach the proxies (kube-proxy's and the ingress's lag)")
	fs.DurationVar(&f.ingressPoll, "ingress-poll", 3*time.Second, "lab: the ingress polls for endpoint changes this often, as Skipper does (0: it lags by --propagation-delay)")
	fs.IntVar(&f.nodes, "nodes", 1, "lab: how many nodes the pods are spread over, as a cluster's scheduler spreads them (drain cordons one)")
	fs.StringVar(&f.labLogs, "lab-logs", "", "lab: keep each pod's hello log in this directory (<pod>.log)")
	fs.StringVar(&f.kube.Workload, "workload", "", "kube: act on this running `KIND/NAME` (deployment/web, statefulset/db) instead of deploying configurations; nothing is applied, its replicas are put back")
	fs.StringVar(&f.kube.Container, "container", "", "kube, with --workload: the container whose probes and hooks are read (default: the first)")
	fs.Var(&f.targets, "target", "kube: a path into the pods by a name of its own, as `[NAME=]URL` (repeatable; NAME defaults to target); --via defaults to their names")
	fs.StringVar(&f.kube.Kubeconfig, "kubeconfig", "", "kube: the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
	fs.StringVar(&f.kube.Context, "context", "", "kube: the kubeconfig context (default: the current one)")
	fs.StringVar(&f.kube.Namespace, "namespace", "", "kube: the namespace (default: the context's, else default)")
	fs.Var(urlFlag{&f.kube.ServiceURL}, "service-url", "kube: URL of the Service path (default: its NodePort on 127.0.0.1, as kind maps it)")
	fs.Var(urlFlag{&f.kube.IngressURL}, "ingress-url", "kube: URL of the ingress path (Skipper)")
	f.kube.IngressRoutes = os.Getenv("INGRESS_ROUTES_URL")
	fs.Var(urlFlag{&f.kube.IngressRoutes}, "ingress-routes", "kube: URL of Skipper's routing table (its support listener's /routes), polled for when it gains and loses each pod (default: $INGRESS_ROUTES_URL; empty: not read)")
}

// check takes the lab's first name, local, for lab, and refuses what only a cluster can do
// on the lab: act on a running workload, load a target of the user's.
func (f *platformFlags) check() error {
	if f.name == "local" {
		f.name = platformLab
	}
	switch {
	case f.name == platformKube:
		return nil
	case f.kube.Workload != "":
		return fmt.Errorf("--workload %s needs --platform kube", f.kube.Workload)
	case len(f.targets.names) > 0:
		return errors.New("--workload and --target need --platform kube: the lab runs only scalelab's configurations")
	}
	return nil
}

// factory checks the flags and returns what makes a platform, one per call, the cluster
// on kube (nil on the lab), and what a report should say about the platform.
func (f *platformFlags) factory(ctx context.Context, out io.Writer) (func() (scenario.Platform, error), *kube.Cluster, map[string]string, error) {
	switch f.name {
	case platformLab:
		bin, err := f.helloBinary()
		if err != nil {
			return nil, nil, nil, err
		}
		if f.propagation < 0 || f.ingressPoll < 0 {
			return nil, nil, nil, fmt.Errorf("--propagation-delay %s and --ingress-poll %s must not be negative", f.propagation, f.ingressPoll)
		}
		if f.nodes < 1 {
			return nil, nil, nil, fmt.Errorf("--nodes %d: want at least 1", f.nodes)
		}
		return func() (scenario.Platform, error) {
			return lab.New(lab.Options{Hello: bin, PropagationDelay: f.propagation, IngressPoll: f.ingressPoll, LogDir: f.labLogs, Nodes: f.nodes})
		}, nil, map[string]string{"propagation_delay": f.propagation.String(), "ingress_poll": f.ingressPoll.String(), "nodes": fmt.Sprint(f.nodes)}, nil
	case platformKube:
		f.kube.Out = out
		f.kube.Targets = f.targets.urls
		c, err := kube.New(ctx, f.kube)
		if err != nil {
			return nil, nil, nil, err
		}
		return func() (scenario.Platform, error) { return c, nil }, c,
			map[string]string{"kubernetes": c.Version(), "cluster": c.About(), "namespace": c.Namespace()}, nil
	}
	return nil, nil, nil, fmt.Errorf("unknown --platform %q: want lab or kube", f.name)
}

// helloBinary finds the hello binary: --hello, else beside this executable, else bin/hello.
func (f *platformFlags) helloBinary() (string, error) {
	candidates := []string{f.hello}
	if f.hello == "" {
		candidates = []string{filepath.Join("bin", "hello")}
		if exe, err := os.Executable(); err == nil {
			candidates = append([]string{filepath.Join(filepath.Dir(exe), "hello")}, candidates...)
		}
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return c, nil
		}
	}
	return "", fmt.Errorf("no hello binary at %s: run `make build` or pass --hello", strings.Join(candidates, " or "))
}

// clusterTrials is how many times a cell runs on a cluster unless --trials says otherwise.
// A cluster's races are draws: a cell that loses in half its runs shows its loss in at
// least one of three with odds of 7 in 8, and lanes make three trials cost about what one
// did (README, "Races are draws").
const clusterTrials = 3

// trialsOn is how many trials a cell gets on the platform when --trials is not given: one
// on the lab (the demo's single draw; ask for more), clusterTrials on a cluster.
func trialsOn(platform string) int {
	if platform == platformKube {
		return clusterTrials
	}
	return 1
}

// loadFlags shape the load of `scenario` and `matrix`, and how its runs are judged.
type loadFlags struct {
	scenario.Options
	via    viaFlag
	trials int
	gates  gateFlags
	junit  string
	from   fromFlags // cmd_from.go
}

func (f *loadFlags) register(fs *pflag.FlagSet, defaultVias ...string) {
	f.via.paths = defaultVias
	fs.Var(&f.via, "via", "the paths into the pods, comma-separated: service (kube-proxy: loss shows as refused/reset), ingress (an L7 proxy: loss shows as 502), cluster-ip (the Service's ClusterIP, kube; the default --from cluster), or a --target's name")
	f.Header = http.Header{}
	fs.Var(headerFlag{f.Header}, "header", "a header sent with every request, as `\"NAME: VALUE\"` (repeatable; Host picks the virtual host)")
	fs.Var(intFlag{&f.trials, 1, ""}, "trials", "run each scenario this many times: every lesson is a race, one run is one draw; the worst trial counts (default: 1 on the lab, 3 on kube)")
	f.gates.register(fs, -1)
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report here: a test case per scenario and path")
	f.from.register(fs)
	fs.IntVar(&f.Rate, "rate", 100, "requests per second")
	registerMinRate(fs, &f.MinRate)
	fs.BoolVar(&f.KeepAlive, "keepalive", true, "reuse connections, as most clients do")
	fs.DurationVar(&f.Lead, "lead", 2*time.Second, "load before the action")
	fs.DurationVar(&f.Tail, "tail", 0, "load after the platform has settled (0, the default: where the settle waits for the path's proxy — the lab, Skipper with --ingress-routes, kube-proxy on a cluster on this machine — 1s, and on while failures come back until 1s passes without one, at most 4s; elsewhere 4s, longer than Skipper's 3s poll)")
	fs.DurationVar(&f.Timeout, "timeout", 0, "per request (0, the default: the configuration's request delay + 10s)")
	fs.DurationVar(&f.Settle, "settle", 5*time.Minute, "how long the platform may take to settle; more is an error")
	fs.DurationVar(&f.Interval, "interval", 250*time.Millisecond, "timeline slot")
}

// check checks what no single flag's parsing can, before anything is deployed: the
// numbers against zero (where 0 means the default, the flag's help says so; a zero that
// could wait for ever, --settle 0, is refused) and that --junit can be written.
func (f *loadFlags) check() error {
	switch {
	case f.Rate <= 0:
		return fmt.Errorf("--rate %d: want > 0", f.Rate)
	case f.Settle <= 0:
		return fmt.Errorf("--settle %s: want > 0", f.Settle)
	case f.Interval <= 0:
		return fmt.Errorf("--interval %s: want > 0", f.Interval)
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"lead", f.Lead}, {"tail", f.Tail}, {"timeout", f.Timeout}} {
		if d.d < 0 {
			return fmt.Errorf("--%s %s: want ≥ 0", d.name, d.d)
		}
	}
	if f.junit != "" {
		return outFile("junit", f.junit)
	}
	return nil
}
