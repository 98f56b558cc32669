package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/manifest"
)

// What a run on a running workload (Options.Workload) asks of the API server, verb by
// resource, in one place: CheckAccess asks the API server for each of them before any
// load, and permissions_test.go compares them with the Roles shipped in clusters/rbac/, so
// that the two cannot drift. A client-go call added to this package or to fromcluster is
// one more line here, and one more rule there.
//
// Runs that apply configurations (no --workload) are not covered: they apply whatever
// the configuration holds, prune, and make a namespace per lane.

// Permission is one verb on one resource that a run may need.
type Permission struct {
	Verb, Group, Resource, Subresource string
	Cluster                            bool     // cluster-scoped (nodes): granted by a ClusterRole
	Kind                               string   // when set, only for a workload of this kind (manifest.Kind*)
	Named                              bool     // on the workload itself: asked with its name, so a Role may narrow it by resourceNames
	Role                               string   // the Role or ClusterRole of clusters/rbac/ that grants it
	For                                []string // what needs it: a scenario's name, or ForConnecting, ForWorkload, ForFromCluster
	// Optional, when set, is what a run lacks without it: the run goes on and says so.
	// Empty: the run cannot do without it.
	Optional string
}

// The shipped roles (clusters/rbac/), by name.
const (
	RoleWorkload    = "scalelab-workload"     // workload.yaml: the scenarios on a running workload
	RoleNodes       = "scalelab-nodes"        // nodes.yaml, a ClusterRole: drain's cordon
	RoleFromCluster = "scalelab-from-cluster" // from-cluster.yaml: --from cluster's attacker pods
)

// What needs a permission besides the scenarios, by their names.
const (
	ForConnecting  = "connecting"     // New
	ForWorkload    = "the workload"   // Adopt, the watch, Settle, the replicas put back
	ForFromCluster = "--from cluster" // fromcluster: the Job, its pods, their logs
)

// Permissions is everything a run on a running workload may ask of the API server.
var Permissions = slices.Concat(
	[]Permission{
		// New: the cluster answers and the namespace's workloads may be read.
		{Verb: "list", Group: "apps", Resource: "deployments", Role: RoleWorkload, For: []string{ForConnecting}},
		{Verb: "list", Resource: "nodes", Cluster: true, Role: RoleNodes, For: []string{ForConnecting},
			Optional: "the report does not say how many nodes the cluster has"},
		// Adopt and the watch: the Services that select the pods, the pods, their EndpointSlices.
		{Verb: "list", Resource: "services", Role: RoleWorkload, For: []string{ForWorkload}},
		{Verb: "list", Resource: "pods", Role: RoleWorkload, For: []string{ForWorkload}},
		{Verb: "watch", Resource: "pods", Role: RoleWorkload, For: []string{ForWorkload}},
		{Verb: "list", Group: "discovery.k8s.io", Resource: "endpointslices", Role: RoleWorkload, For: []string{ForWorkload}},
		{Verb: "watch", Group: "discovery.k8s.io", Resource: "endpointslices", Role: RoleWorkload, For: []string{ForWorkload}},
		{Verb: "get", Resource: "pods", Subresource: "log", Role: RoleWorkload, For: []string{ForWorkload},
			Optional: "hello's own log lines (listening, SIGTERM) stay off the timeline (podlogs.go)"},
		// The scenarios' actions.
		{Verb: "delete", Resource: "pods", Role: RoleWorkload, For: []string{"delete-pod"}},
		{Verb: "create", Resource: "pods", Subresource: "eviction", Role: RoleWorkload, For: []string{"evict", "drain"}},
		{Verb: "patch", Resource: "nodes", Cluster: true, Role: RoleNodes, For: []string{"drain"}},
		{Verb: "get", Group: "autoscaling", Resource: "horizontalpodautoscalers", Role: RoleWorkload, For: []string{"autoscale"}},
		// --from cluster: a Job of attacker pods, followed, their logs streamed, deleted at
		// the end; they aim at the Service's ClusterIP.
		{Verb: "create", Group: "batch", Resource: "jobs", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "delete", Group: "batch", Resource: "jobs", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "list", Resource: "pods", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "watch", Resource: "pods", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "delete", Resource: "pods", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "deletecollection", Resource: "pods", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "get", Resource: "pods", Subresource: "log", Role: RoleFromCluster, For: []string{ForFromCluster}},
		{Verb: "get", Resource: "services", Role: RoleFromCluster, For: []string{ForFromCluster}},
	},
	workloadPermissions("deployments", manifest.KindDeployment),
	workloadPermissions("statefulsets", manifest.KindStatefulSet),
)

