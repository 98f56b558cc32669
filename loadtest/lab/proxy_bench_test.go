//go:build unix

package lab

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"scalelab/loadtest/result"
	"testing"
)

// BenchmarkPaths measures one request through each path to a bare upstream over loopback,
// with keep-alive on both sides: the lab's own cost per request (compare with the
// direct row).
func BenchmarkPaths(b *testing.B) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	b.Cleanup(up.Close)
	eps := []endpoint{{Pod: "p", Addr: up.Listener.Addr().String()}}
	in, err := newIngress(newRouteTable(result.ViaIngress, 0, 0), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { in.close() })
	in.table.apply(1, eps)
	svc, err := newService(newRouteTable(result.ViaService, 0, 0), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { svc.close() })
	svc.table.apply(1, eps)
	for _, path := range []struct{ name, url string }{{"direct", up.URL + "/"}, {"service", svc.url()}, {"ingress", in.url()}} {
		b.Run("path="+path.name, func(b *testing.B) {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			b.Cleanup(client.CloseIdleConnections)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(path.url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
