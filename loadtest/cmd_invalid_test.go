package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/testbin"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
)

// Every PASS is earned: a run whose action failed, whose load fell short, or that a signal
// cut short is INVALID, says why first, and exits 2 (130, 143 for the signal).

// slow answers after d: with --max-workers, a ceiling on the rate nothing can lift.
func slow(t *testing.T, d time.Duration) string {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(d) }))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestAttackInvalid(t *testing.T) {
	t.Parallel()
	ok, tarpit := server(t, http.StatusOK), slow(t, 50*time.Millisecond)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string // must be in stderr, and in the report's first line when the run is invalid
	}{
		{"an --at that fails", []string{"--target", ok, "--at", "100ms=echo oops >&2; exit 3"},
			2, `INVALID: --at 100ms="echo oops >&2; exit 3": exit 3: oops`},
		{"an --at not found", []string{"--target", ok, "--at", "100ms=scalelab-no-such-command"},
			2, `exit 127 (command not found): `},
		{"an --at that outlives the load", []string{"--target", ok, "--at", "100ms=sleep 60", "--command-grace", "100ms"},
			2, `INVALID: --at 100ms="sleep 60": killed: still running 100ms after the load ended`},
		// No floor: a working --at makes no run invalid, whatever a busy machine's sender kept
		// up (beside a CI run it fell short of 95 % once, and the run was INVALID).
		{"an --at that works", []string{"--target", ok, "--at", "100ms=true", "--min-rate", "0"}, 0, ""},
		// One worker that waits 50 ms an answer sends 20/s at most, of the 100/s asked.
		{"the worker limit", []string{"--target", tarpit, "--rate", "100", "--max-workers", "1"},
			2, "INVALID: the load fell short: "},
		{"the worker limit, no floor", []string{"--target", tarpit, "--rate", "100", "--max-workers", "1", "--min-rate", "0"}, 0, ""},
		{"a floor that is no share", []string{"--target", ok, "--min-rate", "2"}, 2, `--min-rate "2": want a share of 0..1`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := append([]string{"attack", "--rate", "20", "--duration", "1s", "--no-progress", "--out", dir}, tc.args...)
			code, stdout, stderr := cli(context.Background(), args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Fatalf("exit %d, want %d; stderr %q lacks %q", code, tc.code, stderr, tc.stderr)
			}
			if strings.Contains(stderr, "Usage:") {
				return // bad usage: no run
			}
			r, err := report.ReadRun(dir)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(stdout, "\n")
			md, _ := os.ReadFile(filepath.Join(dir, report.MarkdownFile))
			want := result.StatusPass
			if tc.code == 2 {
				want = result.StatusInvalid
			}
			if r.Status != want || !strings.HasPrefix(first, want.Word()+": ") || !strings.Contains(string(md), want.Word()+": ") {
				t.Errorf("status %q, want %q; report's first line %q; report.md %.80q", r.Status, want, first, md)
			}
			if tc.code == 2 && !strings.Contains(first, strings.TrimPrefix(tc.stderr, "INVALID: ")) {
				t.Errorf("the report's first line %q does not say why: %q", first, tc.stderr)
			}
			if tc.name == "the worker limit" && !strings.Contains(first, "the worker limit was reached: 1 workers") {
				t.Errorf("the report does not say why it fell short: %q", first)
			}
		})
	}
}

