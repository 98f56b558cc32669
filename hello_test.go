package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// newTestServer serves hello's routes over real HTTP on loopback, in the given state.
func newTestServer(t *testing.T, cfg config, state int32) (*server, *httptest.Server) {
	t.Helper()
	if cfg.maxDelay == 0 {
		cfg.maxDelay = 30 * time.Second
	}
	if cfg.maxCPU == 0 {
		cfg.maxCPU = time.Second
	}
	s := newServer(cfg, "pod-a", slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.setState(state)
	ts := httptest.NewServer(s.http.Handler)
	t.Cleanup(ts.Close)
	return s, ts
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestHelloDelays(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, config{requestDelay: 20 * time.Millisecond, maxDelay: 150 * time.Millisecond}, stateReady)
	tests := []struct {
		query    string
		code     int
		min, max time.Duration // how long the answer may take
	}{
		{"", 200, 20 * time.Millisecond, testbin.Patience},
		{"?delay=0s", 200, 0, testbin.Patience},
		{"?delay=80ms", 200, 80 * time.Millisecond, testbin.Patience},
		{"?delay=1h", 200, 150 * time.Millisecond, testbin.Patience}, // capped by --max-delay: not the hour
		{"?delay=soon", 400, 0, testbin.Patience},
		{"?delay=-1s", 400, 0, testbin.Patience},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			start := time.Now()
			code, h, body := get(t, ts.URL+"/"+tt.query)
			took := time.Since(start)
			if code != tt.code {
				t.Fatalf("code %d, want %d (%s)", code, tt.code, body)
			}
			if took < tt.min || took > tt.max {
				t.Errorf("took %s, want between %s and %s", took, tt.min, tt.max)
			}
			if h.Get("X-Pod") != "pod-a" {
				t.Errorf("X-Pod %q, want pod-a", h.Get("X-Pod"))
			}
			if code == 200 && body != "Hello world! from pod-a\n" {
				t.Errorf("body %q", body)
			}
		})
	}
}