// workloadPermissions are what a run does to the workload itself, of one kind: read it
// (Adopt, Settle; --from cluster's Job is owned by it), scale it through the scale
// subresource (and put its replicas back), restart it as kubectl does (a patch).
func workloadPermissions(resource, kind string) []Permission {
	p := func(verb, sub string, uses ...string) Permission {
		return Permission{Verb: verb, Group: "apps", Resource: resource, Subresource: sub, Kind: kind, Named: true,
			Role: RoleWorkload, For: uses}
	}
	return []Permission{
		p("get", "", ForWorkload, ForFromCluster),
		p("get", "scale", "scale-up", "scale-down"),
		p("update", "scale", "scale-up", "scale-down"),
		p("patch", "", "rollout-restart"),
	}
}

// Use is what a run on a running workload does, as far as its permissions go.
type Use struct {
	Scenarios   []string // their names
	FromCluster bool     // --from cluster
}

// uses are the names of what the run needs permissions for.
func (u Use) uses() []string {
	out := append([]string{ForConnecting, ForWorkload}, u.Scenarios...)
	if u.FromCluster {
		out = append(out, ForFromCluster)
	}
	return out
}

// Needs are the permissions a run of u on a workload of kind needs, each with For cut to
// what of this run needs it.
func Needs(kind string, u Use) []Permission {
	uses := u.uses()
	var out []Permission
	for _, p := range Permissions {
		if p.Kind != "" && p.Kind != kind {
			continue
		}
		var by []string
		for _, f := range p.For {
			if slices.Contains(uses, f) {
				by = append(by, f)
			}
		}
		if len(by) > 0 {
			p.For = by
			out = append(out, p)
		}
	}
	return out
}

// resource is the resource as kubectl names it, with its subresource: "deployments.apps/scale", "pods/log".
func (p Permission) resource() string {
	r := p.Resource
	if p.Group != "" {
		r += "." + p.Group
	}
	if p.Subresource != "" {
		r += "/" + p.Subresource
	}
	return r
}

// words say the permission in namespace ns: "patch deployments.apps in namespace shop",
// "patch nodes" (nodes are in none).
func (p Permission) words(ns string) string {
	w := p.Verb + " " + p.resource()
	if p.Cluster {
		return w
	}
	return w + " in namespace " + ns
}

// CheckAccess asks the API server (SelfSubjectAccessReview, authorization.k8s.io/v1)
// whether the kubeconfig's user may do everything u needs of the workload Options.Workload
// names, and returns an error with one line per permission it lacks, naming the verb, the
// resource and what needs it. A missing permission that a run can do without is said on
// Options.Out, and the run goes on. Every user may ask: Kubernetes grants
// SelfSubjectAccessReviews to every authenticated user (system:basic-user).
func (c *Cluster) CheckAccess(ctx context.Context, u Use) error {
	kind, name, err := kindName(c.opts.Workload)
	if err != nil {
		return err
	}
	var missing []string
	for _, p := range Needs(kind, u) {
		ra := &authorizationv1.ResourceAttributes{Verb: p.Verb, Group: p.Group, Resource: p.Resource, Subresource: p.Subresource}
		if !p.Cluster {
			ra.Namespace = c.ns
		}
		if p.Named {
			ra.Name = name
		}
		r, err := c.cs.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx,
			&authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: ra}},
			metav1.CreateOptions{})
		switch {
		case err != nil:
			return fmt.Errorf("ask the API server whether the kubeconfig's user may %s: %w", p.words(c.ns), err)
		case r.Status.Allowed:
		case p.Optional != "":
			fmt.Fprintf(c.opts.Out, "# the kubeconfig's user may not %s: %s\n", p.words(c.ns), p.Optional)
		default:
			missing = append(missing, fmt.Sprintf("the kubeconfig's user may not %s (needed by %s)",
				p.words(c.ns), strings.Join(p.For, ", ")))
		}
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, "\n"))
	}
	return nil
}
