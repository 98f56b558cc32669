package kube

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// A matrix runs its cells side by side in lanes (scenario.MatrixOptions.Lanes). On a
// cluster each lane is a namespace of its own, made for the run and deleted after it, with
// the lane's own ways in: its Service's NodePort is the configuration's plus
// laneNodePorts plus the lane's index (30180, 30181, ... for hello's 30080, clear of the
// ports a configuration deployed outside lanes holds; clusters/kind/kind.yaml maps eight), and its
// Ingress answers only for the lane's own host, through the same ingress
// controller. A lane's namespace names the loadtest process that made it, so that the
// next run on this machine recognises one left behind by a process that was killed and
// removes it.
const (
	laneLabel        = "scalelab.dev/lane"   // a lane's namespace: its index
	holderAnnotation = "scalelab.dev/holder" // a lane's namespace: "HOST/PID" of its loadtest
	laneHostSuffix   = ".lanes.scalelab.test"
	laneNodePorts    = 100
)

// lane is what makes a Cluster a lane of a matrix.
type lane struct {
	index int    // 0, 1, ...
	host  string // the Ingress rules' host, and the Host header of load through the ingress
}

// Lane makes a namespace for lane index and returns a Cluster in it, which deletes the
// namespace when it closes. Configurations applied in a lane get the lane's NodePort and
// ingress host (inLane).
func (c *Cluster) Lane(ctx context.Context, index int) (*Cluster, error) {
	if c.adopted != nil {
		return nil, fmt.Errorf("lanes: %w", errAdopted)
	}
	ns, err := c.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "scalelab-lane-",
		Labels:       map[string]string{ManagedBy: FieldManager, laneLabel: strconv.Itoa(index)},
		Annotations:  map[string]string{holderAnnotation: holder()},
	}}, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, fmt.Errorf("lane %d: create its namespace: %w", index, err)
	}
	fmt.Fprintf(c.opts.Out, "$ kubectl create namespace %s\n", ns.Name)
	return &Cluster{opts: c.opts, ns: ns.Name, version: c.version, host: c.host, cs: c.cs, dyn: c.dyn, sources: c.sources,
		lane: &lane{index: index, host: ns.Name + laneHostSuffix}}, nil
}

// VirtualHost is the Host header of load through the ingress in a lane ("" otherwise):
// the lanes share one ingress controller, each with a host of its own.
func (c *Cluster) VirtualHost(via string) string {
	if c.lane == nil || via != "ingress" {
		return ""
	}
	return c.lane.host
}

// inLane gives obj the lane's ways in: a NodePort moved by the lane's index, every
// Ingress rule for the lane's host. Outside a lane it does nothing.
func (c *Cluster) inLane(obj *unstructured.Unstructured) error {
	if c.lane == nil {
		return nil
	}
	switch obj.GetKind() {
	case "Service":
		ports, _, err := unstructured.NestedSlice(obj.Object, "spec", "ports")
		if err != nil {
			return err
		}
		for _, p := range ports {
			port, _ := p.(map[string]any)
			if n, ok, _ := unstructured.NestedInt64(port, "nodePort"); ok && n != 0 {
				port["nodePort"] = n + laneNodePorts + int64(c.lane.index)
			}
		}
		return unstructured.SetNestedSlice(obj.Object, ports, "spec", "ports")
	case "Ingress":
		rules, _, err := unstructured.NestedSlice(obj.Object, "spec", "rules")
		if err != nil {
			return err
		}
		for _, r := range rules {
			if rule, ok := r.(map[string]any); ok {
				rule["host"] = c.lane.host
			}
		}
		return unstructured.SetNestedSlice(obj.Object, rules, "spec", "rules")
	}
	return nil
}

// laneURL is the Service path of a lane: the NodePort it was given, on the host of
// --service-url (default 127.0.0.1), since every lane's Service has a port of its own.
func (c *Cluster) laneURL(nodePort int32) string {
	host := "127.0.0.1"
	if u, err := url.Parse(c.opts.ServiceURL); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	port := nodePort + laneNodePorts + int32(c.lane.index)
	return (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(int(port))), Path: "/"}).String()
}

// closeLane deletes the lane's namespace and waits until it is gone, so that a finished
// run leaves nothing behind.
func (c *Cluster) closeLane() error {
	ctx, cancel := context.WithTimeout(context.Background(), laneGone)
	defer cancel()
	fmt.Fprintf(c.opts.Out, "$ kubectl delete namespace %s\n", c.ns)
	return deleteNamespace(ctx, c.cs, c.ns)
}

// laneGone is how long a lane's namespace may take to go.
const laneGone = 2 * time.Minute

// deleteNamespace deletes a lane's namespace, its pods at once (their graceful ends are
// not what a run measures), and waits until it is gone: until then its Service holds its
// NodePort, which the next lane of that index needs.
func deleteNamespace(ctx context.Context, cs kubernetes.Interface, ns string) error {
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete lane namespace %s: %w", ns, err)
	}
	zero := int64(0)
	_ = cs.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{})
	err := wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return fmt.Errorf("lane namespace %s is still there after %s", ns, laneGone)
	}
	return nil
}

// ClaimLanes makes the cluster's lane namespaces this run's to take. It deletes those that
// a loadtest of this machine made and could not delete, because it was killed (their
// holder names this host and a process that no longer runs), and waits until they are
// gone; it returns the names deleted. Lanes that another loadtest holds — one still
// running here, or one of another machine — take the NodePorts this run's lanes would
// (30180, ...), so that every cell would fail: they are left alone, and the error names them.
func (c *Cluster) ClaimLanes(ctx context.Context) ([]string, error) {
	list, err := c.cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: laneLabel})
	if err != nil {
		return nil, fmt.Errorf("lanes: list namespaces: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, laneGone)
	defer cancel()
	var gone, held []string
	errs := make([]error, len(list.Items))
	var wg sync.WaitGroup
	for i, ns := range list.Items {
		h := ns.Annotations[holderAnnotation]
		if !leftover(h) {
			if ns.DeletionTimestamp == nil && h != holder() {
				held = append(held, ns.Name+" (held by "+h+")")
			}
			continue
		}
		if ns.DeletionTimestamp == nil {
			fmt.Fprintf(c.opts.Out, "$ kubectl delete namespace %s  # left behind by %s\n", ns.Name, h)
			gone = append(gone, ns.Name)
		}
		wg.Go(func() { errs[i] = deleteNamespace(ctx, c.cs, ns.Name) })
	}
	wg.Wait()
	nodes, err := c.uncordonLeftovers(ctx)
	gone, errs = append(gone, nodes...), append(errs, err)
	if len(held) > 0 {
		errs = append(errs, fmt.Errorf("lanes: another loadtest's lanes are on this cluster, and theirs would take the same NodePorts: %s; wait for it to end, or delete those namespaces if it no longer runs", strings.Join(held, ", ")))
	}
	return gone, errors.Join(errs...)
}

// holder names this process for a lane's namespace: "HOST/PID".
func holder() string {
	host, _ := os.Hostname()
	return host + "/" + strconv.Itoa(os.Getpid())
}

// leftover says whether a lane's holder was a process of this host that no longer runs.
func leftover(h string) bool {
	host, pid, ok := strings.Cut(h, "/")
	me, _ := os.Hostname()
	n, err := strconv.Atoi(pid)
	return ok && err == nil && host == me && n != os.Getpid() && !running(n)
}
