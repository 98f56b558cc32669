package attack

import (
	"math/rand/v2"
	"net"
	"net/url"
)

// An attack that asks for it (Options.OwnSource) comes from a loopback address of its own.
//
// Measured on the bare cluster (issue 14): a connection that kube-proxy refuses — a SYN to
// a NodePort whose Service has no ready endpoint meets its REJECT rule, or one DNAT-ed to a
// pod that is already gone gets no answer — leaves a conntrack entry in SYN_SENT, UNREPLIED,
// for nf_conntrack_tcp_timeout_syn_sent (120 s), holding the NAT binding of that moment. The
// kernel hands a client the source ports to one destination in a sequence that comes round
// again after some 3,000 connections; a new SYN from 127.0.0.1:P to 127.0.0.1:30180 that
// finds such an entry is taken for a retransmission of it and follows the old binding: to
// 127.0.0.1:30180 itself, where nothing listens (a RST: refused), or to the dead pod (ICMP
// host unreachable: a timeout). So one run's failures (evict-no-pdb's thousands of refused
// SYNs) failed requests of the next run on the same NodePort (evict-pdb, which promises zero)
// for up to two minutes: 2 of 12 trials, 6 and 4 refused, reproduced with the entries and
// the resets captured (clusters/bare, 30 Nov). A source address of its own for each attack, drawn
// from 127.0.0.0/8, gives each attack tuples that no earlier attack's entries hold.

// loopbackSource is the address an attack on target binds its connections to: a random
// one of 127.0.0.0/8 other than 127.0.0.1 when target's host is an IPv4 loopback address
// and this system routes all of 127.0.0.0/8 to itself (Linux), else nil (the system picks).
func loopbackSource(target string) net.IP {
	if !wholeLoopbackNet {
		return nil
	}
	u, err := url.Parse(target)
	if err != nil {
		return nil
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || ip.To4() == nil || !ip.IsLoopback() {
		return nil
	}
	return net.IPv4(127, byte(rand.IntN(255)+1), byte(rand.IntN(256)), byte(rand.IntN(254)+1))
}
