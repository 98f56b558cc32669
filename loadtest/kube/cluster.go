// Package kube is the Platform "kube": a configuration run on a real Kubernetes cluster
// through client-go — the rendered overlay applied server-side, scaled through the scale
// subresource, restarted through the restartedAt annotation as kubectl does — with the
// cluster's own pod and EndpointSlice transitions put on the run's timeline, and, where
// they can be read, the proxies' own routes: Skipper's table and kube-proxy's rules
// (routes.go). It works against any kubeconfig context: kind, minikube, the bare cluster
// of clusters/bare.
//
// With Options.Workload it acts on a Deployment or StatefulSet that is already running
// instead (Adopt): nothing is applied or pruned, the scenarios change what runs, and the
// replica count found is put back before each scenario and when the Cluster closes.
//
// A matrix's lanes each get a Cluster in a namespace of their own (Lane, lanes.go).
//
// A Cluster's lock guards the current configuration and the stop channel of its watch;
// the observed log is an atomic pointer, so the watch's handlers never take the lock.
package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Options say which cluster, and how load reaches it.
type Options struct {
	Kubeconfig string // empty: KUBECONFIG, then ~/.kube/config
	Context    string // empty: the current context
	Namespace  string // empty: the context's namespace, else "default"
	// ServiceURL and IngressURL are where load goes for each path. When ServiceURL is
	// empty, the Service's NodePort on 127.0.0.1 is used (kind's port mapping, clusters/kind/kind.yaml).
	ServiceURL string
	IngressURL string
	// Targets are further paths, by name: any URL that reaches the pods.
	Targets map[string]string
	// Workload, "deployment/NAME" or "statefulset/NAME", is a running workload to act on
	// instead of applying configurations (see Adopt); Container names the container whose
	// probes and hooks are read (default: its first).
	Workload  string
	Container string
	// Out receives the equivalent kubectl command of every action, for the audience.
	Out io.Writer
	// IngressRoutes is the URL of the ingress controller's own routing table, Skipper's
	// support listener's /routes: while a run is observed, it is polled, and each pod the
	// table gains or loses is an event (skipper.go). Empty: no such events.
	IngressRoutes string
}

// Cluster is a connection to one namespace of one cluster; it implements scenario.Platform.
type Cluster struct {
	opts    Options
	ns      string
	version string // the API server's, e.g. v1.34.4
	about   string // what kind of cluster, and its nodes (About)
	host    string // the API server's URL
	cs      kubernetes.Interface
	dyn     dynamic.Interface

	log atomic.Pointer[result.Log]

	mu      sync.Mutex
	cfg     *manifest.Config
	stop    chan struct{} // stops the informers of the current configuration
	adopted *adoption     // what Adopt found; nil when configurations are applied
	renew   bool          // the next Deploy starts every pod anew (Renew)

	lane *lane // set when the Cluster is a lane of a matrix (Lane): fixed at creation

	ips      podIPs   // the pods' addresses, as the watch saw them: the proxies' routes name pods by them
	svcNames []string // the Services selecting the current configuration's pods (under mu)
	routes   routePollers
	settling settleTables // the proxies' tables Settle waits for (caughtup.go)
	sources  *sourceSet   // the proxies' tables as read, shared with the lanes (routes.go)
}

// New connects to the cluster named by o and checks that it answers and that this user may
// manage Deployments in the namespace: an unreachable cluster or a missing permission is
// one clear error.
func New(ctx context.Context, o Options) (*Cluster, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.Kubeconfig != "" {
		rules.ExplicitPath = o.Kubeconfig
	}
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.Context})
	rc, err := cc.ClientConfig()
	switch {
	case clientcmd.IsEmptyConfig(err):
		return nil, errors.New("no kubeconfig: give --kubeconfig, set KUBECONFIG or write ~/.kube/config (in a pod, its service account is used)")
	case err != nil:
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	ns := o.Namespace
	if ns == "" {
		if ns, _, err = cc.Namespace(); err != nil || ns == "" {
			ns = "default"
		}
	}
	rc.QPS, rc.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", rc.Host, err)
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("client for %s: %w", rc.Host, err)
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	c := &Cluster{opts: o, ns: ns, cs: cs, dyn: dyn, host: rc.Host, sources: &sourceSet{}}

	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
		return nil, fmt.Errorf("cluster at %s (namespace %s) does not answer or refuses: %w", rc.Host, ns, err)
	}
	if v, err := cs.Discovery().ServerVersion(); err == nil {
		c.version = v.GitVersion
	}
	if nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); err == nil {
		c.about = describe(nodes.Items)
	}
	return c, nil
}

// describe says what kind of cluster these nodes make, as their provider IDs tell: kind
// names itself and its engine there ("kind://podman/scalelab/scalelab-worker"), the bare
// cluster and minikube name none.
func describe(nodes []corev1.Node) string {
	n := fmt.Sprintf("%d nodes", len(nodes))
	if len(nodes) == 1 {
		n = "1 node"
	}
	if len(nodes) == 0 {
		return n
	}
	provider, rest, ok := strings.Cut(nodes[0].Spec.ProviderID, "://")
	if !ok {
		return n
	}
	if engine, _, _ := strings.Cut(rest, "/"); provider == "kind" && engine != "" {
		return fmt.Sprintf("kind on %s, %s", engine, n)
	}
	return provider + ", " + n
}

