package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// helloBin is the hello binary built once by TestMain, for the tests that need a real
// process and real signals.
var helloBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hello-test")
	if err != nil {
		panic(err)
	}
	helloBin = filepath.Join(dir, "hello")
	if out, err := exec.Command("go", "build", "-o", helloBin, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("building hello: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newTestServer serves hello's routes over real HTTP on loopback, in the given state.
func newTestServer(t *testing.T, cfg config, state int32) (*server, *httptest.Server) {
	t.Helper()
	if cfg.maxDelay == 0 {
		cfg.maxDelay = 30 * time.Second
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
		{"", 200, 20 * time.Millisecond, 5 * time.Second},
		{"?delay=0s", 200, 0, 5 * time.Second},
		{"?delay=80ms", 200, 80 * time.Millisecond, 5 * time.Second},
		{"?delay=1h", 200, 150 * time.Millisecond, 5 * time.Second}, // capped by --max-delay
		{"?delay=soon", 400, 0, 5 * time.Second},
		{"?delay=-1s", 400, 0, 5 * time.Second},
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

func TestHelloStopsSleepingWhenClientLeaves(t *testing.T) {
	t.Parallel()
	s, ts := newTestServer(t, config{}, stateReady)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", ts.URL+"/?delay=20s", nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the client's deadline", err)
	}
	// The handler must return long before its 20 s: in-flight drops back to zero.
	deadline := time.Now().Add(5 * time.Second)
	for s.inFlight.Load() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request is still in flight 5 s after its client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, m := get(t, ts.URL+"/metrics"); !strings.Contains(m, `hello_requests_total{code="canceled",route="/{$}"} 1`) {
		t.Errorf("metrics do not count the canceled request:\n%s", grepLines(m, "hello_requests_total"))
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
			return c.addr == ":8080" && c.maxDelay == 30*time.Second && c.drainTimeout == 30*time.Second && !c.listenEarly
		}, ""},
		{"env", nil, map[string]string{"HELLO_SHUTDOWN_DELAY": "5s", "HELLO_LISTEN_EARLY": "true"}, func(c config) bool {
			return c.shutdownDelay == 5*time.Second && c.listenEarly
		}, ""},
		{"flag wins over env", []string{"--shutdown-delay=2s"}, map[string]string{"HELLO_SHUTDOWN_DELAY": "5s"}, func(c config) bool {
			return c.shutdownDelay == 2*time.Second
		}, ""},
		{"negative", []string{"--drain-timeout", "-1s"}, nil, nil, "--drain-timeout must not be negative"},
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

// proc is a running hello process and the lifecycle log lines it has written.
type proc struct {
	cmd  *exec.Cmd
	addr string
	done chan struct{} // closed when the process has exited
	mu   sync.Mutex
	msgs []string
	seen chan struct{} // signalled on every log line
}

// startHello runs the hello binary on a free loopback port with the given flags.
func startHello(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{addr: freeAddr(t), done: make(chan struct{}), seen: make(chan struct{}, 1)}
	p.cmd = exec.Command(helloBin, append([]string{"--addr", p.addr}, args...)...)
	p.cmd.Env = append(os.Environ(), "POD_NAME=proc-pod")
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct{ Msg string }
			if json.Unmarshal(sc.Bytes(), &line) == nil {
				p.mu.Lock()
				p.msgs = append(p.msgs, line.Msg)
				p.mu.Unlock()
				select {
				case p.seen <- struct{}{}:
				default:
				}
			}
		}
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitLog waits until a log line with the message has been written.
func (p *proc) waitLog(t *testing.T, msg string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		p.mu.Lock()
		for _, m := range p.msgs {
			if strings.HasPrefix(m, msg) {
				p.mu.Unlock()
				return
			}
		}
		p.mu.Unlock()
		select {
		case <-p.seen:
		case <-p.done:
			t.Fatalf("hello exited before logging %q", msg)
		case <-timeout:
			t.Fatalf("hello did not log %q within 20 s", msg)
		}
	}
}

// exitCode waits for the process to exit and returns its status and how long that took.
func (p *proc) exitCode(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("hello still running after %s", within)
		return -1
	}
}

