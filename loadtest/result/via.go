package result

// The paths into a platform, by which a run names how its load reached the pods.
const (
	ViaService = "service" // kube-proxy (or the lab's plain forwarder): a loss shows as refused/reset
	ViaIngress = "ingress" // an L7 proxy: a loss shows as 502 (or 503/500)
	// ViaClusterIP is the Service's ClusterIP, from inside the cluster (--from cluster): the
	// path of a service's callers, kube-proxy on their own node; a loss shows as refused/reset.
	ViaClusterIP = "cluster-ip"
)

// ProxyOf is the path whose proxy's routes (route events) load through via follows: the
// ClusterIP's are kube-proxy's rules for the Service, as its NodePort's are (on a cluster of
// one node, where the attackers' kube-proxy is the one that is read).
func ProxyOf(via string) string {
	if via == ViaClusterIP {
		return ViaService
	}
	return via
}
