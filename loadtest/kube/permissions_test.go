package kube

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	k8stesting "k8s.io/client-go/testing"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/scenario"
)

// rbacDir holds the Roles shipped for a pipeline.
const rbacDir = "../../clusters/rbac"

// grant is one verb on one resource in one role: "scalelab-workload apps deployments/scale update".
func grant(role, group, resource, verb string) string {
	return role + " " + group + " " + resource + " " + verb
}

// shipped reads the roles of clusters/rbac/: every rule of every Role and ClusterRole as
// grants, which of them are ClusterRoles, and the RoleBindings.
func shipped(t *testing.T) (grants map[string]bool, clusterRoles map[string]bool, bindings []*rbacv1.RoleBinding) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(rbacDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no YAML in %s: %v", rbacDir, err)
	}
	grants, clusterRoles = map[string]bool{}, map[string]bool{}
	add := func(role string, rules []rbacv1.PolicyRule) {
		for _, r := range rules {
			if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
				t.Errorf("%s: a rule with resourceNames or nonResourceURLs: %+v", role, r)
			}
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					for _, v := range r.Verbs {
						if g == "*" || res == "*" || v == "*" {
							t.Errorf("%s: a wildcard in %+v", role, r)
						}
						grants[grant(role, g, res, v)] = true
					}
				}
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if len(bytes.TrimSpace(doc)) == 0 {
				continue
			}
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			switch o := obj.(type) {
			case *rbacv1.Role:
				if o.Namespace != "" {
					t.Errorf("%s: Role %s names namespace %s: it is applied with -n", f, o.Name, o.Namespace)
				}
				add(o.Name, o.Rules)
			case *rbacv1.ClusterRole:
				clusterRoles[o.Name] = true
				add(o.Name, o.Rules)
			case *rbacv1.RoleBinding:
				bindings = append(bindings, o)
			}
		}
	}
	return grants, clusterRoles, bindings
}

// TestPermissionsMatchTheShippedRoles: the roles of clusters/rbac/ grant exactly what
// Permissions lists, each in the role it names, the cluster-scoped ones in a ClusterRole.
func TestPermissionsMatchTheShippedRoles(t *testing.T) {
	t.Parallel()
	grants, clusterRoles, bindings := shipped(t)
	want := map[string]bool{}
	for _, p := range Permissions {
		res := p.Resource
		if p.Subresource != "" {
			res += "/" + p.Subresource
		}
		g := grant(p.Role, p.Group, res, p.Verb)
		want[g] = true
		if !grants[g] {
			t.Errorf("Permissions lists %s (for %s), and clusters/rbac/ grants it nowhere: %q", p.words("NS"), strings.Join(p.For, ", "), g)
		}
		if p.Cluster != clusterRoles[p.Role] {
			t.Errorf("%s is cluster-scoped %v, and its role %s is a ClusterRole %v", p.words("NS"), p.Cluster, p.Role, clusterRoles[p.Role])
		}
	}
	for g := range grants {
		if !want[g] {
			t.Errorf("clusters/rbac/ grants %q, and Permissions lists nothing that needs it", g)
		}
	}
	// Each Role is bound to the ServiceAccount scalelab of the binding's own namespace.
	bound := map[string]bool{}
	for _, b := range bindings {
		if b.RoleRef.Kind != "Role" || len(b.Subjects) != 1 || b.Subjects[0].Kind != rbacv1.ServiceAccountKind ||
			b.Subjects[0].Name != "scalelab" || b.Subjects[0].Namespace != "" {
			t.Errorf("RoleBinding %s: want the Role bound to ServiceAccount scalelab of its namespace, got %+v %+v", b.Name, b.RoleRef, b.Subjects)
		}
		bound[b.RoleRef.Name] = true
	}
	for _, role := range []string{RoleWorkload, RoleFromCluster} {
		if !bound[role] {
			t.Errorf("no RoleBinding of %s in clusters/rbac/", role)
		}
	}
}

// TestEveryScenarioIsAccountedFor: a scenario that can run on a running workload names
// what it needs in Permissions; a new scenario cannot be forgotten there. stuck-rollout
// applies a configuration, which an adopted workload never is.
func TestEveryScenarioIsAccountedFor(t *testing.T) {
	t.Parallel()
	for _, s := range scenario.Scenarios() {
		if s.Name == "stuck-rollout" {
			continue
		}
		if !slices.ContainsFunc(Permissions, func(p Permission) bool { return slices.Contains(p.For, s.Name) }) {
			t.Errorf("scenario %s: no permission in Permissions is for it", s.Name)
		}
	}
}

// access makes the fake clientset answer SelfSubjectAccessReviews: allowed unless the
// review's verb and resource (with subresource: "pods/log") are in denied. It returns the
// reviews asked for, as "verb resource namespace name".
func access(cs *fake.Clientset, denied ...string) *[]string {
	var asked []string
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview).DeepCopy()
		ra := r.Spec.ResourceAttributes
		res := ra.Resource
		if ra.Group != "" {
			res += "." + ra.Group
		}
		if ra.Subresource != "" {
			res += "/" + ra.Subresource
		}
		asked = append(asked, strings.TrimSpace(ra.Verb+" "+res+" "+ra.Namespace+" "+ra.Name))
		r.Status.Allowed = !slices.Contains(denied, ra.Verb+" "+res)
		return true, r, nil
	})
	return &asked
}

