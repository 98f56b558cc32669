//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// TestSignalsStopIt runs the real binary and checks each stop signal ends it with 0,
// while a signal it does not handle as a stop (SIGCHLD) leaves it running.
func TestSignalsStopIt(t *testing.T) {
	bin := testbin.Build(t, "scalelab/cmd/pause")
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			t.Cleanup(func() { _ = cmd.Process.Kill() })
			// A stop signal sent before signal.Notify would kill it (exit by signal, not
			// 0): wait until the kernel shows the handler installed.
			waitCaught(t, cmd.Process.Pid, sig)
			if err := cmd.Process.Signal(syscall.SIGCHLD); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				t.Fatalf("exited on SIGCHLD: %v", err)
			case <-time.After(100 * time.Millisecond):
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("exit after %v: %v, want 0", sig, err)
				}
			case <-time.After(testbin.Patience):
				t.Fatalf("still running %s after %v", testbin.Patience, sig)
			}
		})
	}
}

// TestReapCollectsExitedChildren leaves two exited children unwaited (zombies) and checks
// reap collects both and nothing is left to wait for. Not parallel: reap takes any child
// of the test process.
func TestReapCollectsExitedChildren(t *testing.T) {
	var pids []int
	for range 2 {
		pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 3"}, &syscall.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	// Wait until both are zombies: /proc/PID/stat state Z.
	deadline := time.Now().Add(testbin.Patience)
	for _, pid := range pids {
		for !isZombie(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("child %d never exited", pid)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if n := reap(); n != 2 {
		t.Errorf("reap() = %d, want 2", n)
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil); !errors.Is(err, syscall.ECHILD) {
		t.Errorf("after reap, wait4 = %v, want ECHILD", err)
	}
}

// waitCaught polls /proc/PID/status until the process catches sig (its SigCgt mask).
func waitCaught(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	deadline := time.Now().Add(testbin.Patience)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
		for line := range strings.Lines(string(b)) {
			if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
				m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
				if err == nil && m&(1<<(uint(sig)-1)) != 0 {
					return
				}
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("process %d never caught %v", pid, sig)
}

func isZombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// "pid (comm) S ...": the state follows the last ')'.
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' {
			return i+2 < len(b) && b[i+2] == 'Z'
		}
	}
	return false
}
