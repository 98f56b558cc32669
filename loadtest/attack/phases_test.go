package attack

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// steady is a send every 10 ms (100/s) over [from, to), except over the gaps.
func steady(from, to time.Duration, gaps ...[2]time.Duration) []send {
	var out []send
next:
	for at := from; at < to; at += 10 * time.Millisecond {
		for _, g := range gaps {
			if at >= g[0] && at < g[1] {
				continue next
			}
		}
		out = append(out, send{at, time.Millisecond})
	}
	return out
}

func burst(at time.Duration, n int) []send {
	out := make([]send, n)
	for i := range out {
		out[i] = send{at, time.Millisecond}
	}
	return out
}

func phases(at map[string]time.Duration) []result.Event {
	var ev []result.Event
	for name, t := range at {
		ev = append(ev, result.Event{At: t, Kind: result.EventPhase, Name: name})
	}
	l := result.NewLog(time.Now())
	for _, e := range ev {
		l.Put(e)
	}
	return l.Events()
}

// The floor holds over each phase: a sender that stalled while the action ran and caught up
// after it sent enough over the run, not while it mattered. A phase of a few ticks is judged
// with its neighbour, never alone on rounding.
func TestPhaseFloor(t *testing.T) {
	t.Parallel()
	const s = time.Second
	pacer := vegeta.ConstantPacer{Freq: 100, Per: time.Second}
	tests := []struct {
		name   string
		phases map[string]time.Duration
		sends  []send
		want   []string // each the start of one reason; none: valid
	}{
		{"stalled at the action, caught up after",
			map[string]time.Duration{"attack start": 0, "scale-down": 2 * s, "settled": 5 * s, "attack end": 8*s + 5*time.Millisecond},
			append(steady(0, 8*s, [2]time.Duration{2 * s, 5 * s}), burst(5*s, 300)...),
			[]string{`the load fell short in phase "scale-down" (2.000s–5.000s): 0.00/s sent of the 100/s asked (0.000%, under the floor of 95.000%)`}},
		{"steady", map[string]time.Duration{"attack start": 0, "scale-down": 2 * s, "settled": 5 * s}, steady(0, 8*s), nil},
		{"a plain attack: one window, the run's own floor judges it",
			map[string]time.Duration{"attack start": -time.Millisecond, "attack end": 8 * s},
			append(steady(0, 8*s, [2]time.Duration{2 * s, 5 * s}), burst(5*s, 300)...), nil},
		{"a phase of a few ticks with none sent: judged with the next",
			map[string]time.Duration{"attack start": 0, "blip": 2 * s, "after": 2*s + 35*time.Millisecond},
			steady(0, 8*s, [2]time.Duration{2 * s, 2*s + 35*time.Millisecond}), nil},
		{"a short phase that fell short joins the next one, which says so",
			map[string]time.Duration{"attack start": 0, "blip": 2 * s, "after": 2*s + 500*time.Millisecond, "tail": 5 * s},
			append(steady(0, 8*s, [2]time.Duration{2 * s, 2*s + 500*time.Millisecond}), burst(6*s, 50)...),
			[]string{`the load fell short in phases "blip", "after" (2.000s–5.000s): 83.33/s sent of the 100/s asked (83.333%`}},
		{"a short last phase joins the one before",
			map[string]time.Duration{"attack start": 0, "action": 2 * s, "settled": 7*s + 600*time.Millisecond},
			steady(0, 8*s, [2]time.Duration{7*s + 600*time.Millisecond, 8 * s}),
			[]string{`the load fell short in phases "action", "settled" (2.000s–8.000s): 93.33/s sent`}},
		{"the last window holds the requests issued before the stop that started after it",
			map[string]time.Duration{"attack start": 0, "action": 2 * s, "settled": 7 * s},
			append(steady(0, 8*s, [2]time.Duration{7*s + 900*time.Millisecond, 8 * s}), burst(8*s+20*time.Millisecond, 10)...), nil},
		{"a pause of 40 ms at each edge of the shortest phase judged alone is no shortfall",
			map[string]time.Duration{"attack start": 0, "action": 2 * s, "settled": 4 * s},
			append(steady(0, 8*s, [2]time.Duration{2 * s, 2*s + 40*time.Millisecond}, [2]time.Duration{4*s - 40*time.Millisecond, 4 * s}), // 192 of 200 sent
				burst(4*s, 8)...), nil},
		{"a pause of 150 ms in it is",
			map[string]time.Duration{"attack start": 0, "action": 2 * s, "settled": 4 * s},
			append(steady(0, 8*s, [2]time.Duration{3 * s, 3*s + 150*time.Millisecond}), burst(4*s, 15)...),
			[]string{`the load fell short in phase "action" (2.000s–4.000s): 92.50/s sent`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := &result.Run{Events: phases(tc.phases)}
			o := &Options{MinRate: DefaultMinRate, MaxWorkers: vegeta.DefaultMaxWorkers}
			r.Requests = len(tc.sends)
			validate(r, o, nil, pacer, 8*s, nil)
			if len(r.Invalid) > 0 {
				t.Fatalf("the run's own floor: %q", r.Invalid)
			}
			validatePhases(r, o, pacer, tc.sends, 0, 0, 8*s)
			if len(r.Invalid) != len(tc.want) {
				t.Fatalf("invalid %q, want %d reasons: %q", r.Invalid, len(tc.want), tc.want)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(r.Invalid[i], w) {
					t.Errorf("reason %q, want it to begin %q", r.Invalid[i], w)
				}
			}
		})
	}
}

// An attack whose target stops answering while the action runs, with one worker: nothing
// is sent in that phase but the request held, whatever the machine does, and the run says
// so, naming the phase and the worker limit. The stall is the test's: it marks the phases
// and holds the answer itself.
func TestAttackStalledInAPhase(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	var stalled atomic.Bool
	held, release := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		served.Add(1)
		if stalled.Load() {
			select {
			case held <- struct{}{}:
			default:
			}
			<-release
		}
	}))
	t.Cleanup(srv.Close)
	log, stop := result.NewLog(time.Now()), make(chan struct{})
	wait := func(what string, ok func() bool) {
		for deadline := time.Now().Add(patience); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				close(release)
				t.Errorf("%s: not within %s", what, patience)
				return
			}
		}
	}
	go func() {
		defer close(stop)
		wait("a lead of 2.2 s", func() bool { return served.Load() >= 220 }) // paced at 100/s: 2.19 s at least
		log.Add(result.EventPhase, "action", "")
		stalled.Store(true)
		select {
		case <-held:
		case <-time.After(patience):
			t.Error("no request held")
		}
		time.Sleep(2500 * time.Millisecond) // the stall: at least this long, a window judged alone
		log.Add(result.EventPhase, "settled", "")
		stalled.Store(false)
		close(release)
		at := time.Now()
		wait("a tail of 2.5 s", func() bool { return time.Since(at) > 2500*time.Millisecond })
	}()
	run, err := Run(context.Background(), Options{Target: srv.URL, Rate: 100, Workers: 1, MaxWorkers: 1, KeepAlive: true,
		MinRate: DefaultMinRate, Log: log, Stop: stop})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests in %s: %q", run.Requests, run.Elapsed, run.Invalid)
	var found bool
	for _, why := range run.Invalid {
		if strings.HasPrefix(why, `the load fell short in phase "action" (`) {
			found = true
			if !strings.Contains(why, ": the worker limit was reached: 1 workers at a mean latency of ") {
				t.Errorf("%q does not say why", why)
			}
		}
	}
	if !found {
		t.Errorf("invalid %q: want the action's phase named", run.Invalid)
	}
}
