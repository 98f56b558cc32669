//go:build unix

package lab_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/testbin"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/result"
)

// harnessEnv makes the test binary a harness that deploys one pod, prints its pid and
// waits to be killed (see TestKilledHarnessLeavesNoChild).
const harnessEnv = "LAB_TEST_HARNESS_HELLO"

func harness() int {
	l, err := lab.New(lab.Options{Hello: os.Getenv(harnessEnv), PropagationDelay: 50 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	log := result.NewLog(time.Now())
	l.Observe(log)
	ctx, cancel := context.WithTimeout(context.Background(), testbin.Patience)
	defer cancel()
	if err := l.Deploy(ctx, config("harness", 1, nil)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for _, pid := range pids(log) {
		fmt.Println(pid)
	}
	time.Sleep(2 * testbin.Patience) // killed long before
	return 0
}

// pids lists the processes the lab said it started.
func pids(log *result.Log) []int {
	var out []int
	for _, e := range log.Events() {
		if f, ok := strings.CutPrefix(e.Detail, "pid "); ok && strings.HasSuffix(e.Name, " started") {
			n, err := strconv.Atoi(strings.Split(f, ",")[0])
			if err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// alive says whether pid is a process that has not ended (a zombie has ended).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) == nil // no /proc: a zombie counts as alive here
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(testbin.Patience)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				syscall.Kill(pid, syscall.SIGKILL) // the test's own leftover
				t.Fatalf("hello pid %d still runs", pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func TestCloseLeavesNoChild(t *testing.T) {
	t.Parallel()
	l, err := lab.New(lab.Options{Hello: hello(t), PropagationDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	log := result.NewLog(time.Now())
	l.Observe(log)
	// A long shutdown delay: only a kill ends these quickly.
	deploy(t, l, config("close", 3, []string{"--shutdown-delay=60s"}))
	ps := pids(log)
	if len(ps) != 3 {
		t.Fatalf("pids %v, want 3", ps)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range ps {
		if alive(pid) {
			t.Errorf("hello pid %d outlived Close", pid)
		}
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestKilledHarnessLeavesNoChild(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("the parent-death signal is Linux's")
	}
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), harnessEnv+"="+hello(t))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("harness: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || !alive(pid) {
		t.Fatalf("harness printed %q: want a running hello's pid", line)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	waitGone(t, []int{pid})
}
