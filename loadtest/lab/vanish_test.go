//go:build unix

package lab_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// event finds the event named exactly name, or fails.
func event(t *testing.T, log *result.Log, name string) result.Event {
	t.Helper()
	for _, e := range log.Events() {
		if e.Name == name {
			return e
		}
	}
	dumpEvents(t, log)
	t.Fatalf("no event %q", name)
	return result.Event{}
}

// sent is one request of a paced load: when it started (since the log's start) and how it
// ended: "200", "502", ..., "timeout" or "error".
type sent struct {
	at  time.Duration
	key string
}

// A naive pod deleted while the ingress still routes to it: from its container's exit to
// its end (the sandbox teardown) its address refuses and the ingress answers 502; once it is
// gone its address answers nothing, so a request the ingress still sends there ends in the
// client's timeout, as on a cluster, until the ingress drops the route. The address is
// freed once no route points there and its last request has given up.
func TestVanishedPodTimesOutThroughTheIngress(t *testing.T) {
	t.Parallel()
	const lag = 3 * time.Second // the ingress drops the deleted pod's route this late
	l, log := newLab(t, lag)
	start := log.Start()
	deploy(t, l, config("vanish", 2, []string{"--shutdown-delay=0s"}))
	target, err := l.Target(result.ViaIngress)
	if err != nil {
		t.Fatal(err)
	}

	// One request every 20 ms, each on its own, so that requests stuck in the hole do not
	// hold the others back; the client gives up after 2 s.
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
	t.Cleanup(client.CloseIdleConnections)
	var (
		mu   sync.Mutex
		reqs []sent
		wg   sync.WaitGroup
	)
	stop := make(chan struct{})
	paced := make(chan struct{})
	go func() {
		defer close(paced)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for range 1000 { // bounded; stop ends it long before
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				at := time.Since(start)
				key := classify(client.Get(target))
				mu.Lock()
				reqs = append(reqs, sent{at, key})
				mu.Unlock()
			}()
		}
	}()
	time.Sleep(300 * time.Millisecond)
	name, err := l.DeletePod(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	settle(t, l) // the ingress has dropped the route
	time.Sleep(300 * time.Millisecond)
	close(stop)
	<-paced
	wg.Wait()

	exited := eventPrefix(t, log, name+" exited")
	gone := event(t, log, name+" deleted")
	unanswered := event(t, log, name+" address unanswered")
	removed := event(t, log, name+" unrouted (ingress)")
	addr := event(t, log, name+" created").Detail
	if !strings.Contains(unanswered.Detail, "ingress") {
		t.Errorf("address unanswered: %q, want it to name the ingress that still routes there", unanswered.Detail)
	}
	if !(exited.At < gone.At && gone.At <= unanswered.At && unanswered.At < removed.At) {
		dumpEvents(t, log)
		t.Fatalf("want exit (%s) < gone (%s) <= unanswered (%s) < route removed (%s)", exited.At, gone.At, unanswered.At, removed.At)
	}

	counts := map[string]map[string]int{} // by window, by answer
	for _, r := range reqs {
		w := "before exit"
		switch {
		case r.at >= removed.At:
			w = "after the route went"
		case r.at >= unanswered.At:
			w = "gone, still routed"
		case r.at >= gone.At:
			w = "gone, hole opening" // a few microseconds
		case r.at >= exited.At:
			w = "exited, not gone"
		}
		if counts[w] == nil {
			counts[w] = map[string]int{}
		}
		counts[w][r.key]++
	}
	t.Logf("deleted %s (%s): exited %s, gone %s, route removed %s; answers by window: %v", name, addr, exited.At, gone.At, removed.At, counts)
	if counts["exited, not gone"]["502"] == 0 {
		t.Error("no 502 for the requests sent between the exit and the pod's end, while its address refused")
	}
	if w := counts["gone, still routed"]; w["timeout"] == 0 || w["502"] > 0 {
		t.Errorf("requests sent while the gone pod was still routed: %v, want timeouts and no 502", w)
	}
	for w, c := range counts {
		for key, n := range c {
			if key != "200" && key != "502" && key != "timeout" {
				t.Errorf("%s: %d requests ended as %s", w, n, key)
			}
			if w == "after the route went" && key != "200" {
				t.Errorf("%s: %d requests ended as %s, want all 200", w, n, key)
			}
		}
	}
	if t.Failed() {
		dumpEvents(t, log)
	}

	// Every request has ended and the route is gone: the hole frees the address.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			ln.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gone pod's address %s is still taken 10 s after its last request: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Close closes a hole still routed, and cuts a connection it holds.
func TestCloseFreesAHole(t *testing.T) {
	t.Parallel()
	// The routes drop the deleted pod 15 s after the deletion: time enough, even on a busy
	// machine, for its exit and the sandbox's teardown (1 s) to come first.
	l, log := newLab(t, 15*time.Second)
	deploy(t, l, config("vanish", 1, []string{"--shutdown-delay=0s"}))
	name, err := l.DeletePod(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	addr := event(t, log, name+" created").Detail
	eventually(t, "the deleted pod's address unanswered, or its routes gone", func() bool {
		return len(names(log, result.EventEndpoint, name+" address unanswered")) > 0 ||
			len(names(log, result.EventRoute, name+" unrouted")) > 0
	})
	if len(names(log, result.EventEndpoint, name+" address unanswered")) == 0 {
		dumpEvents(t, log)
		t.Fatal("the routes dropped the deleted pod before its address turned unanswered")
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connect to the hole: %v", err)
	}
	defer c.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("after Close the hole's address %s is still taken: %v", addr, err)
	}
	ln.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the held connection was not cut by Close: %v", err)
	}
}

// eventPrefix finds the first event whose name starts with prefix, or fails.
func eventPrefix(t *testing.T, log *result.Log, prefix string) result.Event {
	t.Helper()
	for _, e := range log.Events() {
		if strings.HasPrefix(e.Name, prefix) {
			return e
		}
	}
	dumpEvents(t, log)
	t.Fatalf("no event %q...", prefix)
	return result.Event{}
}

// classify names how a request ended.
func classify(resp *http.Response, err error) string {
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return "timeout"
		}
		return "error"
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return fmt.Sprint(resp.StatusCode)
}
