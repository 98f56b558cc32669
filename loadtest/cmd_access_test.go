package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/client-go/kubernetes/scheme"
)

// A run on a running workload whose kubeconfig's user lacks a permission its scenario needs
// ends before it reads the workload or sends any load, with exit 2 and one line naming the
// verb and the resource. The API server here answers what connecting asks, and every
// SelfSubjectAccessReview but patch on deployments; anything else it is asked fails the test.
func TestScenarioChecksPermissionsFirst(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var other []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/apis/apps/v1/namespaces/shop/deployments":
			_, _ = w.Write([]byte(`{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[]}`))
		case r.Method == http.MethodGet && r.URL.Path == "/version":
			_, _ = w.Write([]byte(`{"major":"1","minor":"34","gitVersion":"v1.34.4"}`))
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/nodes":
			_, _ = w.Write([]byte(`{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[]}`))
		case r.Method == http.MethodPost && r.URL.Path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews":
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			obj, _, err := scheme.Codecs.UniversalDeserializer().Decode(body, nil, nil) // protobuf, as client-go sends it
			rev, ok := obj.(*authorizationv1.SelfSubjectAccessReview)
			if err != nil || !ok || rev.Spec.ResourceAttributes == nil {
				http.Error(w, fmt.Sprintf("not a review: %v", err), http.StatusBadRequest)
				return
			}
			ra := rev.Spec.ResourceAttributes
			rev.APIVersion, rev.Kind = "authorization.k8s.io/v1", "SelfSubjectAccessReview"
			rev.Status.Allowed = ra.Verb != "patch" || ra.Resource != "deployments"
			_ = json.NewEncoder(w).Encode(rev)
		default:
			mu.Lock()
			other = append(other, r.Method+" "+r.URL.Path)
			mu.Unlock()
			http.NotFound(w, r)
		}
	}))
	defer api.Close()
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "`+api.URL+`"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := cli(context.Background(), "scenario", "rollout-restart", "--platform", "kube", "--kubeconfig", kubeconfig,
		"--workload", "deployment/web", "--namespace", "shop", "--target", "service=http://127.0.0.1:1/", "--trials", "1",
		"--out", t.TempDir())
	want := "loadtest scenario: the kubeconfig's user may not patch deployments.apps in namespace shop (needed by rollout-restart)\n"
	if code != 2 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, stderr, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(other) > 0 {
		t.Errorf("asked the API server for %s before it failed", strings.Join(other, ", "))
	}
}
