// Command hello is scalelab's demo service: a small HTTP server whose whole lifecycle is
// configurable, so that what Kubernetes does to a pod — start it, probe it, route to it,
// stop it — can be watched losing requests or not.
//
// Read it top to bottom; it is the lesson:
//
//  1. Startup. For --startup-delay nothing listens (probes see "connection refused"), unless
//     --listen-early: then it listens at once, /livez says 200 and /readyz 503 until warm.
//  2. Serving. "/" first spends --request-cpu of CPU time (or ?cpu=, capped by --max-cpu), as
//     a service's own work does, so that load drives CPU and a HorizontalPodAutoscaler has
//     something to measure; then it answers after --request-delay (or ?delay=, capped by
//     --max-delay).
//  3. Shutdown, on SIGTERM or SIGINT: readiness fails at once, keep-alives stop (answers
//     carry "Connection: close"), it keeps serving for --shutdown-delay while every proxy
//     catches up, then it drains in-flight requests for at most --drain-timeout. Exit 0
//     when drained, 1 when the drain timed out; a second signal exits at once with 1.
//
// `hello sleep 5s` only sleeps: a preStop hook for an image with no shell. `hello version`
// prints its version.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"scalelab/internal/helloflag"
	"scalelab/internal/version"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/pflag"
)

func main() {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr, sigs))
}

// config is everything the flags (or HELLO_<NAME> variables) set.
type config struct {
	addr          string
	startupDelay  time.Duration
	listenEarly   bool
	requestDelay  time.Duration
	maxDelay      time.Duration
	requestCPU    time.Duration
	maxCPU        time.Duration
	shutdownDelay time.Duration
	drainTimeout  time.Duration
	logFormat     string
	logLevel      string
}

// parseConfig reads the flags of args, each defaulting to its HELLO_<NAME> variable.
func parseConfig(args []string, getenv func(string) string) (config, *pflag.FlagSet, error) {
	var c config
	fs := pflag.NewFlagSet("hello", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.addr, "addr", ":8080", "address to listen on")
	fs.DurationVar(&c.startupDelay, "startup-delay", 0, "time to warm up before serving")
	fs.BoolVar(&c.listenEarly, "listen-early", false, "listen during the startup delay (/livez 200, /readyz 503)")
	fs.DurationVar(&c.requestDelay, "request-delay", 0, "time each request of / takes (per request: ?delay=)")
	fs.DurationVar(&c.maxDelay, "max-delay", 30*time.Second, "cap on any request's delay")
	fs.DurationVar(&c.requestCPU, "request-cpu", 0, "CPU time each request of / spends, busy (per request: ?cpu=)")
	fs.DurationVar(&c.maxCPU, "max-cpu", time.Second, "cap on any request's CPU time")
	fs.DurationVar(&c.shutdownDelay, "shutdown-delay", 0, "time to keep serving after SIGTERM, not ready")
	fs.DurationVar(&c.drainTimeout, "drain-timeout", 30*time.Second, "time to wait for in-flight requests after the shutdown delay")
	fs.StringVar(&c.logFormat, "log-format", "json", "log format: json or text")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: info or debug (debug logs every request)")

	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name := helloflag.Env(f.Name)
		if v := getenv(name); v != "" && err == nil {
			if serr := fs.Set(f.Name, v); serr != nil {
				err = fmt.Errorf("invalid %s=%q: %w", name, v, serr)
			}
		}
	})
	if err != nil {
		return c, fs, err
	}
	if err := fs.Parse(args); err != nil {
		return c, fs, err
	}
	if fs.NArg() > 0 {
		return c, fs, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	for name, d := range map[string]time.Duration{
		"startup-delay": c.startupDelay, "request-delay": c.requestDelay, "max-delay": c.maxDelay,
		"request-cpu": c.requestCPU, "max-cpu": c.maxCPU, "shutdown-delay": c.shutdownDelay, "drain-timeout": c.drainTimeout,
	} {
		if d < 0 {
			return c, fs, fmt.Errorf("--%s must not be negative, got %s", name, d)
		}
	}
	if c.logFormat != "json" && c.logFormat != "text" {
		return c, fs, fmt.Errorf("--log-format must be json or text, got %q", c.logFormat)
	}
	if c.logLevel != "info" && c.logLevel != "debug" {
		return c, fs, fmt.Errorf("--log-level must be info or debug, got %q", c.logLevel)
	}
	return c, fs, nil
}

// run is the whole program; it returns the exit status. --help prints the usage on
// stdout and exits 0; bad usage prints one line and the usage on stderr and exits 2.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer, sigs <-chan os.Signal) int {
	if len(args) > 0 && args[0] == "sleep" {
		return sleepCommand(args[1:], stderr)
	}
	if len(args) == 1 && (args[0] == "version" || args[0] == "--version") {
		fmt.Fprintln(stdout, "hello", version.String())
		return 0
	}
	cfg, fs, err := parseConfig(args, getenv)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdout, usage(fs))
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "hello: %v\n%s", err, usage(fs))
		return 2
	}
	log := newLogger(cfg, stderr)
	s := newServer(cfg, podName(getenv), log)
	return s.lifecycle(sigs)
}

