package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/flagvalue"
	"scalelab/loadtest/fromcluster"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// The flag groups. Each only holds what was parsed; resolve.go checks them, once.

// runFlags are what scenario and matrix share: the platform, the load, where it comes
// from, the gates, the outputs. A command adds its own (--set, --out, ...).
type runFlags struct {
	platform    string
	lab         lab.Options
	kube        kube.Options
	targets     flagvalue.Target
	load        scenario.Options
	via         flagvalue.Via
	trials      int
	gates       gateFlags
	from        fromFlags
	junit, live string
}

func (f *runFlags) register(fs *pflag.FlagSet, defaultVias ...string) {
	fs.StringVar(&f.platform, "platform", "lab", "where the pods run: lab (hello processes, no cluster) or kube (the current kubeconfig context)")
	fs.StringVar(&f.lab.Hello, "hello", "", "lab: the hello binary (default: hello beside loadtest, else bin/hello)")
	fs.DurationVar(&f.lab.PropagationDelay, "propagation-delay", time.Second, "lab: how late endpoint changes reach the proxies (kube-proxy's and the ingress's lag)")
	fs.DurationVar(&f.lab.IngressPoll, "ingress-poll", 3*time.Second, "lab: the ingress polls for endpoint changes this often, as Skipper does (0: it lags by --propagation-delay)")
	fs.IntVar(&f.lab.Nodes, "nodes", 1, "lab: how many nodes the pods are spread over, as a cluster's scheduler spreads them (drain cordons one)")
	fs.StringVar(&f.lab.LogDir, "lab-logs", "", "lab: keep each pod's hello log in this directory (<pod>.log)")
	fs.StringVar(&f.kube.Workload, "workload", "", "kube: act on this running `KIND/NAME` (deployment/web, statefulset/db) instead of deploying configurations; nothing is applied, its replicas are put back")
	fs.StringVar(&f.kube.Container, "container", "", "kube, with --workload: the container whose probes and hooks are read (default: the first)")
	fs.Var(&f.targets, "target", "kube: a path into the pods by a name of its own, as `[NAME=]URL` (repeatable; NAME defaults to target); --via defaults to their names")
	registerKube(fs, &f.kube, "kube", "the namespace (default: the context's, else default)")
	fs.Var(flagvalue.URL{P: &f.kube.ServiceURL}, "service-url", "kube: URL of the Service path (default: its NodePort on 127.0.0.1, as kind maps it)")
	fs.Var(flagvalue.URL{P: &f.kube.IngressURL}, "ingress-url", "kube: URL of the ingress path (Skipper)")
	f.kube.IngressRoutes = os.Getenv("INGRESS_ROUTES_URL")
	fs.Var(flagvalue.URL{P: &f.kube.IngressRoutes}, "ingress-routes", "kube: URL of Skipper's routing table (its support listener's /routes), polled for when it gains and loses each pod (default: $INGRESS_ROUTES_URL; empty: not read)")

	f.via.Paths = defaultVias
	fs.Var(&f.via, "via", "the paths into the pods, comma-separated: service (kube-proxy: loss shows as refused/reset), ingress (an L7 proxy: loss shows as 502), cluster-ip (the Service's ClusterIP, kube; the default --from cluster), or a --target's name")
	f.load.Header = http.Header{}
	fs.Var(flagvalue.Header{Header: f.load.Header}, "header", "a header sent with every request, as `\"NAME: VALUE\"` (repeatable; Host picks the virtual host)")
	fs.Var(flagvalue.Int{N: &f.trials, Min: 1}, "trials", "run each scenario this many times: every lesson is a race, one run is one draw; the worst trial counts (default: 1 on the lab, 3 on kube)")
	f.gates.register(fs, -1)
	fs.StringVar(&f.junit, "junit", "", "also write a JUnit XML report here: a test case per scenario and path")
	f.from.register(fs, "where the load comes from: host (this process) or cluster (kube: a Job of attacker pods running loadtest's attack, aimed at the Service's ClusterIP; their results stream back through the API server)",
		" (clusters/bare/up.sh imports it)")
	fs.IntVar(&f.load.Rate, "rate", 100, "requests per second")
	registerMinRate(fs, &f.load.MinRate)
	fs.BoolVar(&f.load.KeepAlive, "keepalive", true, "reuse connections, as most clients do")
	fs.DurationVar(&f.load.Lead, "lead", 2*time.Second, "load before the action")
	fs.DurationVar(&f.load.Tail, "tail", 0, "load after the platform has settled (0, the default: where the settle waits for the path's proxy — the lab, Skipper with --ingress-routes, kube-proxy on a cluster on this machine — 1s, and on while failures come back until 1s passes without one, at most 4s; elsewhere 4s, longer than Skipper's 3s poll)")
	fs.DurationVar(&f.load.Timeout, "timeout", 0, "per request (0, the default: the configuration's request delay + 10s)")
	fs.DurationVar(&f.load.Settle, "settle", 5*time.Minute, "how long the platform may take to settle; more is an error")
	fs.DurationVar(&f.load.Interval, "interval", 250*time.Millisecond, "timeline slot")
	registerLive(fs, &f.live)
}

