package kube

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/restmapper"

	"scalelab/loadtest/manifest"
)

// FieldManager owns the fields scalelab applies, scales and patches.
const FieldManager = "scalelab"

// ManagedBy marks every object scalelab applies, so that switching configurations prunes
// what the previous one had and this one has not (a PodDisruptionBudget, an Ingress).
const ManagedBy = "app.kubernetes.io/managed-by"

// prunable are the kinds a configuration may bring or leave out.
var prunable = []schema.GroupVersionResource{
	{Group: "apps", Version: "v1", Resource: "deployments"},
	{Version: "v1", Resource: "services"},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets"},
	{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers"},
}

// Deploy applies cfg server-side, prunes what an earlier configuration left, and returns
// once the rollout is complete. A Deployment of another pod template is replaced, not
// rolled (fresh.go). For an
// adopted workload (Adopt) it applies nothing: it puts back the replica count found, and
// waits for the same.
func (c *Cluster) Deploy(ctx context.Context, cfg *manifest.Config) error {
	c.mu.Lock()
	if c.stop != nil {
		close(c.stop)
		c.stop = nil
	}
	c.cfg = cfg
	adopted := c.adopted != nil
	c.mu.Unlock()
	if adopted {
		if err := c.restore(); err != nil {
			return err
		}
	} else {
		if err := c.replaceChanged(ctx, cfg, c.renewing()); err != nil {
			return err
		}
		if err := c.apply(ctx, cfg); err != nil {
			return err
		}
	}
	if err := c.startWatching(ctx, cfg); err != nil {
		return err
	}
	return c.Settle(ctx)
}

// Update applies cfg over the running configuration of the same Deployment, as `kubectl
// apply` of an edited manifest does under load, and returns once it is applied: a changed
// pod template rolls out by the Deployment's strategy, and the watch goes on. A template
// whose pods never turn ready stalls that rollout; the old pods go on serving.
func (c *Cluster) Update(ctx context.Context, cfg *manifest.Config) error {
	c.mu.Lock()
	if c.adopted != nil {
		c.mu.Unlock()
		return fmt.Errorf("update %s: %w", cfg.Name, errAdopted)
	}
	was := c.cfg
	same := was != nil && was.Deployment.Name == cfg.Deployment.Name && was.Service.Name == cfg.Service.Name
	if same {
		c.cfg = cfg
	}
	c.mu.Unlock()
	if !same {
		return fmt.Errorf("update %s: not the running Deployment and Service (deploy it instead)", cfg.Name)
	}
	return c.apply(ctx, cfg)
}

// apply applies every object of cfg server-side and prunes what an earlier configuration
// left.
func (c *Cluster) apply(ctx context.Context, cfg *manifest.Config) error {
	c.action("apply "+cfg.Name, fmt.Sprintf("kubectl apply --server-side --field-manager=%s -n %s -k %s", FieldManager, c.ns, cfg.Dir))
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(c.cs.Discovery()))
	applied := map[string]bool{}
	for _, obj := range cfg.Objects {
		obj = obj.DeepCopy()
		gvk := obj.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
		}
		labels := obj.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[ManagedBy] = FieldManager
		obj.SetLabels(labels)
		if err := markTemplate(obj); err != nil {
			return fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err)
		}
		if err := c.inLane(obj); err != nil {
			return fmt.Errorf("apply %s %s in lane: %w", gvk.Kind, obj.GetName(), err)
		}
		res := c.dyn.Resource(m.Resource)
		var err2 error
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			obj.SetNamespace(c.ns)
			_, err2 = res.Namespace(c.ns).Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		} else {
			_, err2 = res.Apply(ctx, obj.GetName(), obj, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
		}
		if err2 != nil {
			return fmt.Errorf("apply %s %s: %w", gvk.Kind, obj.GetName(), err2)
		}
		applied[m.Resource.Resource+"/"+obj.GetName()] = true
	}
	return c.prune(ctx, applied)
}

// prune deletes the objects scalelab applied before that the current configuration lacks.
func (c *Cluster) prune(ctx context.Context, applied map[string]bool) error {
	sel := metav1.ListOptions{LabelSelector: ManagedBy + "=" + FieldManager}
	for _, gvr := range prunable {
		list, err := c.dyn.Resource(gvr).Namespace(c.ns).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("prune: list %s: %w", gvr.Resource, err)
		}
		for _, o := range list.Items {
			if applied[gvr.Resource+"/"+o.GetName()] {
				continue
			}
			c.action("prune "+gvr.Resource+"/"+o.GetName(), fmt.Sprintf("kubectl delete %s %s -n %s", gvr.Resource, o.GetName(), c.ns))
			if err := c.dyn.Resource(gvr).Namespace(c.ns).Delete(ctx, o.GetName(), metav1.DeleteOptions{}); err != nil {
				return fmt.Errorf("prune %s %s: %w", gvr.Resource, o.GetName(), err)
			}
		}
	}
	return nil
}
