package scenario

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Platform runs the pods of one configuration and changes them the way Kubernetes does.
// lab.Lab (local processes) and kube.Cluster (client-go) implement it.
//
// What only some scenarios need is an interface of its own, though both platforms
// implement it: Updater, Evictor, Drainer (an Evictor that cordons nodes) and Autoscaled.
// A scenario names it in Needs and Run checks it with Supports before it deploys, so that
// a platform without it is refused with the capability named; EvictAll and Drain take
// only the interface they use. The tests' stand-ins implement only what they exercise:
// evict_test.go's budget is an Evictor and no Platform, drain_test.go's nodes a Drainer,
// autoscale_test.go's hpaStandIn a Platform and Autoscaled, trials_test.go's flaky a
// Platform alone; folded into Platform, each would carry methods that do nothing. What
// only one platform does stays apart too: VirtualHoster, Renewer and OwnSourcer
// (kube.Cluster), Upstreamer (lab.Lab).
type Platform interface {
	// Name is "lab" or "kube".
	Name() string
	// Deploy makes cfg the running configuration (replacing any earlier one) and
	// returns once the rollout is complete: every replica ready, as Kubernetes judges it,
	// and no pod terminating. (Ready is not serving: see warmUp.)
	Deploy(ctx context.Context, cfg *manifest.Config) error
	// Observe sends every later pod, endpoint and action event to log (nil: nowhere).
	Observe(log *result.Log)
	// Target is the URL that load through the given path goes to.
	Target(via string) (string, error)
	// Scale sets the number of replicas and returns once the change is requested.
	Scale(ctx context.Context, replicas int32) error
	// Restart starts a rollout restart and returns once it is requested.
	Restart(ctx context.Context) error
	// DeletePod deletes one running pod, as `kubectl delete pod` does, names it, and puts
	// the action on the timeline with the pod it took (result.Event.Pod).
	DeletePod(ctx context.Context) (string, error)
	// Pods maps each of the workload's pods not terminating to whether it is ready now:
	// what a scenario's Effect replays its pod events from.
	Pods(ctx context.Context) (map[string]bool, error)
	// Settle returns once the rollout is complete and no pod is terminating.
	Settle(ctx context.Context) error
	// SettlesRoutes says whether Settle also waits until the proxy of via routes to
	// exactly the ready pods (lab.Lab for both its paths; kube.Cluster where it reads
	// Skipper's routes or kube-proxy's rules): once it has settled, the last change has
	// reached that path. A platform that cannot read that proxy says false.
	SettlesRoutes(via string) bool
	// Close stops everything the platform started.
	Close() error
}

// VirtualHoster is a Platform whose path may reach the pods through a proxy it shares with
// others (kube.Cluster in a lane of its own: one ingress controller, a host per lane).
type VirtualHoster interface {
	// VirtualHost is the Host header that load through via must carry ("" for none).
	VirtualHost(via string) string
}

// header is h with the platform's virtual host for via, if it has one.
func header(p Platform, via string, h http.Header) http.Header {
	vh, ok := p.(VirtualHoster)
	if !ok || vh.VirtualHost(via) == "" {
		return h
	}
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Host", vh.VirtualHost(via))
	return h
}

// Capability is something a scenario needs of a platform beyond Platform.
type Capability string

// The capabilities there are, each an interface a platform may implement.
const (
	CanUpdate Capability = "apply an edited configuration under load" // Updater
	CanEvict  Capability = "evict pods through the Eviction API"      // Evictor
	// CanAutoscale is running the configuration's HorizontalPodAutoscaler: Autoscaled.
	CanAutoscale Capability = "run a HorizontalPodAutoscaler"
	CanDrain     Capability = "cordon the nodes the pods run on" // Drainer
)

// Shared says whether what c names changes what every lane on a cluster shares (a node's
// schedulability): a matrix with a scenario that needs it runs one lane at a time there.
func (c Capability) Shared() bool { return c == CanDrain }

