package scenario

import (
	"context"
	"fmt"
	"net/http"
	"time"
)

// warmUp returns once target has answered 200 n times in a row, each on a new connection
// so that the path's balancing spreads them over the pods. A platform's "ready" is not
// "serving": a pod with no readiness probe is ready the moment it starts, while hello is
// still warming up, and a load started then would blame the scenario for the deploy's loss.
func warmUp(ctx context.Context, target string, n int) error {
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	last := "no answer yet"
	for ok := 0; ok < n; {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return fmt.Errorf("warm up %s: %w", target, err)
		}
		resp, err := client.Do(req)
		switch {
		case err != nil:
			last, ok = err.Error(), 0
		case resp.StatusCode != http.StatusOK:
			resp.Body.Close()
			last, ok = resp.Status, 0
		default:
			resp.Body.Close()
			ok++
			continue
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("warm up: %s does not answer 200 (last: %s): %w", target, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
