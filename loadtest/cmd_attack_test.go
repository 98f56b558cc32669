package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
)

// cli runs loadtest with args and returns its exit status and output.
func cli(ctx context.Context, args ...string) (code int, stdout, stderr string) {
	var out, errs bytes.Buffer
	code = run(ctx, args, &out, &errs)
	return code, out.String(), errs.String()
}

func server(t *testing.T, code int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pod", "test-pod")
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAttackExitStatus(t *testing.T) {
	t.Parallel()
	ok, bad := server(t, http.StatusOK), server(t, http.StatusBadGateway)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // must be in stderr
	}{
		{"clean", []string{"--target", ok}, 0, ""},
		{"502s fail the default gate", []string{"--target", bad}, 1, "gate max-errors failed: "},
		{"502s allowed", []string{"--target", bad, "--max-errors", "1000"}, 0, ""},
		{"success gate", []string{"--target", bad, "--max-errors", "-1", "--min-success", "0.5"}, 1, "gate min-success failed: 0.000%"},
		{"p99 gate", []string{"--target", ok, "--max-p99", "1ns"}, 1, "gate max-p99 failed"},
		{"no target", nil, 2, "no target URL"},
		{"bad rate", []string{"--target", ok, "--rate", "0"}, 2, "rate 0"},
		{"bad --at", []string{"--target", ok, "--at", "soon=ls"}, 2, `--at "soon=ls"`},
		{"bad header", []string{"--target", ok, "--header", "nocolon"}, 2, "--header"},
		{"bad success", []string{"--target", ok, "--min-success", "2"}, 2, "--min-success"},
		{"unknown flag", []string{"--target", ok, "--rat", "5"}, 2, "unknown flag: --rat"},
		{"stray argument", []string{"--target", ok, "extra"}, 2, "unexpected arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"attack", "--rate", "20", "--duration", "500ms", "--no-progress"}, tc.args...)
			code, stdout, stderr := cli(context.Background(), args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tc.code, stderr, tc.stderr)
			}
			if code == 2 && !strings.Contains(stderr, "Usage: loadtest attack") {
				t.Errorf("bad usage without the usage: %q", stderr)
			}
			if code != 2 && !strings.Contains(stdout, "requests failed") {
				t.Errorf("no report on stdout: %q", stdout)
			}
		})
	}
}

