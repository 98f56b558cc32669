package scenario

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// warmUp returns once a round of n concurrent requests to target (with header) has all
// been answered 2xx or 3xx, as the attack counts a success, each on a new connection so that the path's balancing spreads them over the pods.
// A platform's "ready" is not "serving": a pod with no readiness probe is ready the moment
// it starts, while hello is still warming up, and a load started then would blame the
// scenario for the deploy's loss. timeout bounds each request (hello's answers may be slow).
func warmUp(ctx context.Context, target string, header http.Header, n int, timeout time.Duration) error {
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	last := "no answer yet"
	for {
		why := round(ctx, client, target, header, n)
		if ctx.Err() != nil { // a round cut short says nothing about the target
			return fmt.Errorf("warm up: %s does not answer 2xx or 3xx (last: %s): %w", target, last, ctx.Err())
		}
		if why == "" {
			return nil
		}
		last = why
		select {
		case <-ctx.Done():
			return fmt.Errorf("warm up: %s does not answer 2xx or 3xx (last: %s): %w", target, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// round sends n requests at once and returns what went wrong with one of them, "" if none.
func round(ctx context.Context, client *http.Client, target string, header http.Header, n int) string {
	var mu sync.Mutex
	var failure string
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			why := get(ctx, client, target, header)
			if why != "" {
				mu.Lock()
				failure = why
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failure
}

// get returns "" for a 2xx or 3xx, else what came back instead. A Host header names the
// virtual host, as vegeta sends it.
func get(ctx context.Context, client *http.Client, target string, header http.Header) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err.Error()
	}
	req.Header = header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if h := req.Header.Get("Host"); h != "" {
		req.Host = h
	}
	resp, err := client.Do(req)
	if err != nil {
		return err.Error()
	}
	resp.Body.Close()
	if resp.StatusCode >= 400 {
		return resp.Status
	}
	return ""
}
