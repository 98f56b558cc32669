package kube

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// kube-proxy in iptables mode writes, in the nat table, one chain per Service port
// (KUBE-SVC-<hash>, or KUBE-SVL-<hash> for the node-local endpoints of a Service with
// externalTrafficPolicy Local), reached from KUBE-SERVICES for the cluster IP and through
// KUBE-EXT-<hash> from KUBE-NODEPORTS; it jumps to one chain per endpoint
// (KUBE-SEP-<hash>) that DNATs to the pod's address. A rule of a KUBE-SVC chain is
// commented "<namespace>/<service>:<port> -> <pod IP>:<port>": the endpoints a new
// connection may go to are the KUBE-SEP chains the Service's KUBE-SVC (or KUBE-SVL)
// chains jump to; a KUBE-SEP chain no such rule jumps to routes nothing, and is not
// counted.

// KubeProxyPoll is how often kube-proxy's rules are read while a run is observed, on a
// cluster that runs on this machine. One `iptables-save -t nat` of the bare cluster's 55
// nat rules took 4–5 ms, 3.8 ms of it CPU (50 in a loop; TestRoutesOnRealCluster logs it
// too): about 1.5 % of a core at this rate, per lane.
const KubeProxyPoll = 250 * time.Millisecond

// kubeProxyTable is kube-proxy's rules as a routeTable, when the cluster's kube-proxy runs
// in this network namespace and `iptables-save -t nat` runs (it needs CAP_NET_ADMIN):
// otherwise none, and no error.
func (c *Cluster) kubeProxyTable() (routeTable, bool) {
	if !c.Local() {
		return routeTable{}, false
	}
	bin, err := exec.LookPath("iptables-save")
	if err != nil {
		return routeTable{}, false
	}
	src := sharedSource(c.sources, bin+" -t nat", KubeProxyPoll/2, func(ctx context.Context) (string, error) {
		out, err := exec.CommandContext(ctx, bin, "-t", "nat").Output()
		return string(out), err
	})
	read := func(ctx context.Context) (reading, error) {
		rules, sent, got, err := src.read(ctx)
		if err != nil {
			return reading{}, err
		}
		c.mu.Lock()
		svcs := c.svcNames
		c.mu.Unlock()
		return reading{addrs: kubeProxyEndpoints(rules, c.ns, svcs), sent: sent, got: got}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if rules, _, _, err := src.read(ctx); err != nil || !kubeProxyHere(rules) {
		return routeTable{}, false
	}
	return routeTable{via: result.ViaService, every: KubeProxyPoll, read: read}, true
}

// kubeProxyHere reports whether rules, this network namespace's nat table, are kube-proxy's.
// A cluster whose API answers on loopback may still run its kube-proxy elsewhere: kind's
// runs in the node container's namespace, and the host's table has none of its chains.
func kubeProxyHere(rules string) bool {
	return strings.Contains(rules, "\n:KUBE-SERVICES ")
}

// kubeProxyEndpoints are the pod addresses the KUBE-SVC and KUBE-SVL chains of the named
// Services of namespace ns jump to, in the output of `iptables-save -t nat`.
func kubeProxyEndpoints(rules, ns string, services []string) map[string]bool {
	dnat := map[string]string{} // KUBE-SEP chain → its DNAT's destination
	type jump struct{ chain, sep, comment string }
	var jumps []jump
	sc := bufio.NewScanner(strings.NewReader(rules))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		f := ruleFields(sc.Text())
		if len(f) < 2 || f[0] != "-A" {
			continue
		}
		chain := f[1]
		switch {
		case strings.HasPrefix(chain, "KUBE-SEP-"):
			if to := flag(f, "--to-destination"); to != "" {
				dnat[chain] = to
			}
		case strings.HasPrefix(chain, "KUBE-SVC-"), strings.HasPrefix(chain, "KUBE-SVL-"):
			if to := flag(f, "-j"); strings.HasPrefix(to, "KUBE-SEP-") {
				jumps = append(jumps, jump{chain, to, flag(f, "--comment")})
			}
		}
	}
	ours := func(comment string) bool {
		name, _, _ := strings.Cut(comment, " ") // "ns/svc:port -> 10.244.0.7:8080"
		name, _, _ = strings.Cut(name, ":")
		for _, s := range services {
			if name == ns+"/"+s {
				return true
			}
		}
		return false
	}
	out := map[string]bool{}
	for _, j := range jumps {
		if to, ok := dnat[j.sep]; ok && ours(j.comment) {
			out[to] = true
		}
	}
	return out
}

// flag is the value after the first name in an iptables rule's fields ("" when absent).
func flag(fields []string, name string) string {
	for i := 0; i+1 < len(fields); i++ {
		if fields[i] == name {
			return fields[i+1]
		}
	}
	return ""
}

// ruleFields splits one line of iptables-save's output into its words, a double-quoted
// word (a comment: "default/hello:http -> 10.244.0.7:8080") as one without its quotes.
func ruleFields(line string) []string {
	var out []string
	var b strings.Builder
	quoted, in := false, false
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '\\' && quoted && i+1 < len(line):
			i++
			b.WriteByte(line[i])
		case ch == '"':
			quoted, in = !quoted, true
		case ch == ' ' && !quoted:
			if in {
				out = append(out, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(ch)
			in = true
		}
	}
	if in {
		out = append(out, b.String())
	}
	return out
}

// OwnSource: through the Service each attack comes from a loopback address of its own where
// kube-proxy's NodePorts answer on the host (the bare cluster), so that no earlier run's
// conntrack entries hold its connections' tuples (attack/source.go). Not on kind: the
// container engine's port mapping in front masquerades 127.0.0.1 alone.
func (c *Cluster) OwnSource(via string) bool {
	return via == result.ViaService && c.SettlesRoutes(via)
}
