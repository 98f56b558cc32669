package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8stesting "k8s.io/client-go/testing"

	"scalelab/loadtest/manifest"
)

// configWithTemplate is a configuration whose only object is the Deployment hello, its
// pod template running image.
func configWithTemplate(t *testing.T, image string) *manifest.Config {
	t.Helper()
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "hello"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"containers": []any{map[string]any{"name": "hello", "image": image}},
		}}},
	}}
	return &manifest.Config{Name: "test", Objects: []*unstructured.Unstructured{u}, Deployment: &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "hello"}}}
}

// graces are the grace periods the deletions of pods asked for, by pod.
func graces(cs *k8stesting.Fake) map[string]int64 {
	got := map[string]int64{}
	for _, a := range cs.Actions() {
		d, ok := a.(k8stesting.DeleteActionImpl)
		if !ok || d.GetResource().Resource != "pods" {
			continue
		}
		g := int64(-1)
		if d.DeleteOptions.GracePeriodSeconds != nil {
			g = *d.DeleteOptions.GracePeriodSeconds
		}
		got[d.Name] = g
	}
	return got
}

func TestReplaceChangedTemplate(t *testing.T) {
	t.Parallel()
	cfg := configWithTemplate(t, "hello:1")
	hash, err := templateHash(cfg.Objects[0])
	if err != nil || hash == "" {
		t.Fatalf("hash %q, %v", hash, err)
	}
	for _, tc := range []struct {
		name     string
		live     string // the live Deployment's TemplateAnnotation
		renew    bool   // Renew asked for
		replaced bool
	}{{"same template", hash, false, false}, {"another template", "0123", false, true}, {"applied before the hash", "", false, true},
		{"same template, renewed", hash, true, true}} {
		c, cs, _ := fakeCluster(t, pod("a"), pod("b"))
		d, _ := cs.AppsV1().Deployments("default").Get(t.Context(), "hello", metav1.GetOptions{})
		if tc.live != "" {
			d.Annotations = map[string]string{TemplateAnnotation: tc.live}
			cs.AppsV1().Deployments("default").Update(t.Context(), d, metav1.UpdateOptions{})
		}
		if tc.renew {
			c.Renew()
		}
		if err := c.replaceChanged(t.Context(), cfg, c.renewing()); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err := cs.AppsV1().Deployments("default").Get(t.Context(), "hello", metav1.GetOptions{})
		pods, _ := cs.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{})
		switch {
		case tc.replaced && (err == nil || len(pods.Items) != 0):
			t.Errorf("%s: Deployment still there (%v) or %d pods left; want both gone", tc.name, err, len(pods.Items))
		case tc.replaced && graces(&cs.Fake)["a"] != 1:
			t.Errorf("%s: pods deleted with %v, want a grace of 1 s", tc.name, graces(&cs.Fake))
		case !tc.replaced && (err != nil || len(pods.Items) != 2):
			t.Errorf("%s: Deployment %v, %d pods; want both left alone", tc.name, err, len(pods.Items))
		}
	}
}

func TestTemplateHashIgnoresKeyOrderNotContent(t *testing.T) {
	t.Parallel()
	a, b := configWithTemplate(t, "hello:1"), configWithTemplate(t, "hello:2")
	ha, _ := templateHash(a.Objects[0])
	again, _ := templateHash(a.Objects[0].DeepCopy())
	hb, _ := templateHash(b.Objects[0])
	if ha != again || ha == hb {
		t.Errorf("hashes %s, %s (same template) and %s (another image)", ha, again, hb)
	}
	if err := markTemplate(a.Objects[0]); err != nil || a.Objects[0].GetAnnotations()[TemplateAnnotation] != ha {
		t.Errorf("markTemplate: %v, annotations %v", err, a.Objects[0].GetAnnotations())
	}
	svc := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "hello"}}}
	if err := markTemplate(svc); err != nil || len(svc.GetAnnotations()) != 0 {
		t.Errorf("a Service marked: %v %v", err, svc.GetAnnotations())
	}
}