// TestInvalidOfIssue27 replays the three runs that passed while they proved nothing: an
// --at command that was not found, a rate no machine sends, and a rollout on the lab that
// SIGINT cut short one second after it began. Each is INVALID now, in every artifact.
func TestInvalidOfIssue27(t *testing.T) {
	if testing.Short() {
		t.Skip("runs hello and the lab")
	}
	t.Parallel()
	target := "http://" + testbin.StartHello(t, nil).Addr(t) + "/"
	t.Run("an action that failed", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := cli(context.Background(), "attack", "--target", target, "--rate", "50", "--duration", "3s",
			"--at", "1s=kubectl-typo scale deploy/hello --replicas=1", "--no-progress")
		t.Logf("exit %d\n%s", code, stdout)
		if first, _, _ := strings.Cut(stdout, "\n"); code != 2 || !strings.HasPrefix(first, `INVALID: --at 1s="kubectl-typo scale deploy/hello --replicas=1": exit 127 (command not found): `) ||
			!strings.Contains(first, "kubectl-typo: not found") {
			t.Errorf("exit %d, first line %q; stderr %s", code, first, stderr)
		}
	})
	t.Run("a load that fell short", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := cli(context.Background(), "attack", "--target", target, "--rate", "10000000", "--duration", "1s", "--no-progress")
		t.Logf("exit %d\n%s", code, stdout)
		if first, _, _ := strings.Cut(stdout, "\n"); code != 2 || !strings.HasPrefix(first, "INVALID: the load fell short: ") ||
			!strings.Contains(first, "of the 1e+07/s asked over 1s") {
			t.Errorf("exit %d, first line %q; stderr %s", code, first, stderr)
		}
	})
	t.Run("a rollout interrupted", func(t *testing.T) {
		t.Parallel()
		for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
			t.Run(sig.String(), func(t *testing.T) { interruptedRollout(t, sig) })
		}
	})
}

// interruptedRollout runs `loadtest scenario rollout-restart` on the lab as a process of
// its own, sends it sig one second after the rollout began (its fourth pod's log), and
// checks what it wrote: INVALID, the cell interrupted with no negative overhead, an
// <error> in JUnit, exit 128 + sig.
func interruptedRollout(t *testing.T, sig syscall.Signal) {
	dir, logs := filepath.Join(t.TempDir(), "run"), t.TempDir()
	junit := filepath.Join(dir, "junit.xml")
	cmd := exec.Command(os.Args[0], "scenario", "rollout-restart", "--platform", "lab", "--set", "../k8s/fast",
		"--config", "graceful", "--via", "service", "--hello", testbin.Build(t, testbin.Hello),
		"--lab-logs", logs, "--out", dir, "--junit", junit)
	cmd.Env = append(os.Environ(), asMainEnv+"=1")
	var stdout, stderr bytes.Buffer // read once the process has exited
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var waited bool // the process's exit has been received from exited
	t.Cleanup(func() {
		if !waited {
			cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(testbin.Patience); ; time.Sleep(50 * time.Millisecond) {
		if pods, _ := filepath.Glob(filepath.Join(logs, "*.log")); len(pods) > 3 { // 3 replicas, then the rollout's first
			break
		}
		select {
		case err := <-exited:
			waited = true
			t.Fatalf("exited before the rollout: %v\n%s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rollout within %s", testbin.Patience)
		}
	}
	time.Sleep(time.Second) // in the middle of the rollout
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	var err error
	select {
	case err = <-exited:
		waited = true
	case <-time.After(testbin.Patience):
		t.Fatalf("still running %s after %s\n%s", testbin.Patience, sig, stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 128+int(sig) {
		t.Errorf("exit %v, want %d\n%s", err, 128+int(sig), stderr.String())
	}
	m, err := report.ReadMatrix(dir)
	if err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, report.MatrixMarkdownFile))
	first, _, _ := strings.Cut(string(md), "\n")
	if m.Status != result.StatusInvalid || !m.Interrupted || !strings.Contains(first, "INVALID") {
		t.Errorf("matrix status %q, interrupted %v, matrix.md's first line %q", m.Status, m.Interrupted, first)
	}
	c := m.Cells[0]
	if c.Verdict != result.VerdictInterrupted || c.Overhead < 0 || !strings.Contains(string(md), "| interrupted |") {
		t.Errorf("cell: verdict %q, overhead %s\n%s", c.Verdict, c.Overhead, md)
	}
	run, err := report.ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != result.StatusInvalid || !strings.HasPrefix(report.Verdict(run), "INVALID: interrupted after ") {
		t.Errorf("run: status %q, verdict %q", run.Status, report.Verdict(run))
	}
	x, _ := os.ReadFile(junit)
	if !bytes.Contains(x, []byte(`failures="0" errors="1"`)) || !bytes.Contains(x, []byte(`<error message="interrupted`)) {
		t.Errorf("junit:\n%s", x)
	}
}
