// Package attack sends load at a constant rate with the vegeta library and measures
// what every request met: each failure classified from its typed error, a timeline
// in fixed intervals (OK, each error class, p50/p99, which pods answered), and the
// events — timed shell commands and whatever else was put on the shared log — that
// happened meanwhile. It returns plain result.Run data; package report renders it.
package attack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// Options describe one attack. Zero values take the defaults noted.
type Options struct {
	Target string      // URL, http or https
	Method string      // GET
	Header http.Header // sent with every request
	Body   []byte

	Rate       int           // requests per second, > 0 unless a Pacer paces them
	Pacer      vegeta.Pacer  // when set, paces the requests instead of Rate: a Steps, say
	Duration   time.Duration // 0: until Stop is closed or ctx is done
	Timeout    time.Duration // per request, 30s
	Workers    uint64        // initial workers, 10
	MaxWorkers uint64        // 0: no limit
	KeepAlive  bool          // reuse connections

	// MinRate is the least share of the requests asked for a valid run sends, 0..1
	// (DefaultMinRate for the CLI); 0: no floor. Below it, the run proves nothing.
	MinRate float64

	Interval time.Duration // timeline slot, 250ms
	Commands []Command     // --at shell commands, offsets from Log.Start()
	// CommandGrace is how long a command still running when the load stops may go
	// on before it is killed: 10s.
	CommandGrace time.Duration

	// Upstream, when set, names the pod a request went to where its answer does not say
	// (no X-Pod: a proxy's own error, a broken connection, a timeout), from the proxy's
	// own record: by the request's X-Vegeta-Seq (seq) for an L7 proxy, by the local
	// address of its connection (local, "" when it had none) for an L4 one. "" when
	// unknown. It is asked about every failed request, once, after the request ended.
	Upstream func(seq uint64, local string) string

	// OwnSource: connections to a loopback target come from an address of 127.0.0.0/8 of
	// this attack's own (Linux; source.go says why). Only where whatever answers on the
	// target takes any such source: kube-proxy's NodePorts do, a container engine's port
	// mappings (podman's, for kind) masquerade 127.0.0.1 alone.
	OwnSource bool

	// Watch, when set, is told of the attack as it starts and may see it while it goes on.
	Watch Watcher

	Log      *result.Log     // events go here; its Start() is t0 (NewLog(time.Now()) when nil)
	Stop     <-chan struct{} // closing it ends the attack normally
	Progress io.Writer       // live progress; nil: none
	Meta     map[string]string
}

// Defaults.
const (
	DefaultTimeout  = 30 * time.Second
	DefaultWorkers  = 10
	DefaultInterval = 250 * time.Millisecond
	DefaultGrace    = 10 * time.Second
)

// check validates o and fills in its defaults.
func (o *Options) check() error {
	if o.Target == "" {
		return errors.New("no target URL")
	}
	if err := CheckURL(o.Target); err != nil {
		return fmt.Errorf("target %q: %w", o.Target, err)
	}
	switch {
	case o.Rate <= 0 && o.Pacer == nil:
		return fmt.Errorf("rate %d: want > 0 requests/s", o.Rate)
	case o.Duration < 0 || o.Timeout < 0 || o.Interval < 0 || o.CommandGrace < 0:
		return errors.New("negative duration, timeout, interval or command grace")
	case o.MinRate < 0 || o.MinRate > 1:
		return fmt.Errorf("min rate %g: want 0..1", o.MinRate)
	}
	for _, c := range o.Commands {
		if o.Duration > 0 && c.At > o.Duration {
			return fmt.Errorf("--at %s=%q: after the attack ends (%s)", c.At, c.Shell, o.Duration)
		}
	}
	if o.Method == "" {
		o.Method = http.MethodGet
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Workers == 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxWorkers == 0 {
		o.MaxWorkers = vegeta.DefaultMaxWorkers
	}
	if o.Interval == 0 {
		o.Interval = DefaultInterval
	}
	if o.CommandGrace == 0 {
		o.CommandGrace = DefaultGrace
	}
	if o.Log == nil {
		o.Log = result.NewLog(time.Now())
	}
	return nil
}

// CheckURL says why u cannot be a target: an http:// or https:// URL with a host. A
// host and port alone (127.0.0.1:8080/), which url.Parse reads as a path or a scheme,
// lacks the scheme.
func CheckURL(u string) error {
	if !strings.Contains(u, "://") {
		return errors.New("missing http:// or https://")
	}
	pu, err := url.Parse(u)
	switch {
	case err != nil:
		return errors.Unwrap(err) // url.Error repeats the URL
	case pu.Scheme != "http" && pu.Scheme != "https" || pu.Host == "":
		return errors.New("want an http:// or https:// URL")
	}
	return nil
}

// client is vegeta's HTTP client: a plain transport (no proxy from the environment:
// load goes where it is aimed) under the classifying tracer. Redirects are answers,
// not followed, so a 3xx counts as a success as it does in vegeta's reports.
func client(o *Options) (*http.Client, *tracer) {
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	if !o.KeepAlive {
		dialer.KeepAlive = -1
	}
	if o.OwnSource { // see source.go
		if ip := loopbackSource(o.Target); ip != nil {
			dialer.LocalAddr, dialer.Control = &net.TCPAddr{IP: ip}, bindNoPort
		}
	}
	tr := newTracer(&http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: vegeta.DefaultConnections,
		DisableKeepAlives:   !o.KeepAlive,
	}, o.Timeout, o.Upstream != nil)
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}, tr
}

