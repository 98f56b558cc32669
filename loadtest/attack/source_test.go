package attack

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestLoopbackSourceOnlyForIPv4Loopback(t *testing.T) {
	t.Parallel()
	for _, target := range []string{"http://10.0.0.1:30080/", "http://[::1]:30080/", "http://localhost:30080/",
		"https://example.test/", "://bad"} {
		if ip := loopbackSource(target); ip != nil {
			t.Errorf("loopbackSource(%q) = %s, want nil: not an IPv4 loopback target", target, ip)
		}
	}
	ip := loopbackSource("http://127.0.0.1:30180/")
	if !wholeLoopbackNet {
		if ip != nil {
			t.Errorf("loopbackSource = %s, want nil where only 127.0.0.1 is configured", ip)
		}
		return
	}
	if ip == nil || !ip.IsLoopback() || ip.To4() == nil || ip.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Errorf("loopbackSource = %v, want an address of 127.0.0.0/8 other than 127.0.0.1", ip)
	}
}

// remoteAddrs is a server that sends each request's RemoteAddr on from (dropped when full).
func remoteAddrs(t *testing.T) (url string, from <-chan string) {
	t.Helper()
	ch := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- r.RemoteAddr:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, ch
}

// sourceOf is where one request of an attack with o comes from, as the server saw it.
func sourceOf(t *testing.T, o Options, from <-chan string) (host, port string) {
	t.Helper()
	c, _ := client(&o)
	res, err := c.Get(o.Target)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c.CloseIdleConnections()
	host, port, _ = net.SplitHostPort(<-from)
	return host, port
}

// Each attack's connections come from its own loopback address (source.go), with the
// port still left to connect.
func TestAttackFromItsOwnLoopbackAddress(t *testing.T) {
	t.Parallel()
	if !wholeLoopbackNet {
		t.Skip("only 127.0.0.1 on this system")
	}
	url, from := remoteAddrs(t)
	var hosts []string
	for range 2 {
		host, port := sourceOf(t, Options{Target: url, KeepAlive: true, OwnSource: true}, from)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || ip.Equal(net.IPv4(127, 0, 0, 1)) || port == "0" {
			t.Errorf("request came from %s:%s, want an address of 127.0.0.0/8 other than 127.0.0.1", host, port)
		}
		hosts = append(hosts, host)
	}
	if hosts[0] == hosts[1] {
		t.Errorf("two attacks both came from %s, want an address each", hosts[0])
	}
}

// Without OwnSource the system picks the source, as for any target: 127.0.0.1.
func TestAttackFromTheSystemsSourceUnlessAsked(t *testing.T) {
	t.Parallel()
	url, from := remoteAddrs(t)
	if host, _ := sourceOf(t, Options{Target: url}, from); host != "127.0.0.1" {
		t.Errorf("request came from %s, want 127.0.0.1", host)
	}
}