// Supports says whether p can do what c names ("" is anything Platform does).
func Supports(p Platform, c Capability) bool {
	switch c {
	case "":
		return true
	case CanUpdate:
		_, ok := p.(Updater)
		return ok
	case CanEvict:
		_, ok := p.(Evictor)
		return ok
	case CanAutoscale:
		_, ok := p.(Autoscaled)
		return ok
	case CanDrain:
		_, ok := p.(Drainer)
		return ok
	}
	return false
}

// Updater is a Platform that can apply an edited configuration of the running Deployment
// under load, as `kubectl apply` does, without waiting for the rollout (lab.Lab and
// kube.Cluster are).
type Updater interface {
	Update(ctx context.Context, cfg *manifest.Config) error
}

// Evictor is a Platform that evicts pods through the Eviction API (policy/v1), as `kubectl
// drain` does: the API server deletes a pod gracefully only when its PodDisruptionBudget
// allows one more disruption now, and answers 429 TooManyRequests otherwise (lab.Lab and
// kube.Cluster are).
type Evictor interface {
	// Evictable names the workload's pods an eviction may take now: those not terminating.
	Evictable(ctx context.Context) ([]string, error)
	// Evict asks for the eviction of pod and puts the request and a refusal on the
	// timeline. It reports false when the budget allows no disruption now (429): ask
	// again later. A pod already gone counts as evicted, as kubectl drain counts it.
	Evict(ctx context.Context, pod string) (bool, error)
}

// Autoscaled is a Platform that runs a configuration's HorizontalPodAutoscaler
// (autoscaling/v2, manifest.Config.Autoscaler) with it: Deploy puts it in place with the
// workload, its controller then scales the workload by the pods' CPU utilisation, and each
// of its readings goes on the timeline as a result.EventAutoscaler (name: the HPA's; detail:
// "cpu 85% of 50%, 2 → 4 replicas"). lab.Lab is one.
type Autoscaled interface {
	// Autoscaling reads the HPA's status as its controller last wrote it:
	// status.currentReplicas and status.desiredReplicas, both 0 before its first sync; an
	// error when the running configuration has no HPA.
	Autoscaling(ctx context.Context) (current, desired int32, err error)
}

// EvictRetry is how long `kubectl drain` waits before it asks again for an eviction the
// budget refused (k8s.io/kubectl/pkg/drain, evictPods: 5 s, whatever Retry-After says).
const EvictRetry = 5 * time.Second

// EvictAll evicts every pod e has now as `kubectl drain` evicts those of a node: each in a
// goroutine of its own, all at once, each asked again every EvictRetry while the budget
// refuses it, until every one is evicted. kubectl waits for ever by default (--timeout 0);
// EvictAll gives up after timeout, with an error naming the pods the budget kept.
// Replacements created meanwhile are not evicted: kubectl lists the node's pods once.
func EvictAll(ctx context.Context, e Evictor, timeout time.Duration) error {
	pods, err := e.Evictable(ctx)
	if err != nil {
		return err
	}
	return evictPods(ctx, e, pods, timeout)
}

// evictPods evicts pods as EvictAll does.
func evictPods(ctx context.Context, e Evictor, pods []string, timeout time.Duration) error {
	if len(pods) == 0 {
		return errors.New("evict: no pod to evict")
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, pod := range pods {
		wg.Go(func() { errs[i] = evict(ctx, e, pod, timeout) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// evict asks for one pod's eviction until it is evicted or ctx ends.
func evict(ctx context.Context, e Evictor, pod string, timeout time.Duration) error {
	for {
		ok, err := e.Evict(ctx, pod)
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		}
		t := time.NewTimer(EvictRetry)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("evict pod %s: the PodDisruptionBudget allowed it no disruption in %s: %w", pod, timeout, ctx.Err())
		}
	}
}
