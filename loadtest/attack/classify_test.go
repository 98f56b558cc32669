package attack

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/testbin"
	"scalelab/loadtest/result"
)

// hijack takes the connection of w away from the server; linger 0 makes Close send
// a reset instead of a FIN.
func hijack(t *testing.T, w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	if reset {
		if err := conn.(*net.TCPConn).SetLinger(0); err != nil {
			t.Errorf("linger: %v", err)
		}
	}
	conn.Close()
}

// halfBody promises 1000 bytes, sends 3, then ends the connection.
func halfBody(t *testing.T, w http.ResponseWriter, reset bool) {
	w.Header().Set("Content-Length", "1000")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte("abc"))
	hijack(t, w, reset)
}

func status(code int) func(*testing.T, http.ResponseWriter, *http.Request) {
	return func(_ *testing.T, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

// TestEachClassForReal makes a server fail every request in one way and checks that
// the attack counts exactly that many failures of exactly that class.
func TestEachClassForReal(t *testing.T) {
	t.Parallel()
	slow := func(_ *testing.T, w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(patience):
		}
	}
	slowBody := func(_ *testing.T, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10")
		w.WriteHeader(http.StatusOK)
		http.NewResponseController(w).Flush()
		slow(t, w, r)
	}
	tests := []struct {
		name    string
		handler func(*testing.T, http.ResponseWriter, *http.Request)
		want    result.Class
		timeout time.Duration // of each request; 0: patience, so that only a timeout case times out
	}{
		{"502", status(http.StatusBadGateway), result.HTTP502, 0},
		{"503", status(http.StatusServiceUnavailable), result.HTTP503, 0},
		{"500", status(http.StatusInternalServerError), result.HTTP500, 0},
		{"504", status(http.StatusGatewayTimeout), result.HTTP504, 0},
		{"other 5xx", status(http.StatusInsufficientStorage), result.HTTP5xx, 0},
		{"4xx", status(http.StatusNotFound), result.HTTP4xx, 0},
		{"reset before the answer", func(t *testing.T, w http.ResponseWriter, _ *http.Request) { hijack(t, w, true) }, result.Reset, 0},
		{"closed before the answer", func(t *testing.T, w http.ResponseWriter, _ *http.Request) { hijack(t, w, false) }, result.EOF, 0},
		{"reset in the body", func(t *testing.T, w http.ResponseWriter, _ *http.Request) { halfBody(t, w, true) }, result.Reset, 0},
		{"closed in the body", func(t *testing.T, w http.ResponseWriter, _ *http.Request) { halfBody(t, w, false) }, result.EOF, 0},
		{"timeout before the answer", slow, result.Timeout, 300 * time.Millisecond},
		{"timeout in the body", slowBody, result.Timeout, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				tc.handler(t, w, r)
			}))
			t.Cleanup(srv.Close)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = patience
			}
			run := mustRun(t, Options{Target: srv.URL, Rate: 40, Duration: 500 * time.Millisecond,
				Timeout: timeout, KeepAlive: true})
			if run.Requests == 0 || int64(run.Requests) != hits.Load() {
				t.Fatalf("requests: run counted %d, server saw %d", run.Requests, hits.Load())
			}
			if got := run.Errors[tc.want]; got != run.Requests || run.Failed() != run.Requests {
				t.Errorf("errors = %v, want all %d as %s", run.Errors, run.Requests, tc.want)
			}
			t.Logf("%d requests, errors %v", run.Requests, run.Errors)
			if run.OK != 0 {
				t.Errorf("OK = %d, want 0", run.OK)
			}
		})
	}
}

func TestRefused(t *testing.T) {
	t.Parallel()
	addr := testbin.Refused(t)
	run := mustRun(t, Options{Target: "http://" + addr + "/", Rate: 50, Duration: 300 * time.Millisecond})
	if run.Requests == 0 || run.Errors[result.Refused] != run.Requests || run.Failed() != run.Requests {
		t.Errorf("requests %d, errors %v: want every one refused", run.Requests, run.Errors)
	}
	// The report keeps the first error's own words, so that a class can be explained.
	if s := run.Samples[result.Refused]; !strings.Contains(s, "connection refused") || len(run.Samples) != 1 {
		t.Errorf("samples %q: want the refused connection's error text, and nothing else", run.Samples)
	}
}

func TestClassifyStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code   int
		want   result.Class
		failed bool
	}{
		{200, "", false}, {204, "", false}, {301, "", false}, {399, "", false},
		{400, result.HTTP4xx, true}, {429, result.HTTP4xx, true},
		{500, result.HTTP500, true}, {502, result.HTTP502, true}, {503, result.HTTP503, true},
		{504, result.HTTP504, true}, {599, result.HTTP5xx, true},
		{101, result.Other, true}, {0, result.Other, true},
	}
	for _, tc := range tests {
		c, failed := ClassifyStatus(tc.code)
		if c != tc.want || failed != tc.failed {
			t.Errorf("ClassifyStatus(%d) = %q, %v; want %q, %v", tc.code, c, failed, tc.want, tc.failed)
		}
	}
}

func TestClassifyErrorNeedsTypes(t *testing.T) {
	t.Parallel()
	// The text of a refused connection, without the errno, is not a refused connection.
	err := &net.OpError{Op: "dial", Net: "tcp", Err: errorString("connect: connection refused")}
	if c := ClassifyError(err); c != result.Other {
		t.Errorf("ClassifyError(text only) = %q, want other", c)
	}
	if c := ClassifyError(context.DeadlineExceeded); c != result.Timeout {
		t.Errorf("ClassifyError(deadline) = %q, want timeout", c)
	}
}

// A Windows client's refused or reset connection wraps Winsock's code, as net does it
// there (fd_windows.go: os.NewSyscallError("connectex", err)).
func TestClassifyErrorOfWindows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		call  string
		errno syscall.Errno
		want  result.Class
	}{
		{"connectex", 10061, result.Refused},
		{"wsarecv", 10054, result.Reset},
		{"wsasend", 10053, result.Reset},
	} {
		err := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError(tc.call, tc.errno)}
		if c := ClassifyError(err); c != tc.want {
			t.Errorf("ClassifyError(%s: errno %d) = %q, want %q", tc.call, tc.errno, c, tc.want)
		}
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func mustRun(t *testing.T, o Options) *result.Run {
	t.Helper()
	run, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return run
}