// Name is "kube".
func (c *Cluster) Name() string { return "kube" }

// Version is the API server's version, e.g. v1.34.4 ("" when it would not say).
func (c *Cluster) Version() string { return c.version }

// About says what kind of cluster this is and how many nodes it has, e.g. "kind on
// podman, 3 nodes" or "1 node" ("" when the nodes could not be listed).
func (c *Cluster) About() string { return c.about }

// Local says whether the cluster runs on this machine, as far as its API server's address
// tells: one on loopback (kind, minikube's container drivers, the bare cluster) does.
func (c *Cluster) Local() bool {
	u, err := url.Parse(c.host)
	if err != nil {
		return false
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

// Namespace is where the configuration runs.
func (c *Cluster) Namespace() string { return c.ns }

// Observe sends later events to log (nil: nowhere), and polls the proxies' own routes
// for events while it does (routes.go).
func (c *Cluster) Observe(log *result.Log) {
	c.log.Store(log)
	c.routes.stop()
	if log != nil {
		c.routes.start(c)
	}
}

// event puts one event on the observed log, if any.
func (c *Cluster) event(kind, name, detail string) {
	c.put(result.Event{Kind: kind, Name: name, Detail: detail})
}

// put puts an event that happens now on the observed log, if any.
func (c *Cluster) put(e result.Event) {
	if l := c.log.Load(); l != nil {
		e.At = time.Since(l.Start())
		l.Put(e)
	}
}

// putAt puts an event that happened at t on the observed log, if any and if t falls in it.
func (c *Cluster) putAt(t time.Time, e result.Event) {
	if l := c.log.Load(); l != nil && !t.Before(l.Start()) {
		e.At = t.Sub(l.Start())
		l.Put(e)
	}
}

// action is an event of the scenario's own doing, with the kubectl command that does the same.
func (c *Cluster) action(name, kubectl string) { c.podAction("", name, kubectl) }

// podAction is an action that takes one pod, as the lab words it: the event names the pod.
func (c *Cluster) podAction(pod, name, kubectl string) {
	fmt.Fprintf(c.opts.Out, "$ %s\n", kubectl)
	c.put(result.Event{Kind: result.EventAction, Name: name, Detail: kubectl, Pod: pod})
}

// Target is the URL that load through the given path goes to.
func (c *Cluster) Target(via string) (string, error) {
	if u, ok := c.opts.Targets[via]; ok {
		return u, nil
	}
	switch via {
	case "ingress":
		if c.opts.IngressURL == "" {
			return "", errors.New("no ingress URL: pass --ingress-url (for kind: make ingress-up prints it)")
		}
		return c.opts.IngressURL, nil
	case "service":
		if c.opts.ServiceURL != "" && c.lane == nil {
			return c.opts.ServiceURL, nil
		}
		return c.nodePortURL()
	case result.ViaClusterIP: // access.go
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.ClusterIPURL(ctx)
	}
	return "", fmt.Errorf("unknown path %q: want service, ingress, cluster-ip or a --target's name", via)
}

// nodePortURL is the Service's NodePort on loopback, where kind maps it (clusters/kind/kind.yaml).
func (c *Cluster) nodePortURL() (string, error) {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if cfg == nil || cfg.Service == nil {
		return "", errors.New("no Service of scalelab's deployed: pass --service-url or --target")
	}
	for _, p := range cfg.Service.Spec.Ports {
		if p.NodePort != 0 && c.lane != nil {
			return c.laneURL(p.NodePort), nil
		}
		if p.NodePort != 0 {
			return (&url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", fmt.Sprint(p.NodePort)), Path: "/"}).String(), nil
		}
	}
	return "", fmt.Errorf("service %s has no nodePort: pass --service-url (minikube: `minikube service %s --url`)",
		cfg.Service.Name, cfg.Service.Name)
}

// Close stops watching. What was deployed stays, as after `kubectl apply`; an adopted
// workload gets back the replica count it had; a lane's namespace is deleted.
func (c *Cluster) Close() error {
	c.routes.stop()
	c.mu.Lock()
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
	c.mu.Unlock()
	if c.lane != nil {
		return c.closeLane()
	}
	return c.restore()
}

// live is the current configuration's workload as the cluster has it now.
func (c *Cluster) live(ctx context.Context) (*manifest.Workload, error) {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if cfg == nil {
		return nil, errors.New("nothing deployed yet")
	}
	w := cfg.Owner()
	return c.get(ctx, w.Kind, w.Meta.Name)
}

// get reads a workload of the namespace by kind and name.
func (c *Cluster) get(ctx context.Context, kind, name string) (*manifest.Workload, error) {
	var obj any
	var err error
	switch kind {
	case manifest.KindDeployment:
		obj, err = c.cs.AppsV1().Deployments(c.ns).Get(ctx, name, metav1.GetOptions{})
	case manifest.KindStatefulSet:
		obj, err = c.cs.AppsV1().StatefulSets(c.ns).Get(ctx, name, metav1.GetOptions{})
	default:
		return nil, fmt.Errorf("%s %s: want a Deployment or a StatefulSet", kind, name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s in %s: %w", strings.ToLower(kind), name, c.ns, err)
	}
	return manifest.WorkloadOf(obj)
}