// usage is what --help prints: the synopsis, where else the flags come from, the flags.
func usage(fs *pflag.FlagSet) string {
	return fmt.Sprintf("Usage: hello [flags] | hello sleep DURATION | hello version\n"+
		"Each flag may also be set by a variable, the flag winning: --shutdown-delay by %s.\n%s",
		helloflag.Env("shutdown-delay"), fs.FlagUsages())
}

// lifecycle runs the three acts of the lesson and returns the exit status.
func (s *server) lifecycle(sigs <-chan os.Signal) int {
	cfg := s.cfg
	s.event("starting", "pod", s.pod, "startup_delay", cfg.startupDelay, "listen_early", cfg.listenEarly,
		"shutdown_delay", cfg.shutdownDelay, "drain_timeout", cfg.drainTimeout)

	// Act 1: startup.
	var ln net.Listener
	listen := func() bool {
		var err error
		if ln, err = net.Listen("tcp", cfg.addr); err != nil {
			s.log.Error("listen failed", "addr", cfg.addr, "err", err)
			return false
		}
		s.event("listening", "addr", ln.Addr().String())
		go func() {
			if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("serve failed", "err", err)
			}
		}()
		return true
	}
	if cfg.listenEarly && !listen() {
		return 1
	}
	select {
	case <-time.After(cfg.startupDelay):
	case sig := <-sigs:
		s.event("signal during startup: stopping", "signal", sig.String())
		if ln != nil {
			s.http.Close()
		}
		s.event("exited", "code", 0)
		return 0
	}
	s.setState(stateReady) // before listening, so the first connection finds it ready
	if !cfg.listenEarly && !listen() {
		return 1
	}
	s.event("ready")

	// Act 2: serve until told to stop.
	sig := <-sigs

	// Act 3: shutdown. Readiness fails now; the proxies notice later, so keep serving.
	s.setState(stateDraining)
	s.http.SetKeepAlivesEnabled(false)
	s.event("signal: not ready, keep-alives off", "signal", sig.String(), "shutdown_delay", cfg.shutdownDelay)
	select {
	case <-time.After(cfg.shutdownDelay):
	case sig := <-sigs:
		return s.abort(sig)
	}

	s.event("draining", "drain_timeout", cfg.drainTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.drainTimeout)
	defer cancel()
	drained := make(chan error, 1)
	go func() { drained <- s.http.Shutdown(ctx) }()
	select {
	case err := <-drained:
		if err != nil {
			s.event("drain timed out", "err", err.Error())
			s.event("exited", "code", 1)
			return 1
		}
	case sig := <-sigs:
		return s.abort(sig)
	}
	s.event("shutdown complete")
	s.event("exited", "code", 0)
	return 0
}

// abort is the answer to a second signal: stop at once.
func (s *server) abort(sig os.Signal) int {
	s.event("second signal: exiting now", "signal", sig.String())
	s.http.Close()
	s.event("exited", "code", 1)
	return 1
}

// sleepCommand is `hello sleep DURATION`.
func sleepCommand(args []string, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "hello: usage: hello sleep DURATION (e.g. 5s)")
		return 2
	}
	d, err := time.ParseDuration(args[0])
	if err != nil || d < 0 {
		fmt.Fprintf(stderr, "hello: sleep: invalid duration %q\n", args[0])
		return 2
	}
	time.Sleep(d)
	return 0
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: readableDurations}
	if cfg.logLevel == "debug" {
		opts.Level = slog.LevelDebug
	}
	if cfg.logFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// readableDurations logs a duration as "1.5s" rather than as nanoseconds.
func readableDurations(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		a.Value = slog.StringValue(a.Value.Duration().String())
	}
	return a
}

// podName is what answers carry in X-Pod: POD_NAME (the downward API), else the hostname.
func podName(getenv func(string) string) string {
	if p := getenv("POD_NAME"); p != "" {
		return p
	}
	h, _ := os.Hostname()
	return h
}

// The lifecycle states, also exported as the hello_state metric.
const (
	stateStarting int32 = iota
	stateReady
	stateDraining
)

var stateNames = [...]string{"starting", "ready", "draining"}

// event logs one lifecycle step with the in-flight count.
func (s *server) event(msg string, args ...any) {
	s.log.Info(msg, append(args, "state", stateNames[s.state.Load()], "in_flight", s.inFlight.Load())...)
}

func (s *server) setState(st int32) { s.state.Store(st) }

// server is the HTTP side: handlers, readiness, metrics.
type server struct {
	cfg      config
	pod      string
	log      *slog.Logger
	http     *http.Server
	state    atomic.Int32
	disabled atomic.Bool // POST /readyz/disable
	inFlight atomic.Int64
	metrics  *metrics
}