// A client that leaves ends its request's wait and its CPU work alike: neither runs its hour.
func TestHelloStopsWhenClientLeaves(t *testing.T) {
	t.Parallel()
	for _, query := range []string{"?delay=1h", "?cpu=1h"} {
		t.Run(query, func(t *testing.T) {
			t.Parallel()
			s, ts := newTestServer(t, config{maxDelay: time.Hour, maxCPU: time.Hour}, stateReady)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/"+query, nil)
			errs := make(chan error, 1)
			go func() {
				_, err := http.DefaultClient.Do(req)
				errs <- err
			}()
			waitInFlightCount := func(n int64, what string) {
				t.Helper()
				deadline := time.Now().Add(testbin.Patience)
				for s.inFlight.Load() != n {
					if time.Now().After(deadline) {
						t.Fatalf("%s within %s: %d requests in flight", what, testbin.Patience, s.inFlight.Load())
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
			waitInFlightCount(1, "the request is not served") // the handler sleeps or spins its hour
			cancel()
			if err := <-errs; !errors.Is(err, context.Canceled) {
				t.Fatalf("err %v, want the client's cancellation", err)
			}
			// The handler must return long before its hour: in-flight drops back to zero.
			waitInFlightCount(0, "the request is still in flight after its client left")
			if _, _, m := get(t, ts.URL+"/metrics"); !strings.Contains(m, `hello_requests_total{code="canceled",route="/{$}"} 1`) {
				t.Errorf("metrics do not count the canceled request:\n%s", grepLines(m, "hello_requests_total"))
			}
		})
	}
}

func TestProbeEndpoints(t *testing.T) {
	t.Parallel()
	tests := []struct {
		state                  int32
		root, livez, readyz    int
		afterDisable, afterEna int // /readyz after POST /readyz/disable, then /readyz/enable
	}{
		{stateStarting, 503, 200, 503, 503, 503},
		{stateReady, 200, 200, 200, 503, 200},
		{stateDraining, 200, 200, 503, 503, 503},
	}
	for _, tt := range tests {
		t.Run(stateNames[tt.state], func(t *testing.T) {
			t.Parallel()
			_, ts := newTestServer(t, config{}, tt.state)
			for path, want := range map[string]int{"/": tt.root, "/livez": tt.livez, "/readyz": tt.readyz, "/status": tt.readyz} {
				if code, _, _ := get(t, ts.URL+path); code != want {
					t.Errorf("%s: %d, want %d", path, code, want)
				}
			}
			for _, step := range []struct {
				path string
				want int
			}{{"/readyz/disable", tt.afterDisable}, {"/readyz/enable", tt.afterEna}} {
				resp, err := http.Post(ts.URL+step.path, "text/plain", nil)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if code, _, _ := get(t, ts.URL+"/readyz"); code != step.want {
					t.Errorf("/readyz after %s: %d, want %d", step.path, code, step.want)
				}
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, config{shutdownDelay: 5 * time.Second}, stateReady)
	get(t, ts.URL+"/")
	get(t, ts.URL+"/?delay=bad")
	get(t, ts.URL+"/readyz")
	get(t, ts.URL+"/no/such/page")
	_, _, m := get(t, ts.URL+"/metrics")
	for _, want := range []string{
		// By route, so probes and scrapes never mix with the traffic.
		`hello_requests_total{code="200",route="/{$}"} 1`,
		`hello_requests_total{code="400",route="/{$}"} 1`,
		`hello_requests_total{code="200",route="GET /readyz"} 1`,
		`hello_requests_total{code="404",route="unmatched"} 1`,
		`hello_requests_in_flight 1`, // the /metrics request itself
		`hello_ready 1`,
		`hello_state{state="ready"} 1`,
		`hello_state{state="draining"} 0`,
		`hello_config_seconds{setting="shutdown_delay"} 5`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(config) bool
		wantErr string
	}{
		{"defaults", nil, nil, func(c config) bool {
			return c.addr == ":8080" && c.maxDelay == 30*time.Second && c.drainTimeout == 30*time.Second && !c.listenEarly &&
				c.requestCPU == 0 && c.maxCPU == time.Second
		}, ""},
		{"env", nil, map[string]string{"HELLO_SHUTDOWN_DELAY": "5s", "HELLO_LISTEN_EARLY": "true"}, func(c config) bool {
			return c.shutdownDelay == 5*time.Second && c.listenEarly
		}, ""},
		{"flag wins over env", []string{"--shutdown-delay=2s"}, map[string]string{"HELLO_SHUTDOWN_DELAY": "5s"}, func(c config) bool {
			return c.shutdownDelay == 2*time.Second
		}, ""},
		{"cpu", []string{"--max-cpu=20ms"}, map[string]string{"HELLO_REQUEST_CPU": "2ms"}, func(c config) bool {
			return c.requestCPU == 2*time.Millisecond && c.maxCPU == 20*time.Millisecond
		}, ""},
		{"negative", []string{"--drain-timeout", "-1s"}, nil, nil, "--drain-timeout must not be negative"},
		{"negative cpu", []string{"--request-cpu", "-1ms"}, nil, nil, "--request-cpu must not be negative"},
		{"unparsable", []string{"--startup-delay", "soon"}, nil, nil, `invalid argument "soon"`},
		{"bad env", nil, map[string]string{"HELLO_REQUEST_DELAY": "slow"}, nil, `invalid HELLO_REQUEST_DELAY="slow"`},
		{"unknown flag", []string{"--colour"}, nil, nil, "unknown flag: --colour"},
		{"stray argument", []string{"serve"}, nil, nil, `unexpected argument "serve"`},
		{"log format", []string{"--log-format", "xml"}, nil, nil, "--log-format must be json or text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _, err := parseConfig(tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.want(c) {
				t.Fatalf("config %+v, err %v", c, err)
			}
		})
	}
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// --- real processes, real signals ---

// waitInFlight waits until hello at base is serving n requests besides the /metrics
// request that asks.
func waitInFlight(t *testing.T, base string, n int) {
	t.Helper()
	want := fmt.Sprintf("hello_requests_in_flight %d\n", n+1)
	deadline := time.Now().Add(testbin.Patience)
	for {
		_, _, m := get(t, base+"/metrics")
		if strings.Contains(m, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not %d requests in flight within %s:\n%s", n, testbin.Patience, grepLines(m, "in_flight"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noKeepAlive is a client whose every request opens a new connection, like a probe.
var noKeepAlive = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}

func status(t *testing.T, url string) int {
	t.Helper()
	resp, err := noKeepAlive.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// startupDelay is long enough that a test still sees hello starting after a stall of the
// machine, and short enough to wait out.
const startupDelay = "10s"

func TestStartupWithoutListenEarlyRefuses(t *testing.T) {
	t.Parallel()
	addr := testbin.Addr(t) // known before hello listens: it must refuse there meanwhile
	p := testbin.StartHello(t, nil, "--addr", addr, "--startup-delay", startupDelay)
	p.WaitLog(t, "starting")
	_, err := noKeepAlive.Get("http://" + addr + "/livez")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("during the startup delay: %v, want connection refused", err)
	}
	p.WaitLog(t, "ready")
	if code := status(t, "http://"+addr+"/"); code != 200 {
		t.Fatalf("after startup: %d, want 200", code)
	}
}

func TestStartupWithListenEarly(t *testing.T) {
	t.Parallel()
	p := testbin.StartHello(t, nil, "--startup-delay", startupDelay, "--listen-early")
	base := "http://" + p.Addr(t)
	for path, want := range map[string]int{"/livez": 200, "/readyz": 503, "/": 503} {
		if code := status(t, base+path); code != want {
			t.Errorf("%s while starting: %d, want %d", path, code, want)
		}
	}
	p.WaitLog(t, "ready")
	for path, want := range map[string]int{"/livez": 200, "/readyz": 200, "/": 200} {
		if code := status(t, base+path); code != want {
			t.Errorf("%s when ready: %d, want %d", path, code, want)
		}
	}
}

// Each request of / spends its CPU time in hello's process, where a kubelet's cgroup counts
// it: measured from outside, in /proc/<pid>/stat (user and system time, in 10 ms ticks), as
// the lab's autoscaler reads it.
func TestRequestCPU(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/<pid>/stat")
	}
	p := testbin.StartHello(t, nil, "--request-cpu=20ms", "--max-cpu=50ms")
	p.WaitLog(t, "ready")
	base := "http://" + p.Addr(t)
	for _, tt := range []struct {
		query string
		n     int
		code  int
		want  time.Duration // the CPU time the n requests cost together
	}{
		{"", 10, 200, 200 * time.Millisecond},
		{"?cpu=40ms", 5, 200, 200 * time.Millisecond},
		{"?cpu=1h", 4, 200, 200 * time.Millisecond},    // capped by --max-cpu: 50 ms each
		{"?cpu=1ms", 100, 200, 100 * time.Millisecond}, // short ones too: a clock that lags does not
		{"?cpu=0s", 10, 200, 0},
		{"?cpu=soon", 1, 400, 0},
		{"?cpu=-1ms", 1, 400, 0},
	} {
		t.Run(tt.query, func(t *testing.T) {
			before := procCPU(t, p.Pid)
			for range tt.n { // on one kept-alive connection: the least serving costs
				if code, _, _ := get(t, base+"/"+tt.query); code != tt.code {
					t.Fatalf("code %d, want %d", code, tt.code)
				}
			}
			// A tick either side; the requests' own serving costs well under 100 ms.
			got := procCPU(t, p.Pid) - before
			if got < tt.want-10*time.Millisecond || got > tt.want+100*time.Millisecond {
				t.Errorf("%d requests cost %s of CPU, want %s", tt.n, got, tt.want)
			}
			t.Logf("%d requests cost %s of CPU", tt.n, got)
		})
	}
}

// procCPU is the user and system CPU time of process pid, from /proc/<pid>/stat (fields 14
// and 15, in USER_HZ ticks: 100 a second).
func procCPU(t *testing.T, pid int) time.Duration {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// The command, field 2, is in parentheses and may hold spaces: count after its end.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, b)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

func TestSIGTERMSequence(t *testing.T) {
	t.Parallel()
	// 5 s: the checks "during the shutdown delay" below hold on a stalling machine.
	p := testbin.StartHello(t, nil, "--shutdown-delay", "5s")
	p.WaitLog(t, "ready")
	base := "http://" + p.Addr(t)

	slow := make(chan error, 1)
	go func() { // in flight across the whole shutdown delay: it must complete
		resp, err := http.Get(base + "/?delay=6s")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = errors.New("slow request: " + resp.Status)
			}
		}
		slow <- err
	}()
	waitInFlight(t, base, 1)

	sent := time.Now()
	p.Signal(t, syscall.SIGTERM)
	p.WaitLog(t, "signal")
	if code := status(t, base+"/readyz"); code != 503 {
		t.Fatalf("/readyz after SIGTERM: %d, want 503", code)
	}
	t.Logf("readiness failed %s after the signal was sent", time.Since(sent))

	resp, err := http.Get(base + "/") // inside the shutdown delay: still served, without keep-alive
	if err != nil {
		t.Fatalf("during the shutdown delay: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close {
		t.Errorf("during the shutdown delay: %d, Connection: close %t; want 200 and close", resp.StatusCode, resp.Close)
	}
	if err := <-slow; err != nil {
		t.Errorf("in-flight request: %v", err)
	}
	if code := p.Exit(t, testbin.Patience); code != 0 {
		t.Errorf("exit %d, want 0 after a complete drain", code)
	}
}

func TestDrainTimeoutExitsOne(t *testing.T) {
	t.Parallel()
	p := testbin.StartHello(t, nil, "--drain-timeout", "200ms")
	p.WaitLog(t, "ready")
	base := "http://" + p.Addr(t)
	go http.Get(base + "/?delay=20s") // ends with hello
	waitInFlight(t, base, 1)
	p.Signal(t, syscall.SIGTERM)
	p.WaitLog(t, "drain timed out")
	if code := p.Exit(t, testbin.Patience); code != 1 {
		t.Errorf("exit %d, want 1 when the drain times out", code)
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	p := testbin.StartHello(t, nil, "--shutdown-delay", "1h")
	p.WaitLog(t, "ready")
	p.Signal(t, syscall.SIGTERM)
	p.WaitLog(t, "signal")
	p.Signal(t, syscall.SIGINT)
	if code := p.Exit(t, testbin.Patience); code != 1 { // far less than the hour
		t.Errorf("exit %d, want 1 after a second signal", code)
	}
}

func TestSignalDuringStartupExitsCleanly(t *testing.T) {
	t.Parallel()
	for _, early := range []bool{false, true} {
		t.Run("listen-early="+strconv.FormatBool(early), func(t *testing.T) {
			t.Parallel()
			p := testbin.StartHello(t, nil, "--startup-delay", "1h", "--listen-early="+strconv.FormatBool(early))
			p.WaitLog(t, "starting")
			p.Signal(t, syscall.SIGTERM)
			if code := p.Exit(t, testbin.Patience); code != 0 { // far less than the hour
				t.Errorf("exit %d, want 0", code)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"sleep", "50ms"}, 0, ""},
		{[]string{"sleep", "later"}, 2, `hello: sleep: invalid duration "later"`},
		{[]string{"sleep"}, 2, "hello: usage: hello sleep DURATION"},
		{[]string{"version"}, 0, ""},
		{[]string{"--version"}, 0, ""},
		{[]string{"version", "x"}, 2, "hello: unexpected argument \"version\"\nUsage:"},
		{[]string{"--shutdown-delay", "-5s"}, 2, "hello: --shutdown-delay must not be negative, got -5s\nUsage:"},
		{[]string{"--nope"}, 2, "hello: unknown flag: --nope\nUsage:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr strings.Builder
			cmd := exec.Command(testbin.Build(t, testbin.Hello), tt.args...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			code := 0
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.code || !strings.HasPrefix(stderr.String(), tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tt.code, tt.stderr)
			}
		})
	}
}

// hello --help (and -h) prints its usage on stdout, nothing on stderr, and exits 0.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			cmd := exec.Command(testbin.Build(t, testbin.Hello), arg)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Errorf("%v, want exit 0", err)
			}
			if !strings.HasPrefix(stdout.String(), "Usage: hello [flags]") || !strings.Contains(stdout.String(), "--shutdown-delay") ||
				!strings.Contains(stdout.String(), "HELLO_SHUTDOWN_DELAY") || stderr.Len() != 0 {
				t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}