func TestInterruptedRunWritesItsReport(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "run")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	code, _, stderr := cli(ctx, "attack", "--target", server(t, http.StatusOK), "--rate", "50",
		"--duration", "0", "--out", dir)
	if code != 0 || !strings.Contains(stderr, "interrupted; the report of what was measured is in") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	r, err := report.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Requests < 10 || r.OK != r.Requests {
		t.Errorf("saved run: interrupted %v, %d requests, %d ok", r.Interrupted, r.Requests, r.OK)
	}
	for _, f := range []string{report.MarkdownFile, report.TextFile, report.SVGFile, report.HTMLFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestReportReRendersTheSameFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, _, stderr := cli(context.Background(), "attack", "--target", server(t, http.StatusServiceUnavailable),
		"--rate", "20", "--duration", "300ms", "--at", "100ms=echo hi", "--out", dir, "--no-progress",
		"--meta", "scenario=test")
	if code != 1 {
		t.Fatalf("attack: exit %d: %s", code, stderr)
	}
	before := map[string][]byte{}
	for _, f := range []string{report.SummaryFile, report.MarkdownFile, report.TextFile, report.SVGFile, report.HTMLFile} {
		before[f], _ = os.ReadFile(filepath.Join(dir, f))
	}
	code, stdout, stderr := cli(context.Background(), "report", dir, "--format", "markdown")
	if code != 0 || stdout != string(before[report.MarkdownFile]) {
		t.Errorf("report: exit %d, stderr %q, printed\n%s\nwant\n%s", code, stderr, stdout, before[report.MarkdownFile])
	}
	for f, b := range before {
		if now, _ := os.ReadFile(filepath.Join(dir, f)); len(b) == 0 || !bytes.Equal(now, b) {
			t.Errorf("%s changed when re-rendered", f)
		}
	}
	for _, args := range [][]string{{"report"}, {"report", dir, "--format", "xml"}} {
		if code, _, _ := cli(context.Background(), args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := cli(context.Background(), "report", t.TempDir()); code != 1 {
		t.Errorf("report of an empty directory: exit %d, want 1", code)
	}
}

func TestDispatch(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
	}{{nil, 2}, {[]string{"fly"}, 2}, {[]string{"help"}, 0}, {[]string{"attack", "--help"}, 0}} {
		if code, _, _ := cli(context.Background(), tc.args...); code != tc.code {
			t.Errorf("%q: exit %d, want %d", tc.args, code, tc.code)
		}
	}
}

// TestAgainstHello sends SIGTERM to a real hello process in the middle of the load:
// without a shutdown delay it stops listening and requests are refused; with one it
// keeps serving (without keep-alive) and none is lost.
func TestAgainstHello(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs hello")
	}
	t.Parallel()
	bin := buildHello(t)
	tests := []struct {
		name  string
		flags []string
		lost  bool
	}{
		{"naive", nil, true},
		{"shutdown delay", []string{"--shutdown-delay", "5s"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pid, addr := startHello(t, bin, tc.flags...)
			dir := t.TempDir()
			code, _, stderr := cli(context.Background(), "attack", "--target", "http://"+addr+"/",
				"--rate", "100", "--duration", "1500ms", "--no-progress", "--out", dir,
				"--at", fmt.Sprintf("500ms=kill -TERM %d", pid))
			r, err := report.ReadRun(dir)
			if err != nil {
				t.Fatalf("exit %d, %s: %v", code, stderr, err)
			}
			t.Logf("%s: %d requests, errors %v, pods %v", tc.name, r.Requests, r.Errors, r.Pods)
			if r.Pods["hello-test"] == 0 {
				t.Errorf("no answer named the pod: %v", r.Pods)
			}
			if !tc.lost {
				if code != 0 || r.Failed() != 0 {
					t.Errorf("exit %d, errors %v: want none lost", code, r.Errors)
				}
				return
			}
			lost := r.Errors[result.Refused] + r.Errors[result.Reset] + r.Errors[result.EOF]
			if code != 1 || lost == 0 || lost != r.Failed() {
				t.Errorf("exit %d, errors %v: want connection failures only", code, r.Errors)
			}
			var killed *result.Event
			for i, e := range r.Events {
				if e.Kind == result.EventCommand {
					killed = &r.Events[i]
				}
			}
			if killed == nil || killed.At < 500*time.Millisecond || r.Timeline[0].Errors.Total() != 0 {
				t.Errorf("the kill at %+v; first interval %+v", killed, r.Timeline[0])
			}
		})
	}
}

func buildHello(t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build hello with")
	}
	bin := filepath.Join(t.TempDir(), "hello")
	cmd := exec.Command(goBin, "build", "-o", bin, "scalelab")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build hello: %v\n%s", err, out)
	}
	return bin
}

// startHello runs hello on a free loopback port and returns its pid and address,
// which hello logs (JSON, on stderr) once it listens.
func startHello(t testing.TB, bin string, flags ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, flags...)...)
	cmd.Env = append(os.Environ(), "POD_NAME=hello-test")
	logs, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(logs)
		for lines.Scan() { // to the end, so that hello never blocks on its log
			var line struct{ Msg, Addr string }
			if json.Unmarshal(lines.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd.Process.Pid, a
	case <-time.After(15 * time.Second):
		t.Fatal("hello never said where it listens")
	}
	return 0, ""
}

// TestCtrlCWritesTheReport sends a real SIGINT to a loadtest process in the middle
// of an attack: it stops, writes the report of what it measured, and judges it.
func TestCtrlCWritesTheReport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs loadtest")
	}
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "loadtest")
	if out, err := exec.Command("go", "build", "-o", bin, "scalelab/loadtest").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	dir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, "attack", "--target", server(t, http.StatusOK), "--rate", "50",
		"--duration", "1m", "--out", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 30s after SIGINT\n%s", stderr.String())
	}
	r, err := report.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || r.Requests == 0 || r.Elapsed > 20*time.Second || len(r.Gates) == 0 {
		t.Errorf("saved run: interrupted %v, %d requests in %s, gates %v", r.Interrupted, r.Requests, r.Elapsed, r.Gates)
	}
	if !strings.Contains(stderr.String(), "interrupt: stopping, writing the report") {
		t.Errorf("stderr: %s", stderr.String())
	}
}
