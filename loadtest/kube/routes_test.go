package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/internal/testbin"
	"scalelab/loadtest/result"
)

// The testdata are captured from the bare cluster (k8s/bare) during a naive scale-down in
// lane namespace scalelab-lane-cj74k: Skipper's /routes as JSON with three pods behind
// the lane's Ingress (an "lb" backend) and with one left (a "network" backend), and
// `iptables-save -t nat` with three and with one endpoint of Service hello.
const capturedLane = "scalelab-lane-cj74k"

func readSkipperFile(t *testing.T, name string) []skipperRoute {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var routes []skipperRoute
	if err := json.Unmarshal(b, &routes); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return routes
}

func set(addrs ...string) map[string]bool {
	m := map[string]bool{}
	for _, a := range addrs {
		m[a] = true
	}
	return m
}

func TestSkipperEndpoints(t *testing.T) {
	t.Parallel()
	lb, network := readSkipperFile(t, "skipper-routes-lb.json"), readSkipperFile(t, "skipper-routes-network.json")
	not3 := func(addr string) bool { return addr != "10.244.0.3:8080" }
	tests := []struct {
		name   string
		routes []skipperRoute
		ns     string
		keep   func(string) bool
		want   map[string]bool
	}{
		{"lb backend", lb, capturedLane, nil, set("10.244.0.2:8080", "10.244.0.3:8080", "10.244.0.4:8080")},
		{"network backend", network, capturedLane, nil, set("10.244.0.4:8080")},
		{"another namespace", lb, "scalelab-lane-x", nil, set()},
		{"a prefix of the namespace", lb, "scalelab-lane", nil, set()},
		{"only the pods kept", lb, capturedLane, not3, set("10.244.0.2:8080", "10.244.0.4:8080")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := skipperEndpoints(tt.routes, skipperPrefix(tt.ns), tt.keep); !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tt.want)))
			}
		})
	}
}

func readNAT(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKubeProxyEndpoints(t *testing.T) {
	t.Parallel()
	three, one := readNAT(t, "iptables-nat-3.txt"), readNAT(t, "iptables-nat-1.txt")
	tests := []struct {
		name     string
		rules    string
		ns       string
		services []string
		want     map[string]bool
	}{
		{"three endpoints", three, capturedLane, []string{"hello"}, set("10.244.0.4:8080", "10.244.0.5:8080", "10.244.0.6:8080")},
		{"one left", one, capturedLane, []string{"hello"}, set("10.244.0.4:8080")},
		{"another service", three, capturedLane, []string{"hello2"}, set()},
		{"another namespace", three, "default", []string{"hello"}, set()},
		{"no services", three, capturedLane, nil, set()},
		{"the API server's", three, "default", []string{"kubernetes"}, set("192.0.2.2:6443")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kubeProxyEndpoints(tt.rules, tt.ns, tt.services); !maps.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(tt.want)))
			}
		})
	}
}

func TestRuleFields(t *testing.T) {
	t.Parallel()
	line := `-A KUBE-SVC-N24YK4PGYSN6ACNH -m comment --comment "scalelab-lane-cj74k/hello:http -> 10.244.0.4:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-TDLQCTJJEAAVEGAF`
	f := ruleFields(line)
	if got, want := flag(f, "--comment"), "scalelab-lane-cj74k/hello:http -> 10.244.0.4:8080"; got != want {
		t.Errorf("comment %q, want %q", got, want)
	}
	if got, want := flag(f, "-j"), "KUBE-SEP-TDLQCTJJEAAVEGAF"; got != want {
		t.Errorf("-j %q, want %q", got, want)
	}
	if got := ruleFields(`-A X -m comment --comment "a \"b\" c" -j Y`); !slices.Equal(got, []string{"-A", "X", "-m", "comment", "--comment", `a "b" c`, "-j", "Y"}) {
		t.Errorf("escaped quotes: %q", got)
	}
}