// Run attacks o.Target until o.Duration has passed, o.Stop is closed or ctx is done,
// and returns what it measured. When ctx ends the attack, no request is sent after
// that, the requests in flight are still awaited, and the run is marked Interrupted.
// A run that proves nothing says why in its Invalid (validate). The error is only for
// bad options.
func Run(ctx context.Context, o Options) (*result.Run, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	c, tr := client(&o)
	attacker := vegeta.NewAttacker(
		vegeta.Client(c), vegeta.Workers(o.Workers), vegeta.MaxWorkers(o.MaxWorkers),
		vegeta.MaxBody(0), // only the status and the headers matter; the body is drained
	)
	targeter := vegeta.NewStaticTargeter(vegeta.Target{
		Method: o.Method, URL: o.Target, Header: o.Header, Body: o.Body,
	})
	log := o.Log

	began := time.Now()
	run := &result.Run{
		Schema: result.SchemaVersion, Target: o.Target, Method: o.Method,
		Rate: float64(o.Rate), Duration: o.Duration, KeepAlive: o.KeepAlive,
		Started: began.UTC(), Meta: maps.Clone(o.Meta),
	}
	var pacer vegeta.Pacer = vegeta.ConstantPacer{Freq: o.Rate, Per: time.Second}
	start := fmt.Sprintf("%d requests/s to %s", o.Rate, o.Target)
	if o.Pacer != nil {
		pacer, start = o.Pacer, fmt.Sprintf("%g requests/s to %s, paced", o.Pacer.Rate(0), o.Target)
	}
	log.Add(result.EventPhase, "attack start", start)
	cmds := startCommands(ctx, log, o.Commands)

	var totals counters
	progressDone := make(chan struct{})
	progressEnded := make(chan struct{})
	if o.Progress != nil {
		go func() {
			newProgress(o.Progress, log, began, o.Duration, &totals).run(progressDone)
			close(progressEnded)
		}()
	} else {
		close(progressEnded)
	}

	var interrupted atomic.Bool
	var stopped atomic.Int64 // when Stop or ctx stopped the load, from began; 0: they did not
	attackDone := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			interrupted.Store(true)
		case <-o.Stop:
		case <-attackDone:
			return
		}
		stopped.Store(int64(max(time.Since(began), 1)))
		attacker.Stop()
	}()

	t := newTally(o.Interval, began.Sub(log.Start()))
	add, fill := t.add, t.fill
	if o.Watch != nil {
		w := &watched{t: t, log: log, run: *run, started: began}
		add, fill = w.add, func(r *result.Run) { // fill sorts what a look copies
			w.mu.Lock()
			defer w.mu.Unlock()
			t.fill(r)
		}
		done := o.Watch.Watch(w.see)
		defer func() { done(run) }()
	}
	samples := map[result.Class]string{}
	var first time.Time // the earliest request's send time: when the pacer began
	for res := range attacker.Attack(targeter, pacer, o.Duration, "") {
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		class, local := failure(res, tr)
		pod, lost := res.Headers.Get("X-Pod"), ""
		if class != "" {
			lost = pod
			if lost == "" && o.Upstream != nil {
				lost = o.Upstream(res.Seq, local)
			}
		}
		add(res.Timestamp.Sub(log.Start()), res.Latency, class, pod, lost)
		if _, seen := samples[class]; class != "" && !seen {
			samples[class] = res.Error
		}
		totals.requests.Add(1)
		if class == "" {
			totals.ok.Add(1)
		}
	}
	close(attackDone)
	if o.Pacer != nil { // the rate asked for is the highest it asked for
		run.Rate = o.Pacer.Rate(0)
		if p, ok := o.Pacer.(interface{ Peak() float64 }); ok {
			run.Rate = p.Peak()
		}
	}
	run.Elapsed = time.Since(began)
	run.Interrupted = interrupted.Load()
	log.Add(result.EventPhase, "attack end", "")

	cmds.stop(ctx, o.CommandGrace)
	close(progressDone)
	<-progressEnded

	fill(run)
	if len(samples) > 0 {
		run.Samples = samples
	}
	run.Events = log.Events()
	// How long it was to send for: the duration, or until the stop, counted from the first
	// request (the pacer's start) rather than from began, so that a busy machine's delay in
	// starting the attack does not count as requests not sent.
	window := o.Duration
	if s := time.Duration(stopped.Load()); s > 0 && (window == 0 || s < window) {
		window = s
		if !first.IsZero() {
			window = max(s-first.Sub(began), 0)
		}
	}
	validate(run, &o, cmds.failures(), pacer, window, nil)
	if !first.IsZero() {
		from := first.Sub(log.Start())
		validatePhases(run, &o, pacer, t.sends, from, from, from+window)
	}
	return run, nil
}

// failure is the class of a failed result, "" for a success, and the local address of
// its connection when the tracer noted one. A result with a status code is classified by
// it; one without failed in the transport or while its body was read, and the tracer
// filed the typed class under its sequence number.
func failure(res *vegeta.Result, tr *tracer) (result.Class, string) {
	if res.Error == "" {
		return "", ""
	}
	if res.Code != 0 {
		c, _ := ClassifyStatus(int(res.Code))
		return c, ""
	}
	f := tr.take(res.Seq)
	return f.class, f.local
}
