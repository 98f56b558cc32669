package lab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	policyv1 "k8s.io/api/policy/v1"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Event kinds the lab puts on the timeline, as package result names them.
const (
	kindPod      = result.EventPod
	kindEndpoint = result.EventEndpoint
	kindAction   = result.EventAction
	kindRoute    = result.EventRoute
)

// DefaultPropagationDelay is how long an endpoint change takes to reach the proxies when
// Options says nothing: about what kube-proxy or an ingress controller takes.
const DefaultPropagationDelay = time.Second

// Options configure a Lab.
type Options struct {
	Hello            string        // path of the hello binary (`make build` makes bin/hello)
	PropagationDelay time.Duration // endpoint change to proxies; 0: DefaultPropagationDelay
	// IngressPoll, when set, models an ingress controller that polls the API (Skipper: every
	// 3 s) instead of following a watch: the ingress sees a change at its next poll, 0 to
	// IngressPoll after it, rather than PropagationDelay after it.
	IngressPoll time.Duration
	Logger      *slog.Logger // nil: discard
	LogDir      string       // where each pod's hello writes its log (<pod>.log); empty: nowhere
	// Seed seeds the lab's draws (draws.go): the ingress's poll phase at each Settle, each
	// pod's admission and sandbox delays. A fixed seed replays them; 0 draws a seed, so
	// that two labs, or two runs, are independent draws.
	Seed uint64
	// AutoscalerSync and MetricsResolution time a configuration's HorizontalPodAutoscaler
	// (hpa.go); 0: DefaultAutoscalerSync, DefaultMetricsResolution.
	AutoscalerSync, MetricsResolution time.Duration
	// Nodes is how many nodes the pods are spread over (nodes.go); 0: one.
	Nodes int
}

// Lab is the platform "lab": pods as hello processes on this machine; it implements
// scenario.Platform.
type Lab struct {
	opts    Options
	spawner *spawner
	service *service
	ingress *ingress
	tables  []*routeTable
	events  atomic.Pointer[result.Log]
	ctx     context.Context // cancelled by Close: every pod is killed at once
	cancel  context.CancelFunc
	kick    chan struct{} // wakes the controller, buffered 1
	wg      sync.WaitGroup
	once    sync.Once

	mu        sync.Mutex
	current   *replicaSet      // the generation of the current template; nil before Deploy
	sets      []*replicaSet    // oldest first; current is the last
	replicas  int32            // the Deployment's replicas
	gen       int              // rollout restarts of the current template
	published []endpoint       // ready endpoints as the EndpointSlice has them now
	seq       uint64           // of published
	changed   chan struct{}    // closed and replaced on every change, for waiters
	holes     map[string]*hole // by address: pods gone while a proxy still routes to them
	draws     drawSource       // every random draw of the model (not pod names or addresses)
	// The PodDisruptionBudget selecting the pods (nil: none) and its status as the
	// disruption controller last computed it, less the evictions since (nil: not yet).
	pdb        *policyv1.PodDisruptionBudget
	disruption *policyv1.PodDisruptionBudgetStatus
	hpa        *autoscaler     // the configuration's HorizontalPodAutoscaler; nil: none
	cordoned   map[string]bool // the nodes marked unschedulable
}

// New checks o and starts the two proxies, with no pod yet.
func New(o Options) (*Lab, error) {
	if !supported {
		return nil, errors.New("lab: the lab needs Linux or another Unix system (process groups, SIGTERM)")
	}
	if o.Hello == "" {
		return nil, errors.New("lab: no hello binary given (build it with `make build`: bin/hello)")
	}
	fi, err := os.Stat(o.Hello)
	if err != nil {
		return nil, fmt.Errorf("lab: hello binary: %w (build it with `make build`)", err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("lab: hello binary %s is not an executable file", o.Hello)
	}
	if o.PropagationDelay < 0 || o.IngressPoll < 0 {
		return nil, fmt.Errorf("lab: negative propagation delay %s or ingress poll %s", o.PropagationDelay, o.IngressPoll)
	}
	if o.PropagationDelay == 0 {
		o.PropagationDelay = DefaultPropagationDelay
	}
	if o.Nodes < 0 {
		return nil, fmt.Errorf("lab: %d nodes", o.Nodes)
	}
	o.Nodes = max(o.Nodes, 1)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LogDir != "" {
		if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("lab: log dir: %w", err)
		}
	}
	l := &Lab{opts: o, kick: make(chan struct{}, 1), changed: make(chan struct{}), holes: map[string]*hole{}, cordoned: map[string]bool{}, draws: newDrawSource(o.Seed)}
	o.Logger.Info("lab", "seed", l.draws.seed)
	l.ctx, l.cancel = context.WithCancel(context.Background())
	svcTable, inTable := newRouteTable(result.ViaService, o.PropagationDelay, 0), newRouteTable(result.ViaIngress, o.PropagationDelay, o.IngressPoll)
	l.tables = []*routeTable{svcTable, inTable}
	if l.service, err = newService(svcTable, o.Logger); err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	if l.ingress, err = newIngress(inTable, o.Logger); err != nil {
		l.service.close()
		return nil, fmt.Errorf("lab: %w", err)
	}
	l.spawner = newSpawner()
	l.wg.Go(l.control)
	return l, nil
}

