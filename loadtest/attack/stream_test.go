package attack

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// flakyServer answers most requests 200 naming one of two pods, every 7th 502, and closes
// every 11th connection without an answer: three classes for the streams to carry.
func flakyServer(t *testing.T) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		switch {
		case i%11 == 0:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case i%7 == 0:
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set("X-Pod", fmt.Sprintf("pod-%d", i%2))
		fmt.Fprintln(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestShare(t *testing.T) {
	for _, c := range []struct{ rate, n int }{{100, 1}, {100, 3}, {3000, 3}, {2, 3}, {7, 2}} {
		sum, lo, hi := 0, c.rate, 0
		for i := range c.n {
			s := Share(c.rate, c.n, i)
			sum, lo, hi = sum+s, min(lo, s), max(hi, s)
		}
		if sum != c.rate || hi-lo > 1 {
			t.Errorf("Share(%d, %d, ·): sum %d, spread %d..%d: want %d, at most 1 apart", c.rate, c.n, sum, lo, hi, c.rate)
		}
	}
}

// TestMergedCountsAddUp runs three attackers' streams at once, decodes what they wrote and
// merges it: the merged run's counts are the sum of each attacker's own, class by class,
// and its quantiles those of all the results together.
func TestMergedCountsAddUp(t *testing.T) {
	t.Parallel()
	srv := flakyServer(t)
	const n = 3
	var (
		bufs [n]bytes.Buffer
		sums [n]Summary
		errs [n]error
		wg   sync.WaitGroup
	)
	began := time.Now()
	log := result.NewLog(began)
	for i := range n {
		wg.Go(func() {
			o := Options{Target: srv.URL, Rate: Share(300, n, i), Duration: time.Second, Timeout: patience} // new connections: the transport retries a GET on a reused one that closed
			sums[i], errs[i] = Stream(context.Background(), o, fmt.Sprintf("attacker-%d", i), &bufs[i])
		})
	}
	wg.Wait()
	o := Options{Target: srv.URL, Rate: 300, Duration: time.Second, Interval: 100 * time.Millisecond, Log: log}
	c, err := NewCollector(context.Background(), o, began)
	if err != nil {
		t.Fatal(err)
	}
	var latencies []time.Duration
	want := Summary{Errors: result.Counts{}}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("attacker %d: %v", i, errs[i])
		}
		sc := bufio.NewScanner(&bufs[i])
		for sc.Scan() {
			res, err := DecodeLine(sc.Text())
			if err != nil {
				t.Fatalf("attacker %d: line %q: %v", i, sc.Text(), err)
			}
			c.Add(res)
			latencies = append(latencies, res.Latency)
		}
		if got := c.Received(sums[i].Attacker); !got.Same(sums[i]) {
			t.Errorf("attacker %d: received %+v, it counted %+v", i, got, sums[i])
		}
		want.Requests += sums[i].Requests
		want.OK += sums[i].OK
		want.Errors.Add(sums[i].Errors)
	}
	run := c.Finish(context.Background(), false)
	if run.Requests != want.Requests || run.OK != want.OK || !want.Same(Summary{Requests: run.Requests, OK: run.OK, Errors: run.Errors}) {
		t.Errorf("merged: %d requests, %d ok, errors %v; the attackers counted %d, %d, %v",
			run.Requests, run.OK, run.Errors, want.Requests, want.OK, want.Errors)
	}
	if want.Requests < 150 || want.Errors[result.HTTP502] == 0 || want.Errors.Total() == want.Errors[result.HTTP502] {
		t.Errorf("attackers counted %+v: want ~300 requests, 502s and failures without a status", want)
	}
	slices.Sort(latencies)
	if run.Latency.P99 != quantile(latencies, 0.99) || run.Latency.P50 != quantile(latencies, 0.50) {
		t.Errorf("merged p50 %s p99 %s: want those of all the results, %s and %s",
			run.Latency.P50, run.Latency.P99, quantile(latencies, 0.50), quantile(latencies, 0.99))
	}
	inTimeline := 0
	for _, iv := range run.Timeline {
		inTimeline += iv.OK + iv.Errors.Total()
	}
	if inTimeline != run.Requests || run.Pods["pod-0"]+run.Pods["pod-1"] != run.OK {
		t.Errorf("timeline holds %d of %d requests; pods %v of %d answers", inTimeline, run.Requests, run.Pods, run.OK)
	}
}

func TestStreamedClass(t *testing.T) {
	var buf bytes.Buffer
	srv := flakyServer(t)
	if _, err := Stream(context.Background(), Options{Target: srv.URL, Rate: 50, Duration: 500 * time.Millisecond}, "a", &buf); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	classes := result.Counts{}
	for sc.Scan() {
		res, err := DecodeLine(sc.Text())
		if err != nil {
			t.Fatal(err)
		}
		classes[Streamed(res)]++
	}
	if classes[result.HTTP502] == 0 || classes[result.EOF] == 0 || classes[result.Other] != 0 {
		t.Errorf("classes %v: want 502s and eofs, no other", classes)
	}
}
