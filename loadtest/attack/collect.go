package attack

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// Collector merges the results of attacks that ran elsewhere (Stream: attackers in pods,
// each at its share of the rate) into one result.Run, the same that Run makes of its own:
// the same tally — every latency kept, so the quantiles are those of the merged results,
// not averages of each attacker's —, the same classes, the timeline the union of all, the
// live progress and view, the --at commands on this side. It is safe for concurrent use:
// one goroutine for each attacker's stream may Add.
type Collector struct {
	o       Options
	run     *result.Run // the fixed fields, filled in by Finish
	began   time.Time
	w       *watched // the tally under its lock, which Add and a live look take
	done    func(*result.Run)
	cmds    *commands
	totals  counters
	samples map[result.Class]string  // under w.mu
	got     map[string]*Summary      // under w.mu: what arrived of each attacker
	firsts  map[string]time.Duration // under w.mu: each attacker's first send, from o.Log.Start()
	shares  []share                  // Expect's, in its order
	stopped chan struct{}            // closed by Finish: ends the progress line
	ended   chan struct{}            // closed when the progress line has ended
}

// NewCollector starts a merged attack that began at began (when the first attacker sent
// its first request): o describes the whole (its Rate is the sum of the attackers'
// shares), o.Log holds the events, and o.Commands run from here at their offsets from
// o.Log.Start(). o.Pacer and o.Upstream are not used.
func NewCollector(ctx context.Context, o Options, began time.Time) (*Collector, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	c := &Collector{
		o: o, began: began, samples: map[result.Class]string{}, got: map[string]*Summary{}, firsts: map[string]time.Duration{},
		stopped: make(chan struct{}), ended: make(chan struct{}),
	}
	c.run = &result.Run{
		Schema: result.SchemaVersion, Target: o.Target, Method: o.Method, Rate: float64(o.Rate),
		Duration: o.Duration, KeepAlive: o.KeepAlive, Started: began.UTC(), Meta: maps.Clone(o.Meta),
	}
	o.Log.Put(result.Event{At: began.Sub(o.Log.Start()), Kind: result.EventPhase, Name: "attack start",
		Detail: fmt.Sprintf("%d requests/s to %s", o.Rate, o.Target)})
	c.w = &watched{t: newTally(o.Interval, began.Sub(o.Log.Start())), log: o.Log, run: *c.run, started: began}
	if o.Watch != nil {
		c.done = o.Watch.Watch(c.w.see)
	}
	c.cmds = startCommands(ctx, o.Log, o.Commands)
	if o.Progress != nil {
		go func() {
			newProgress(o.Progress, o.Log, began, o.Duration, &c.totals).run(c.stopped)
			close(c.ended)
		}()
	} else {
		close(c.ended)
	}
	return c, nil
}

// Add counts one result of one attacker, as decoded from its stream: its class from its
// status code or from the class it was sent with (Streamed), its pod from X-Pod.
func (c *Collector) Add(res *vegeta.Result) {
	class := Streamed(res)
	pod := res.Headers.Get(podHeader)
	lost := ""
	if class != "" {
		lost = pod
	}
	at := res.Timestamp.Sub(c.o.Log.Start())
	c.w.mu.Lock()
	c.w.t.add(at, res.Latency, class, pod, lost)
	if f, ok := c.firsts[res.Attack]; !ok || at < f {
		c.firsts[res.Attack] = at
	}
	if _, seen := c.samples[class]; class != "" && !seen {
		c.samples[class] = res.Error
	}
	s := c.got[res.Attack]
	if s == nil {
		s = &Summary{Attacker: res.Attack}
		c.got[res.Attack] = s
	}
	s.count(class)
	c.w.mu.Unlock()
	c.totals.requests.Add(1)
	if class == "" {
		c.totals.ok.Add(1)
	}
}

// share is one attacker's part of the rate.
type share struct {
	name string
	rate int // requests/s
}

// Expect says that attacker name (its results' Attack) sends rate requests/s of the whole:
// where the merged load falls short, the run says what each attacker sent of its share.
// Call it before Finish.
func (c *Collector) Expect(name string, rate int) {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	c.shares = append(c.shares, share{name, rate})
}

// Received is what has arrived of attacker name so far, counted as its Summary counts.
func (c *Collector) Received(name string) Summary {
	c.w.mu.Lock()
	defer c.w.mu.Unlock()
	if s := c.got[name]; s != nil {
		r := *s
		r.Errors = maps.Clone(s.Errors)
		return r
	}
	return Summary{Attacker: name}
}

// Finish ends the merged attack — the commands are stopped as Run stops them, the
// progress line ends — and returns the run: totals, latencies, timeline and pods of every
// result added, the events of o.Log. interrupted marks a run cut short (Ctrl-C).
func (c *Collector) Finish(ctx context.Context, interrupted bool) *result.Run {
	run := c.run
	run.Elapsed = time.Since(c.began)
	run.Interrupted = interrupted
	c.o.Log.Add(result.EventPhase, "attack end", "")
	c.cmds.stop(ctx, c.o.CommandGrace)
	close(c.stopped)
	<-c.ended
	c.w.mu.Lock()
	c.w.t.fill(run)
	if len(c.samples) > 0 {
		run.Samples = maps.Clone(c.samples)
	}
	c.w.mu.Unlock()
	run.Events = c.o.Log.Events()
	// It was to send from its start to its last request sent (the attackers stop when
	// told, and their requests in flight take longer).
	origin := c.began.Sub(c.o.Log.Start())
	window := c.w.t.latest - origin + time.Second/time.Duration(max(c.o.Rate, 1))
	pacer := vegeta.ConstantPacer{Freq: c.o.Rate, Per: time.Second}
	c.w.mu.Lock()
	each := c.each(origin + window)
	// The phases are judged once every attacker sends: they start a few hundred milliseconds
	// apart, which the whole run's floor allows for.
	from := origin
	for _, f := range c.firsts {
		from = max(from, f)
	}
	validate(run, &c.o, c.cmds.failures(), pacer, window, func() string { return each })
	validatePhases(run, &c.o, pacer, c.w.t.sends, origin, from, origin+window)
	c.w.mu.Unlock()
	if c.done != nil {
		c.done(run)
	}
	return run
}

// each is what each attacker sent of its share (Expect), from its own first request to end:
// "; by attacker, from its first request: attacker-0 50.00/s of its 50/s (100.0%),
// attacker-1 12.00/s of its 50/s (24.0%)"; "" when no share was expected. c.w.mu is held.
func (c *Collector) each(end time.Duration) string {
	if len(c.shares) == 0 {
		return ""
	}
	var parts []string
	for _, s := range c.shares {
		got := c.got[s.name]
		first, ok := c.firsts[s.name]
		if got == nil || !ok || end <= first {
			parts = append(parts, fmt.Sprintf("%s sent nothing of its %d/s", s.name, s.rate))
			continue
		}
		secs := (end - first).Seconds()
		p := ""
		if s.rate > 0 {
			p = " (" + result.Percent(float64(got.Requests)/(float64(s.rate)*secs)) + ")"
		}
		parts = append(parts, fmt.Sprintf("%s %.2f/s of its %d/s%s", s.name, float64(got.Requests)/secs, s.rate, p))
	}
	return "; by attacker, from its first request: " + strings.Join(parts, ", ")
}
