//go:build unix

package lab

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"scalelab/internal/testbin"
	"scalelab/loadtest/result"
)

// The lab's ingress must answer each upstream failure exactly as the project's real
// ingress does. One real Skipper on loopback (-inline-routes, no cluster) routes a path to
// each failing upstream; the lab's ingress is put in front of the same upstreams.
func TestIngressMatchesRealSkipper(t *testing.T) {
	bin := testbin.Skipper()
	if bin == "" {
		t.Skip("no Skipper binary: make skipper-build, or set SCALELAB_SKIPPER (make e2e runs this test)")
	}
	cases := []struct {
		name string
		addr string
	}{
		{"answers", upstream(t, answer)},
		{"refused", testbin.Refused(t)},
		{"reset", upstream(t, reset)},
		{"closed", upstream(t, func(c net.Conn) { c.Close() })},
	}
	var routes strings.Builder
	for _, c := range cases {
		fmt.Fprintf(&routes, "%s: Path(\"/%s\") -> \"http://%s\";\n", c.name, c.name, c.addr)
	}
	addr, support := testbin.Addr(t), testbin.Addr(t)
	var out bytes.Buffer
	cmd := exec.Command(bin, "-address", addr, "-support-listener", support,
		"-inline-routes", routes.String(), "-wait-for-healthcheck-interval", "0")
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

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(30 * time.Second)
	for { // ready once it routes: the answering upstream answers through it
		resp, err := client.Get("http://" + addr + "/answers")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Skipper does not route /answers within 30 s (last: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, c := range cases {
		table := newRouteTable(result.ViaIngress, 0, 0)
		table.apply(1, []endpoint{{Pod: "p", Addr: c.addr}})
		in, err := newIngress(table, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			real, lab := status(t, client, "http://"+addr+"/"+c.name), status(t, client, in.url())
			if real != lab {
				t.Errorf("%s: Skipper answers %d, the lab's ingress %d", c.name, real, lab)
			}
		}
		in.close()
	}
}

func status(t *testing.T, client *http.Client, url string) int {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