func newServer(cfg config, pod string, log *slog.Logger) *server {
	s := &server{cfg: cfg, pod: pod, log: log}
	s.metrics = newMetrics(s)
	s.http = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      cfg.maxDelay + cfg.maxCPU + 10*time.Second,
		IdleTimeout:       90 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	return s
}

// routes are the service's endpoints, inside the middleware that counts and names answers.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", s.hello)
	mux.HandleFunc("GET /livez", s.livez)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /status", s.readyz) // the tutorial's manifests probe /status
	mux.HandleFunc("POST /readyz/enable", s.setReadiness(true))
	mux.HandleFunc("POST /readyz/disable", s.setReadiness(false))
	mux.Handle("GET /metrics", s.metrics.handler())
	return s.instrument(mux)
}

// hello is "/": it spends --request-cpu of CPU time (or ?cpu=, capped by --max-cpu), then
// waits --request-delay (or ?delay=, capped by --max-delay), and answers. A client that goes
// away ends both at once.
func (s *server) hello(w http.ResponseWriter, r *http.Request) {
	if s.state.Load() == stateStarting {
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	}
	cpu, ok := s.duration(w, r, "cpu", s.cfg.requestCPU, s.cfg.maxCPU)
	if !ok {
		return
	}
	d, ok := s.duration(w, r, "delay", s.cfg.requestDelay, s.cfg.maxDelay)
	if !ok {
		return
	}
	if cpu > 0 && !burn(r.Context(), cpu) {
		return // the client went away: no answer to give
	}
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
	}
	fmt.Fprintf(w, "Hello world! from %s\n", s.pod)
}

// duration is the request's query parameter name as a duration (def when absent), capped
// at limit; a bad value is answered 400 and reported false.
func (s *server) duration(w http.ResponseWriter, r *http.Request, name string, def, limit time.Duration) (time.Duration, bool) {
	d := def
	if q := r.URL.Query().Get(name); q != "" {
		v, err := time.ParseDuration(q)
		if err != nil || v < 0 {
			http.Error(w, fmt.Sprintf("invalid %s %q", name, q), http.StatusBadRequest)
			return 0, false
		}
		d = v
	}
	return min(d, limit), true
}

// spin is where burn's arithmetic goes, so that the compiler keeps it.
var spin atomic.Uint64

// burn keeps the calling goroutine busy on the CPU until its thread has spent d of CPU time
// (threadCPU), or until ctx ends; it reports whether it spent all of d. CPU time rather
// than wall time: what a request costs is CPU seconds, which is what a HorizontalPodAutoscaler
// reads from the container's cgroup. On a busy machine a wall-time loop would be descheduled
// part of the time and cost less than asked, so utilisation would depend on the neighbours;
// measured on the thread, the cost stays the same and the answer takes longer instead, as a
// CPU-bound handler's does. The goroutine is locked to its thread meanwhile, so that the
// thread's clock is the request's.
func burn(ctx context.Context, d time.Duration) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	clock := threadCPU()
	start := clock()
	x := spin.Load() | 1
	for {
		for range 4096 { // some 10 µs of work between two looks at the clock
			x = x*6364136223846793005 + 1442695040888963407
		}
		if clock()-start >= d {
			spin.Store(x)
			return true
		}
		if ctx.Err() != nil {
			spin.Store(x)
			return false
		}
	}
}

// livez answers 200 for as long as the process runs: a liveness probe must not fail
// merely because the pod is starting or stopping.
func (s *server) livez(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintln(w, "ok")
}

// ready is what /readyz reports: warmed up, not shutting down, not disabled by hand.
func (s *server) ready() bool {
	return s.state.Load() == stateReady && !s.disabled.Load()
}

func (s *server) readyz(w http.ResponseWriter, _ *http.Request) {
	if !s.ready() {
		reason := stateNames[s.state.Load()]
		if s.disabled.Load() {
			reason = "disabled"
		}
		http.Error(w, "not ready: "+reason, http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

func (s *server) setReadiness(enabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		s.disabled.Store(!enabled)
		s.event("readiness set by hand", "enabled", enabled)
		fmt.Fprintf(w, "readiness enabled: %t\n", enabled)
	}
}

// instrument names the pod on every answer and counts requests by route and code, and in
// flight.
func (s *server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		w.Header().Set("X-Pod", s.pod)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		next.ServeHTTP(rec, r)
		code := rec.code
		if code == 0 && r.Context().Err() != nil {
			code = -1 // the client went away before an answer
		} else if code == 0 {
			code = http.StatusOK
		}
		s.metrics.observe(r.Pattern, code) // the mux set it on r as it routed
		if s.log.Enabled(r.Context(), slog.LevelDebug) {
			s.log.Debug("request", "method", r.Method, "uri", r.RequestURI, "code", code,
				"duration", time.Since(start), "in_flight", s.inFlight.Load())
		}
	})
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}
