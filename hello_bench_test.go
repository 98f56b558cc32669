package main

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkServe measures what hello's middleware (X-Pod, counting by code, in-flight,
// the probe-aware router) costs over a bare net/http handler: requests per second and p99
// latency of "/" with no delay, on loopback, at a fixed concurrency, both in one run.
// `make bench` runs it and prints the comparison.
func BenchmarkServe(b *testing.B) {
	const concurrency = 16
	bare := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Pod", "pod-a")
		fmt.Fprintf(w, "Hello world! from %s\n", "pod-a")
	})
	s := newServer(config{maxDelay: time.Second}, "pod-a", slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.setState(stateReady)

	for _, bc := range []struct {
		name    string
		handler http.Handler
	}{{"handler=bare", bare}, {"handler=hello", s.http.Handler}} {
		b.Run(bc.name, func(b *testing.B) {
			ts := httptest.NewServer(bc.handler)
			defer ts.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency}}
			defer client.CloseIdleConnections()

			latencies := make([][]time.Duration, concurrency)
			var next sync.WaitGroup
			work := make(chan struct{}, b.N)
			for range b.N {
				work <- struct{}{}
			}
			close(work)
			b.ResetTimer()
			start := time.Now()
			for w := range concurrency {
				next.Go(func() {
					for range work {
						t0 := time.Now()
						resp, err := client.Get(ts.URL + "/")
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						latencies[w] = append(latencies[w], time.Since(t0))
					}
				})
			}
			next.Wait()
			elapsed := time.Since(start)
			b.StopTimer()

			all := slices.Concat(latencies...)
			slices.Sort(all)
			b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
		})
	}
}
