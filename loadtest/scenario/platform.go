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

// Capability is something a scenario needs of a platform beyond Platform.
type Capability string

// The capabilities there are, each an interface a platform may implement.
const (
	CanUpdate Capability = "apply an edited configuration under load" // Updater
)

// Supports says whether p can do what c names ("" is anything Platform does).
func Supports(p Platform, c Capability) bool {
	switch c {
	case "":
		return true
	case CanUpdate:
		_, ok := p.(Updater)
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