// Seed is the seed of the lab's draws: Options.Seed, or the one drawn for it.
func (l *Lab) Seed() uint64 { return l.draws.seed }

// Name is the platform's name.
func (l *Lab) Name() string { return "lab" }

// Observe sends every later event to log as well as to the logger.
func (l *Lab) Observe(log *result.Log) { l.events.Store(log) }

// Target is the URL of the path's proxy.
func (l *Lab) Target(via string) (string, error) {
	switch via {
	case result.ViaService:
		return l.service.url(), nil
	case result.ViaIngress:
		return l.ingress.url(), nil
	}
	return "", fmt.Errorf("lab: unknown path %q (want %s or %s)", via, result.ViaService, result.ViaIngress)
}

// Deploy replaces whatever runs with cfg and waits until it has settled. The earlier
// configuration's pods are killed at once, not deleted gracefully: no load runs between
// two runs, and the next run must not wait for the last one's grace period.
func (l *Lab) Deploy(ctx context.Context, cfg *manifest.Config) error {
	spec, err := newSpec(cfg)
	if err != nil {
		return err
	}
	if err := checkAutoscaler(cfg); err != nil {
		return err
	}
	l.mu.Lock()
	l.current, l.pdb = nil, nil // no controller work until the new generation exists
	for _, rs := range l.sets {
		rs.replicas = 0
		for _, p := range rs.pods {
			p.cancel()
		}
	}
	l.mu.Unlock()
	if err := l.waitFor(ctx, func() (bool, string) {
		return len(l.podsLocked()) == 0, "the earlier configuration's pods are still running"
	}); err != nil {
		return err
	}
	l.mu.Lock()
	l.logger().Info("deploy", "spec", spec.describe())
	l.sets, l.gen, l.replicas = nil, 0, spec.replicas
	l.pdb, l.disruption = cfg.PDB, nil
	l.newReplicaSetLocked(spec, 0)
	l.startAutoscalerLocked(cfg)
	l.event(kindAction, "deploy "+spec.config, "kubectl apply -k "+cfg.Dir)
	l.changedLocked()
	l.mu.Unlock()
	return l.Settle(ctx)
}

// Scale sets the Deployment's replicas.
func (l *Lab) Scale(_ context.Context, replicas int32) error {
	if replicas < 0 {
		return fmt.Errorf("lab: negative replicas %d", replicas)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return errors.New("lab: scale: nothing deployed")
	}
	l.replicas = replicas
	l.event(kindAction, fmt.Sprintf("scale to %d", replicas), fmt.Sprintf("kubectl scale deployment/%s --replicas=%d", l.current.spec.deployment, replicas))
	l.changedLocked()
	return nil
}

// Restart starts a rollout restart: a new generation of the template.
func (l *Lab) Restart(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return errors.New("lab: restart: nothing deployed")
	}
	l.gen++
	rs := l.newReplicaSetLocked(l.current.spec, l.gen)
	l.event(kindAction, "rollout restart", fmt.Sprintf("kubectl rollout restart deployment/%s (new ReplicaSet %s)", rs.spec.deployment, rs.name))
	l.changedLocked()
	return nil
}

// DeletePod deletes the pod that has been ready longest (else the oldest), as `kubectl
// delete pod` would; its ReplicaSet replaces it at once.
func (l *Lab) DeletePod(context.Context) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var pick *pod
	for _, p := range l.podsLocked() {
		if p.terminating {
			continue
		}
		if pick == nil || deletionOrder(pick, p) < 0 {
			pick = p
		}
	}
	if pick == nil {
		return "", errors.New("lab: delete pod: no running pod")
	}
	l.record(result.Event{Kind: kindAction, Name: "delete pod " + pick.name, Detail: "kubectl delete pod " + pick.name, Pod: pick.name})
	pick.deleteLocked()
	return pick.name, nil
}