// pollRoutes turns the captured rules, read in turn, into route events named by the pods
// the watch saw: two of three pods leave kube-proxy's rules.
func TestPollRoutesEvents(t *testing.T) {
	t.Parallel()
	readings := []map[string]bool{
		kubeProxyEndpoints(readNAT(t, "iptables-nat-3.txt"), capturedLane, []string{"hello"}),
		kubeProxyEndpoints(readNAT(t, "iptables-nat-3.txt"), capturedLane, []string{"hello"}),
		kubeProxyEndpoints(readNAT(t, "iptables-nat-1.txt"), capturedLane, []string{"hello"}),
	}
	c := &Cluster{}
	for i, ip := range []string{"10.244.0.4", "10.244.0.5"} { // 10.244.0.6: a pod the watch did not see
		c.ips.learn(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("hello-%d", i)}, Status: corev1.PodStatus{PodIP: ip}})
	}
	log := result.NewLog(time.Now())
	c.log.Store(log)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.pollRoutes(ctx, routeTable{via: result.ViaService, every: time.Millisecond, read: func(context.Context) (reading, error) {
			if n == len(readings) {
				cancel()
				return reading{}, ctx.Err()
			}
			n++
			return reading{addrs: readings[n-1], sent: time.Now(), got: time.Now()}, nil
		}})
	}()
	<-done
	var got []string
	for _, e := range log.Events() {
		if e.Kind != result.EventRoute || e.Via != result.ViaService || e.Step != result.StepUnrouted {
			t.Errorf("event %+v: want an unrouting of the service path", e)
		}
		got = append(got, e.Pod+"|"+e.Name)
	}
	slices.Sort(got)
	want := []string{"10.244.0.6:8080|10.244.0.6:8080 unrouted (service)", "hello-1|hello-1 unrouted (service)"}
	if !slices.Equal(got, want) {
		t.Errorf("events %q, want %q", got, want)
	}
}

// A real Skipper, routes from a file, serves more routes than one page of /routes holds:
// readSkipperRoutes reads them all, and the endpoints of one namespace's routes are found
// among them.
func TestReadRealSkipperRoutes(t *testing.T) {
	bin := testbin.Skipper()
	if bin == "" {
		t.Skip("no Skipper binary: make skipper-build, or set SCALELAB_SKIPPER")
	}
	const n = 1100 // Skipper's pages hold 1024
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "kube_ns%d__hello__h__p__hello: Path(\"/%d\") -> <roundRobin, \"http://10.1.%d.%d:8080\", \"http://10.2.%d.%d:8080\">;\n",
			i, i, i/256, i%256, i/256, i%256)
	}
	file := filepath.Join(t.TempDir(), "routes.eskip")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr, support := freeAddr(t), freeAddr(t)
	var out strings.Builder
	cmd := exec.Command(bin, "-address", addr, "-support-listener", support, "-routes-file", file)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Skipper: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("Skipper's log:\n%s", out.String())
		}
	})
	client := &http.Client{Timeout: 5 * time.Second}
	url := "http://" + support + "/routes"
	var routes []skipperRoute
	var err error
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		routes, err = readSkipperRoutes(context.Background(), client, url)
		if err == nil && len(routes) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d routes, %v; want %d", len(routes), err, n)
		}
	}
	got := skipperEndpoints(routes, skipperPrefix("ns1050"), nil)
	if want := set("10.1.4.26:8080", "10.2.4.26:8080"); !maps.Equal(got, want) {
		t.Errorf("ns1050's endpoints %v, want %v (route 1050 is on the second page)", got, want)
	}
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Lanes polling the same proxy share its readings: one fetch per maxAge, whoever asks.
func TestSharedSource(t *testing.T) {
	t.Parallel()
	fetches := 0
	fetch := func(context.Context) (int, error) { fetches++; return fetches, nil }
	set := &sourceSet{}
	a := sharedSource(set, t.Name(), 50*time.Millisecond, fetch)
	if b := sharedSource(set, t.Name(), time.Hour, fetch); b != a {
		t.Fatal("a second source for the same key")
	}
	ctx := context.Background()
	v1, _, got1, _ := a.read(ctx)
	v2, _, got2, _ := a.read(ctx)
	if v1 != 1 || v2 != 1 || got1 != got2 {
		t.Errorf("two reads at once: %d and %d, want the same reading", v1, v2)
	}
	time.Sleep(60 * time.Millisecond)
	if v3, _, _, _ := a.read(ctx); v3 != 2 {
		t.Errorf("a read after maxAge took reading %d, want a new one", v3)
	}
}
