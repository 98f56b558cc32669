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

// Each attack's connections come from its own loopback address (source.go), with the
// port still left to connect.
func TestAttackFromItsOwnLoopbackAddress(t *testing.T) {
	t.Parallel()
	if !wholeLoopbackNet {
		t.Skip("only 127.0.0.1 on this system")
	}
	from := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case from <- r.RemoteAddr:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	var hosts []string
	for range 2 {
		c, _ := client(&Options{Target: srv.URL, KeepAlive: true, OwnSource: true})
		res, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		c.CloseIdleConnections()
		host, port, _ := net.SplitHostPort(<-from)
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
	from := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case from <- r.RemoteAddr:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	c, _ := client(&Options{Target: srv.URL})
	res, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if host, _, _ := net.SplitHostPort(<-from); host != "127.0.0.1" {
		t.Errorf("request came from %s, want 127.0.0.1", host)
	}
}
