package attack

import (
	"context"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// merged collects, for each attacker, n results sent every gap from start + at.
func merged(t *testing.T, start time.Time, rate int, shares map[string]int, sent map[string][3]time.Duration) *result.Run {
	t.Helper()
	c, err := NewCollector(context.Background(), Options{Target: "http://x.test/", Rate: rate, MinRate: DefaultMinRate,
		Log: result.NewLog(start)}, start)
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(shares) {
		name := "attacker-" + string(rune('0'+i))
		c.Expect(name, shares[name])
	}
	for name, s := range sent { // s: first send, gap, how many
		for k := range int(s[2]) {
			c.Add(&vegeta.Result{Attack: name, Code: 200, Timestamp: start.Add(s[0] + time.Duration(k)*s[1]), Latency: time.Millisecond})
		}
	}
	return c.Finish(context.Background(), false)
}

// Where the merged load of the in-cluster attackers fell short, the run says what each
// attacker sent of its own share, from its own first request: which one fell behind.
func TestCollectorNamesEachAttackersShare(t *testing.T) {
	t.Parallel()
	start := time.Now()
	const ms = time.Millisecond
	shares := map[string]int{"attacker-0": 34, "attacker-1": 33, "attacker-2": 33}
	// Over 2.01 s (the last send at 2 s, and one tick of 100/s after it): attacker-0 sends
	// its 34/s, attacker-1 an eighth of its 33/s from 0.5 s on, attacker-2 nothing.
	r := merged(t, start, 100, shares, map[string][3]time.Duration{
		"attacker-0": {0, 2000 * ms / 68, 68},
		"attacker-1": {500 * ms, 300 * ms, 6},
	})
	want := "the load fell short: 36.82/s sent of the 100/s asked over 2.01s (36.816%, under the floor of 95.000%)"
	each := "; by attacker, from its first request: attacker-0 33.83/s of its 34/s (99.502%), attacker-1 3.97/s of its 33/s (12.041%), attacker-2 sent nothing of its 33/s"
	if len(r.Invalid) != 1 || !strings.HasPrefix(r.Invalid[0], want) || !strings.HasSuffix(r.Invalid[0], each) {
		t.Errorf("invalid %q\nwant %q … %q", r.Invalid, want, each)
	}

	// Both at their share: valid, and nothing said of them.
	if r := merged(t, start, 100, map[string]int{"attacker-0": 50, "attacker-1": 50}, map[string][3]time.Duration{
		"attacker-0": {0, 20 * ms, 100},
		"attacker-1": {7 * ms, 20 * ms, 100},
	}); len(r.Invalid) > 0 || r.Requests != 200 {
		t.Errorf("%d requests, invalid %q: want 200, valid", r.Requests, r.Invalid)
	}
}