// Settle waits until the rollout is complete (every replica of the current template ready
// and no other pod left), no pod is terminating, and both proxies route to exactly the
// ready endpoints.
//
// Waiting for a polling ingress to catch up ends right after one of its polls, so every
// run would act at one phase of the poll: one draw for every trial. On a cluster nothing
// ties the moment a run finds the platform settled to Skipper's ticker, so once settled
// the lab draws the ingress's phase afresh: its next poll comes uniformly within one
// period (drawSource.pollPhase).
func (l *Lab) Settle(ctx context.Context) error {
	return l.waitFor(ctx, func() (bool, string) {
		ok, why := l.settledLocked()
		if ok {
			for _, t := range l.tables {
				if t.poll > 0 {
					t.rephaseLocked(l.draws.pollPhase(t.poll))
				}
			}
		}
		return ok, why
	})
}

// SettlesRoutes says whether Settle waits for via's proxy: it does for both of the lab's.
func (l *Lab) SettlesRoutes(via string) bool {
	return slices.ContainsFunc(l.tables, func(t *routeTable) bool { return t.path == via })
}

// Close kills every pod at once and stops the proxies and the holes.
func (l *Lab) Close() error {
	var err error
	l.once.Do(func() {
		l.cancel()
		l.wg.Wait()
		err = errors.Join(l.service.close(), l.ingress.close())
		l.mu.Lock()
		holes := l.holes
		l.holes = nil
		l.mu.Unlock()
		for _, h := range holes {
			h.close()
		}
		l.spawner.close()
	})
	return err
}

// waitFor waits until cond (called under l.mu) holds; its text says what is awaited.
func (l *Lab) waitFor(ctx context.Context, cond func() (bool, string)) error {
	for {
		l.mu.Lock()
		ok, why := cond()
		ch := l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("lab: %s: %w", why, ctx.Err())
		case <-l.ctx.Done():
			return errors.New("lab: closed")
		}
	}
}

// settledLocked says whether the lab has settled, and if not, why not.
func (l *Lab) settledLocked() (bool, string) {
	rs := l.current
	if rs == nil {
		return false, "nothing deployed"
	}
	var notReady []string
	for _, p := range l.podsLocked() {
		switch {
		case p.rs != rs:
			return false, "old pod " + p.name + " still running"
		case p.terminating:
			return false, p.name + " still terminating"
		case !p.readyLocked():
			notReady = append(notReady, p.name)
		}
	}
	if rs.replicas != l.replicas || int32(len(rs.pods)) != l.replicas {
		return false, fmt.Sprintf("%d of %d replicas created", len(rs.pods), l.replicas)
	}
	if len(notReady) > 0 {
		return false, "not ready: " + strings.Join(notReady, ", ")
	}
	if rs.available(time.Now()) != l.replicas {
		return false, "pods not available for minReadySeconds yet"
	}
	for _, t := range l.tables {
		if !slices.Equal(t.current(), l.published) {
			return false, "the " + t.path + " path has not caught up with the endpoints"
		}
	}
	return true, ""
}

// podsLocked lists every pod not yet gone.
func (l *Lab) podsLocked() []*pod {
	var out []*pod
	for _, rs := range l.sets {
		out = append(out, rs.pods...)
	}
	return out
}

// control is the controllers' loop: reconcile whenever something changed.
func (l *Lab) control() {
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-l.kick:
		}
		l.mu.Lock()
		l.reconcileLocked()
		l.syncDisruptionLocked()
		l.mu.Unlock()
	}
}

// event puts one transition on the timeline (when observed) and in the log.
func (l *Lab) event(kind, name, detail string) {
	l.record(result.Event{Kind: kind, Name: name, Detail: detail})
}

// podEvent is an event about one pod, named "<pod> <words>": step says what happened to
// it in the words every platform shares (result.Step*; "" for none of them).
func (l *Lab) podEvent(pod, step, kind, words, detail string) {
	l.record(result.Event{Kind: kind, Name: pod + " " + words, Detail: detail, Pod: pod, Step: step})
}

// record puts e, stamped now, on the timeline (when observed) and in the log; a mark
// (result.MarkRestart, MarkKill) is what the matrix counts it by.
func (l *Lab) record(e result.Event) {
	if log := l.events.Load(); log != nil {
		e.At = time.Since(log.Start())
		log.Put(e)
	}
	l.logger().Info(e.Name, "kind", e.Kind, "detail", e.Detail, "mark", e.Mark, "pod", e.Pod, "via", e.Via)
}

func (l *Lab) logger() *slog.Logger { return l.opts.Logger }
