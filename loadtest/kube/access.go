package kube

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// What a package that runs pods of its own beside the workload (fromcluster's attackers)
// needs of a Cluster: its client, where it prints the kubectl it does, the reference that
// makes the workload own those pods, and the Service's ClusterIP that pods reach.

// Clientset is the Cluster's client of the API server.
func (c *Cluster) Clientset() kubernetes.Interface { return c.cs }

// Out is where the Cluster prints the equivalent kubectl command of every action
// (Options.Out; io.Discard when none was given).
func (c *Cluster) Out() io.Writer { return c.opts.Out }

// Owner is the reference that makes the running workload own other objects, so that
// deleting it (a configuration pruned, a lane's namespace deleted) deletes them; nil when
// no Deployment is deployed or it cannot be read.
func (c *Cluster) Owner(ctx context.Context) *metav1.OwnerReference {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if cfg == nil || cfg.Deployment == nil {
		return nil
	}
	d, err := c.cs.AppsV1().Deployments(c.ns).Get(ctx, cfg.Deployment.Name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return &metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID}
}

// ClusterIPURL is the URL of the workload's Service by its ClusterIP and first port: the
// path of load from inside the cluster (result.ViaClusterIP). The bare cluster runs no
// DNS, so the address, not the Service's name.
func (c *Cluster) ClusterIPURL(ctx context.Context) (string, error) {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if cfg == nil || cfg.Service == nil {
		return "", errors.New("cluster-ip: no Service of scalelab's deployed")
	}
	svc, err := c.cs.CoreV1().Services(c.ns).Get(ctx, cfg.Service.Name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("cluster-ip: %w", err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone || len(svc.Spec.Ports) == 0 {
		return "", fmt.Errorf("cluster-ip: service %s has no ClusterIP and port", svc.Name)
	}
	host := net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(int(svc.Spec.Ports[0].Port)))
	return (&url.URL{Scheme: "http", Host: host, Path: "/"}).String(), nil
}