func TestCheckAccessAllowed(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	asked := access(cs)
	var out bytes.Buffer
	c := &Cluster{cs: cs, ns: "shop", opts: Options{Workload: "deployment/web", Out: &out}}
	if err := c.CheckAccess(t.Context(), Use{Scenarios: []string{"rollout-restart", "scale-down"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"list deployments.apps shop", "list nodes", "get deployments.apps shop web", "list pods shop", "watch pods shop",
		"list endpointslices.discovery.k8s.io shop", "patch deployments.apps shop web",
		"get deployments.apps/scale shop web", "update deployments.apps/scale shop web", "get pods/log shop",
	} {
		if !slices.Contains(*asked, want) {
			t.Errorf("not asked: %q (asked %q)", want, *asked)
		}
	}
	for _, not := range []string{"delete pods shop", "create pods/eviction shop", "patch nodes", "create jobs.batch shop", "patch statefulsets.apps shop web"} {
		if slices.Contains(*asked, not) {
			t.Errorf("asked %q, which neither rollout-restart nor scale-down needs", not)
		}
	}
	if out.Len() > 0 {
		t.Errorf("said %q with every permission allowed", out.String())
	}
}

func TestCheckAccessDenied(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		workload string
		use      Use
		denied   []string
		want     []string // the error's lines
		said     string   // on Out
	}{
		{"a verb", "deployment/web", Use{Scenarios: []string{"rollout-restart"}}, []string{"patch deployments.apps"},
			[]string{"the kubeconfig's user may not patch deployments.apps in namespace shop (needed by rollout-restart)"}, ""},
		{"a subresource", "statefulset/db", Use{Scenarios: []string{"scale-up", "scale-down"}}, []string{"update statefulsets.apps/scale"},
			[]string{"the kubeconfig's user may not update statefulsets.apps/scale in namespace shop (needed by scale-up, scale-down)"}, ""},
		{"the watch and drain", "deployment/web", Use{Scenarios: []string{"evict", "drain"}},
			[]string{"watch pods", "patch nodes", "create pods/eviction"},
			[]string{
				"the kubeconfig's user may not watch pods in namespace shop (needed by the workload)",
				"the kubeconfig's user may not create pods/eviction in namespace shop (needed by evict, drain)",
				"the kubeconfig's user may not patch nodes (needed by drain)",
			}, ""},
		{"--from cluster", "deployment/web", Use{Scenarios: []string{"delete-pod"}, FromCluster: true}, []string{"create jobs.batch", "get pods/log"},
			[]string{ // the attackers' results come through their logs: optional for the watch, not for them
				"the kubeconfig's user may not create jobs.batch in namespace shop (needed by --from cluster)",
				"the kubeconfig's user may not get pods/log in namespace shop (needed by --from cluster)",
			},
			"# the kubeconfig's user may not get pods/log in namespace shop: hello's own log lines"},
		{"only what a run can do without", "deployment/web", Use{Scenarios: []string{"delete-pod"}}, []string{"list nodes", "patch nodes"},
			nil, "# the kubeconfig's user may not list nodes: the report does not say how many nodes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cs := fake.NewClientset()
			access(cs, tt.denied...)
			var out bytes.Buffer
			c := &Cluster{cs: cs, ns: "shop", opts: Options{Workload: tt.workload, Out: &out}}
			err := c.CheckAccess(t.Context(), tt.use)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			slices.Sort(got)
			slices.Sort(tt.want)
			if !slices.Equal(got, tt.want) {
				t.Errorf("error lines\n%q\nwant\n%q", got, tt.want)
			}
			if !strings.Contains(out.String(), tt.said) || (tt.said == "" && out.Len() > 0) {
				t.Errorf("said %q, want %q", out.String(), tt.said)
			}
		})
	}
}

func TestCheckAccessCannotAsk(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset()
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("the server could not find the requested resource")
	})
	c := &Cluster{cs: cs, ns: "shop", opts: Options{Workload: "deployment/web", Out: io.Discard}}
	err := c.CheckAccess(t.Context(), Use{Scenarios: []string{"rollout-restart"}})
	if err == nil || !strings.Contains(err.Error(), "ask the API server whether the kubeconfig's user may list deployments.apps in namespace shop") {
		t.Errorf("got %v, want the question that could not be asked", err)
	}
}

func TestNeedsByKind(t *testing.T) {
	t.Parallel()
	for _, p := range Needs(manifest.KindStatefulSet, Use{Scenarios: []string{"rollout-restart"}}) {
		if p.Resource == "deployments" && p.Verb != "list" {
			t.Errorf("a statefulset's run needs %s", p.words("shop"))
		}
	}
}
