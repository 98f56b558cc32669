package scenario

import (
	"context"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Platform runs the pods of one configuration and changes them the way Kubernetes does.
// lab.Lab (local processes) and kube.Cluster (client-go) implement it.
type Platform interface {
	// Name is "local" or "kube".
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
	// DeletePod deletes one running pod, as `kubectl delete pod` does, and names it.
	DeletePod(ctx context.Context) (string, error)
	// Settle returns once the rollout is complete and no pod is terminating.
	Settle(ctx context.Context) error
	// Close stops everything the platform started.
	Close() error
}