func (p *proc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
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

func TestStartupWithoutListenEarlyRefuses(t *testing.T) {
	t.Parallel()
	p := startHello(t, "--startup-delay", "3s")
	p.waitLog(t, "starting")
	_, err := noKeepAlive.Get("http://" + p.addr + "/livez")
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("during the startup delay: %v, want connection refused", err)
	}
	p.waitLog(t, "ready")
	if code := status(t, "http://"+p.addr+"/"); code != 200 {
		t.Fatalf("after startup: %d, want 200", code)
	}
}

func TestStartupWithListenEarly(t *testing.T) {
	t.Parallel()
	p := startHello(t, "--startup-delay", "3s", "--listen-early")
	p.waitLog(t, "listening")
	for path, want := range map[string]int{"/livez": 200, "/readyz": 503, "/": 503} {
		if code := status(t, "http://"+p.addr+path); code != want {
			t.Errorf("%s while starting: %d, want %d", path, code, want)
		}
	}
	p.waitLog(t, "ready")
	for path, want := range map[string]int{"/livez": 200, "/readyz": 200, "/": 200} {
		if code := status(t, "http://"+p.addr+path); code != want {
			t.Errorf("%s when ready: %d, want %d", path, code, want)
		}
	}
}

func TestSIGTERMSequence(t *testing.T) {
	t.Parallel()
	p := startHello(t, "--shutdown-delay", "1s")
	p.waitLog(t, "ready")
	base := "http://" + p.addr

	slow := make(chan error, 1)
	go func() { // in flight across the whole shutdown delay: it must complete
		resp, err := http.Get(base + "/?delay=1500ms")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != 200 {
				err = errors.New("slow request: " + resp.Status)
			}
		}
		slow <- err
	}()
	time.Sleep(100 * time.Millisecond) // let the slow request reach the server

	sent := time.Now()
	p.signal(t, syscall.SIGTERM)
	p.waitLog(t, "signal")
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
	if code := p.exitCode(t, 20*time.Second); code != 0 {
		t.Errorf("exit %d, want 0 after a complete drain", code)
	}
}

func TestDrainTimeoutExitsOne(t *testing.T) {
	t.Parallel()
	p := startHello(t, "--drain-timeout", "200ms")
	p.waitLog(t, "ready")
	go http.Get("http://" + p.addr + "/?delay=10s")
	time.Sleep(100 * time.Millisecond)
	p.signal(t, syscall.SIGTERM)
	p.waitLog(t, "drain timed out")
	if code := p.exitCode(t, 5*time.Second); code != 1 {
		t.Errorf("exit %d, want 1 when the drain times out", code)
	}
}

func TestSecondSignalExitsAtOnce(t *testing.T) {
	t.Parallel()
	p := startHello(t, "--shutdown-delay", "30s")
	p.waitLog(t, "ready")
	p.signal(t, syscall.SIGTERM)
	p.waitLog(t, "signal")
	p.signal(t, syscall.SIGINT)
	if code := p.exitCode(t, 10*time.Second); code != 1 { // far less than the 30 s delay
		t.Errorf("exit %d, want 1 after a second signal", code)
	}
}

func TestSignalDuringStartupExitsCleanly(t *testing.T) {
	t.Parallel()
	for _, early := range []bool{false, true} {
		t.Run("listen-early="+strconv.FormatBool(early), func(t *testing.T) {
			t.Parallel()
			p := startHello(t, "--startup-delay", "30s", "--listen-early="+strconv.FormatBool(early))
			p.waitLog(t, "starting")
			p.signal(t, syscall.SIGTERM)
			if code := p.exitCode(t, 10*time.Second); code != 0 {
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
		{[]string{"--shutdown-delay", "-5s"}, 2, "hello: --shutdown-delay must not be negative, got -5s\nUsage:"},
		{[]string{"--nope"}, 2, "hello: unknown flag: --nope\nUsage:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			var stderr strings.Builder
			cmd := exec.Command(helloBin, tt.args...)
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
