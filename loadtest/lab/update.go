package lab

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"

	"scalelab/loadtest/manifest"
)

// Update rolls the running Deployment to cfg's pod template, as `kubectl apply` of an
// edited manifest does under load: a new ReplicaSet, rolled out within maxSurge and
// maxUnavailable, the old pods deleted gracefully only as new ones turn available. Unlike
// Deploy it returns at once: a template whose pods never turn ready stalls the rollout,
// and the old pods go on serving. The same template again changes only the replicas.
func (l *Lab) Update(_ context.Context, cfg *manifest.Config) error {
	spec, err := newSpec(cfg)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return errors.New("lab: update: nothing deployed")
	}
	if was := l.current.spec.deployment; spec.deployment != was {
		return fmt.Errorf("lab: update: Deployment %s is not the running %s (deploy it instead)", spec.deployment, was)
	}
	l.replicas = spec.replicas
	if !equality.Semantic.DeepEqual(l.pdb, cfg.PDB) {
		l.pdb, l.disruption = cfg.PDB, nil // a new generation, not yet observed by the controller
	}
	l.event(kindAction, "apply "+spec.config, "kubectl apply -k "+cfg.Dir)
	if spec.fingerprint != l.current.spec.fingerprint {
		l.gen++ // a name of its own, even for a template seen before
		l.newReplicaSetLocked(spec, l.gen)
	}
	l.changedLocked()
	return nil
}
