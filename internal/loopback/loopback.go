// Package loopback picks addresses on this machine's loopback that nothing else will take:
// a pod's address in the lab, and the address a test gives a process that must bind it
// itself (hello, Skipper), so that it is known before that process listens.
//
// The kernel hands out ports of its ephemeral range (ip_local_port_range, 32768-60999 by
// default) to every listen on port 0 and every outgoing connection, all on 127.0.0.1 here.
// An address picked here is on a random 127.64-127.127.x.y address and a port below that
// range, so no kernel choice can take it between the pick and the bind; only another
// random pick could, one chance in about 10^10 per pair.
package loopback

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Addr is a free loopback address as the package doc describes. Where only 127.0.0.1 is
// configured (macOS), it is 127.0.0.1 with a port below the ephemeral range.
func Addr() (string, error) {
	lo, hi := PortRange()
	for range 100 {
		port := lo + rand.IntN(hi-lo+1)
		addr := fmt.Sprintf("127.%d.%d.%d:%d", 64+rand.IntN(64), rand.IntN(256), 1+rand.IntN(254), port)
		ln, err := net.Listen("tcp", addr)
		if errors.Is(err, syscall.EADDRNOTAVAIL) {
			addr = fmt.Sprintf("127.0.0.1:%d", port)
			ln, err = net.Listen("tcp", addr)
		}
		if err != nil {
			continue
		}
		ln.Close()
		return addr, nil
	}
	return "", fmt.Errorf("pick a loopback address: none free in 127.64-127.127.*.*:%d-%d after 100 tries", lo, hi)
}

// PortRange is where Addr's ports come from: below the kernel's ephemeral range and below
// Kubernetes' NodePort range (30000-32767, which a kube-proxy on this machine, say of the
// bare cluster, rewrites even on loopback), above the ports of common local services.
func PortRange() (lo, hi int) {
	lo, hi = 20000, 29999
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if eph, err := strconv.Atoi(f[0]); err == nil && eph <= hi {
				hi = max(eph-1, lo+100) // an unusual ephemeral range; keep a band anyway
			}
		}
	}
	return lo, hi
}

// Listen listens on a random 127.64-127.127.x.y address of its own, on a port of the
// kernel's choice (127.0.0.1 where no other is configured): once the listener closes, its
// address stays free for whoever held it, since no outgoing connection and no other
// listen on port 0 is given that IP.
func Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.%d.%d.%d:0", 64+rand.IntN(64), rand.IntN(256), 1+rand.IntN(254)))
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	return ln, err
}
