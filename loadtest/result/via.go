package result

// The paths into a platform, by which a run names how its load reached the pods.
const (
	ViaService = "service" // kube-proxy (or the lab's plain forwarder): a loss shows as refused/reset
	ViaIngress = "ingress" // an L7 proxy: a loss shows as 502 (or 503/500)
	// ViaClusterIP is the Service's ClusterIP, from inside the cluster (--from cluster): the
	// path of a service's callers, kube-proxy on their own node; a loss shows as refused/reset.
	ViaClusterIP = "cluster-ip"
)
