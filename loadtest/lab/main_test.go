//go:build unix

package lab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/internal/testbin"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

var _ scenario.Platform = (*lab.Lab)(nil)

func TestMain(m *testing.M) {
	if os.Getenv(harnessEnv) != "" {
		os.Exit(harness())
	}
	os.Exit(testbin.Main(m))
}

// hello is the real hello, built once for the test process.
func hello(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, testbin.Hello)
}

// newLab starts a lab with a short propagation delay, closed at the test's end, with its
// events on the returned log.
func newLab(t *testing.T, delay time.Duration) (*lab.Lab, *result.Log) {
	t.Helper()
	return newLabWith(t, lab.Options{PropagationDelay: delay})
}

// newLabWith is newLab with options of the test's own; hello and the pods' log directory
// are the test's.
func newLabWith(t *testing.T, o lab.Options) (*lab.Lab, *result.Log) {
	t.Helper()
	o.Hello, o.LogDir = hello(t), t.TempDir()
	l, err := lab.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	log := result.NewLog(time.Now())
	l.Observe(log)
	return l, log
}

// config is a Deployment of hello with args, changed by each mod.
func config(name string, replicas int32, args []string, mods ...func(*appsv1.Deployment, *corev1.Container)) *manifest.Config {
	d := &appsv1.Deployment{}
	d.Name = "hello"
	d.Spec.Replicas = &replicas
	d.Spec.Template.Spec.Containers = []corev1.Container{{
		Name:  "hello",
		Args:  args,
		Env:   []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
	}}
	c := &d.Spec.Template.Spec.Containers[0]
	for _, m := range mods {
		m(d, c)
	}
	return &manifest.Config{Name: name, Dir: "k8s/test/" + name, Deployment: d, Container: c}
}

var intstrHTTP = intstr.FromString("http")

// httpProbe is an httpGet probe of path on the named port, every second.
func httpProbe(path string, initialDelay, failure int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("http")}},
		InitialDelaySeconds: initialDelay, PeriodSeconds: 1, FailureThreshold: failure,
	}
}

func withReadiness(_ *appsv1.Deployment, c *corev1.Container) {
	c.ReadinessProbe = httpProbe("/readyz", 0, 1)
}

func withGrace(seconds int64) func(*appsv1.Deployment, *corev1.Container) {
	return func(d *appsv1.Deployment, _ *corev1.Container) {
		d.Spec.Template.Spec.TerminationGracePeriodSeconds = &seconds
	}
}

func withStrategy(surge, unavailable int) func(*appsv1.Deployment, *corev1.Container) {
	return func(d *appsv1.Deployment, _ *corev1.Container) {
		s, u := intstr.FromInt(surge), intstr.FromInt(unavailable)
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &s, MaxUnavailable: &u}}
	}
}

func deploy(t *testing.T, l *lab.Lab, cfg *manifest.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testbin.Patience)
	defer cancel()
	if err := l.Deploy(ctx, cfg); err != nil {
		t.Fatal(err)
	}
}

func settle(t *testing.T, l *lab.Lab) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testbin.Patience)
	defer cancel()
	if err := l.Settle(ctx); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds, for at most testbin.Patience, and fails the test
// with what it waited for if it never does.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testbin.Patience)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", testbin.Patience, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitServes waits until the path answers 200 from a pod: hello listens behind it.
func waitServes(t *testing.T, l *lab.Lab, via string) {
	t.Helper()
	target, err := l.Target(via)
	if err != nil {
		t.Fatal(err)
	}
	client := newClient()
	client.Transport.(*http.Transport).DisableKeepAlives = true
	eventually(t, via+" answers 200 from a pod", func() bool {
		code, pod := get(client, target)
		return code == "200" && pod != ""
	})
}

// load sends GETs one after another to the path's target until stop is closed, and counts the answers: "200", "502", ... or "error".
type load struct {
	mu     sync.Mutex
	counts map[string]int
	pods   map[string]int  // answers by X-Pod; "" for none
	served map[string]bool // the pods that answered 200
	done   chan struct{}
}

// waitServed waits until n different pods have answered 200.
func (ld *load) waitServed(t *testing.T, n int) {
	t.Helper()
	eventually(t, fmt.Sprintf("answers from %d pods", n), func() bool {
		ld.mu.Lock()
		defer ld.mu.Unlock()
		return len(ld.served) >= n
	})
}

// waitOK waits until n more requests than now have been answered 200.
func (ld *load) waitOK(t *testing.T, n int) {
	t.Helper()
	ok := func() int {
		ld.mu.Lock()
		defer ld.mu.Unlock()
		return ld.counts["200"]
	}
	want := ok() + n
	eventually(t, fmt.Sprintf("%d more answers 200", n), func() bool { return ok() >= want })
}

func startLoad(t *testing.T, l *lab.Lab, via string, keepAlive bool, stop <-chan struct{}) *load {
	t.Helper()
	target, err := l.Target(via)
	if err != nil {
		t.Fatal(err)
	}
	ld := &load{counts: map[string]int{}, pods: map[string]int{}, served: map[string]bool{}, done: make(chan struct{})}
	client := newClient()
	client.Transport.(*http.Transport).DisableKeepAlives = !keepAlive
	t.Cleanup(client.CloseIdleConnections)
	go func() {
		defer close(ld.done)
		for i := 0; i < 100000; i++ { // bounded; the stop channel ends it long before
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			key, pod := get(client, target)
			ld.mu.Lock()
			ld.counts[key]++
			ld.pods[pod]++
			if key == "200" {
				ld.served[pod] = true
			}
			ld.mu.Unlock()
		}
	}()
	return ld
}

func newClient() *http.Client {
	return &http.Client{Timeout: testbin.Patience / 2, Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
}

func get(client *http.Client, target string) (key, pod string) {
	resp, err := client.Get(target)
	if err != nil {
		switch {
		case errors.Is(err, syscall.ECONNRESET):
			return "reset", ""
		case errors.Is(err, syscall.ECONNREFUSED):
			return "refused", ""
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return "eof", ""
		}
		return "error", ""
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return fmt.Sprint(resp.StatusCode), resp.Header.Get("X-Pod")
}

// result waits for the load to stop and returns its counts.
func (ld *load) result() (ok int, failed map[string]int) {
	<-ld.done
	failed = map[string]int{}
	for k, n := range ld.counts {
		if k == "200" {
			ok += n
		} else {
			failed[k] = n
		}
	}
	return ok, failed
}

// names lists the events of kind whose name contains sub.
func names(log *result.Log, kind, sub string) []result.Event {
	var out []result.Event
	for _, e := range log.Events() {
		if e.Kind == kind && strings.Contains(e.Name, sub) {
			out = append(out, e)
		}
	}
	return out
}

func dumpEvents(t *testing.T, log *result.Log) {
	t.Helper()
	for _, e := range log.Events() {
		t.Logf("%8s %-8s %s  %s", e.At.Round(time.Millisecond), e.Kind, e.Name, e.Detail)
	}
}