// registerKube adds the flags that say which cluster: for the platform kube (what is
// "kube") or for attack's attacker pods.
func registerKube(fs *pflag.FlagSet, o *kube.Options, what, namespace string) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", what+": the kubeconfig file (default: $KUBECONFIG, ~/.kube/config)")
	fs.StringVar(&o.Context, "context", "", what+": the kubeconfig context (default: the current one)")
	fs.StringVar(&o.Namespace, "namespace", "", what+": "+namespace)
}

// fromFlags choose where the load comes from: this process, or attacker pods.
type fromFlags struct {
	from      string
	attackers fromcluster.Attackers
}

// The places the load may come from.
const (
	fromHost    = "host"    // this process (attack.Run)
	fromCluster = "cluster" // attacker pods, a Job in the cluster (kube.Cluster.Attack)
)

func (f *fromFlags) register(fs *pflag.FlagSet, about, imageNote string) {
	fs.StringVar(&f.from, "from", fromHost, about)
	fs.IntVar(&f.attackers.N, "attackers", 1, "--from cluster: how many attacker pods share --rate, each with its own connection pool")
	fs.StringVar(&f.attackers.Image, "attacker-image", fromcluster.DefaultAttackerImage, "--from cluster: the image of loadtest the attacker pods run"+imageNote)
}

// gateFlags are the pass/fail conditions of a run that a CI pipeline sets: budgets per
// failure class, the most failed requests, the least success ratio, the highest p99.
// `attack` judges its run by them; `scenario` and `matrix` judge by them, instead of by
// zero, every cell whose configuration promises zero.
type gateFlags struct {
	gates  attack.Gates
	budget flagvalue.Budget
}

// register adds the flags; maxFailed is --max-failed's default (-1: no limit).
func (f *gateFlags) register(fs *pflag.FlagSet, maxFailed int) {
	fs.Var(&f.budget, "budget", "gate: the most failed requests of each class, as `CLASS=N,...` (e.g. 502=0,timeout=5; repeatable)")
	f.gates.MaxErrors = maxFailed
	fs.Var(flagvalue.Int{N: &f.gates.MaxErrors, Min: -1, Note: " (-1: no limit)"}, "max-failed", "gate: the most failed requests of any class; -1: no limit")
	fs.Float64Var(&f.gates.MinSuccess, "min-success", 0, "gate: the least success ratio, e.g. 0.999; 0: off")
	fs.DurationVar(&f.gates.MaxP99, "max-p99", 0, "gate: the highest p99 latency, e.g. 2s; 0: off")
}

// registerLive adds --live ADDR, shared by attack, scenario and matrix.
func registerLive(fs *pflag.FlagSet, addr *string) {
	fs.StringVar(addr, "live", "", "serve the timeline, a row per pod, live on a web page at `ADDR` while the load runs (a port alone: on the loopback, e.g. 8090; HOST:PORT to serve a room); the page keeps its last picture when the run ends")
}

// check refuses --from's values that are no place, and --attackers without pods to count.
func (f *fromFlags) check() error {
	switch {
	case f.from == fromHost && f.attackers.N != 1:
		return errors.New("--attackers needs --from cluster")
	case f.from != fromHost && f.from != fromCluster:
		return fmt.Errorf("--from %q: want host or cluster", f.from)
	case f.from == fromCluster:
		return f.attackers.CheckN()
	}
	return nil
}

// attack is what starts a run's load from the attacker pods, nil from this process.
func (f *fromFlags) attack() func(context.Context, scenario.Platform, attack.Options) (func() (*result.Run, error), error) {
	if f.from != fromCluster {
		return nil
	}
	return f.attackers.OnPlatform
}

// meta says where the load came from, for a matrix's provenance: nothing from the host.
func (f *fromFlags) meta() map[string]string {
	if f.from != fromCluster {
		return nil
	}
	return map[string]string{"from": fmt.Sprintf("cluster: %d attacker pod(s) of %s", f.attackers.N, f.attackers.Image)}
}

// get checks the gates and returns them, nil when none is on.
func (f *gateFlags) get() (*attack.Gates, error) {
	g := f.gates
	g.Budget = f.budget.Counts
	switch {
	case g.MinSuccess < 0 || g.MinSuccess > 1:
		return nil, fmt.Errorf("--min-success %g: want 0..1", g.MinSuccess)
	case g.MaxP99 < 0:
		return nil, fmt.Errorf("--max-p99 %s: want ≥ 0 (0: off)", g.MaxP99)
	case !g.On():
		return nil, nil
	}
	return &g, nil
}

// registerMinRate adds --min-rate, the floor of the load a valid run sends
// (attack.Options.MinRate), which attack, scenario and matrix share.
func registerMinRate(fs *pflag.FlagSet, p *float64) {
	*p = attack.DefaultMinRate
	fs.Var((*flagvalue.Ratio)(p), "min-rate", "the least share of the requests --rate asks for that a run must send, over the run and over each phase of a scenario: below it the run is INVALID, exit 2 (0: no floor)")
}
