package kube

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

var _ scenario.Evictor = (*Cluster)(nil)

// evictions makes the fake clientset answer evictions as the API server does: 429 while
// *refuse is above 0 (each refusal counting it down), else the pod deleted; the
// tracker's 404 for a pod that is not there. It returns the evictions asked for.
func evictions(cs *fake.Clientset, refuse *int) *[]string {
	var asked []string
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "eviction" {
			return false, nil, nil
		}
		ev := a.(k8stesting.CreateAction).GetObject().(*policyv1.Eviction)
		asked = append(asked, ev.Name)
		if *refuse > 0 {
			*refuse--
			err := apierrors.NewTooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", 0)
			err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{
				Type: policyv1.DisruptionBudgetCause, Message: "The disruption budget hello needs 2 healthy pods and has 2 currently"})
			return true, nil, err
		}
		return true, nil, cs.Tracker().Delete(corev1.SchemeGroupVersion.WithResource("pods"), ev.Namespace, ev.Name)
	})
	return &asked
}

func TestEvictAsksTheEvictionAPI(t *testing.T) {
	t.Parallel()
	older := pod("old", func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour)) })
	newer := pod("new", func(p *corev1.Pod) { p.CreationTimestamp = metav1.Now() })
	c, cs, out := fakeCluster(t, newer, older, pod("terminating", deleting))
	refuse := 1
	asked := evictions(cs, &refuse)
	log := result.NewLog(time.Now())
	c.Observe(log)
	ctx := context.Background()

	if pods, err := c.Evictable(ctx); err != nil || !slices.Equal(pods, []string{"old", "new"}) {
		t.Fatalf("evictable %q, %v; want old, new: those not terminating, oldest first", pods, err)
	}
	if ok, err := c.Evict(ctx, "old"); ok || err != nil {
		t.Fatalf("first eviction: %v, %v; want refused (429)", ok, err)
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "old", metav1.GetOptions{}); err != nil {
		t.Errorf("refused, yet pod old is gone: %v", err)
	}
	if ok, err := c.Evict(ctx, "old"); !ok || err != nil {
		t.Fatalf("second eviction: %v, %v; want evicted", ok, err)
	}
	if _, err := cs.CoreV1().Pods("default").Get(ctx, "old", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("evicted, yet pod old is still there: %v", err)
	}
	if ok, err := c.Evict(ctx, "old"); !ok || err != nil {
		t.Errorf("evicting a pod gone: %v, %v; want it counted as evicted (404)", ok, err)
	}
	if !slices.Equal(*asked, []string{"old", "old", "old"}) {
		t.Errorf("evictions asked for %q", *asked)
	}

	var got []string
	for _, e := range log.Events() {
		got = append(got, e.Name)
		if strings.HasSuffix(e.Name, "refused") && !strings.Contains(e.Detail, "429 TooManyRequests: Cannot evict pod as it would violate the pod's disruption budget. The disruption budget hello needs 2 healthy pods and has 2 currently") {
			t.Errorf("refusal detail %q", e.Detail)
		}
	}
	want := []string{"evict pod old", "evict pod old refused", "evict pod old", "evict pod old", "evict pod old: gone"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
	if s := out.String(); !strings.Contains(s, "# an eviction of pod old -n default (policy/v1), as kubectl drain asks for one\n") ||
		!strings.Contains(s, "# refused: 429 TooManyRequests: ") {
		t.Errorf("printed %q", s)
	}
}

// Another refusal than the budget's is an error, not a retry.
func TestEvictFailsOnOtherErrors(t *testing.T) {
	t.Parallel()
	c, cs, _ := fakeCluster(t, pod("a"))
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "a", nil)
	})
	if ok, err := c.Evict(context.Background(), "a"); ok || err == nil || !strings.Contains(err.Error(), "evict pod a") {
		t.Errorf("evict: %v, %v; want the error", ok, err)
	}
}
