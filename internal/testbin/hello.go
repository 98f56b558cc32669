package testbin

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a running hello and what it has logged (JSON lines on its stderr).
type Process struct {
	Pid int

	cmd    *exec.Cmd
	done   chan struct{} // closed once the process has exited and its log is read
	mu     sync.Mutex
	log    bytes.Buffer  // stderr as written
	lines  []Line        // its JSON lines, parsed
	logged chan struct{} // signalled on every line, buffered 1
}

// Line is one line of hello's log: its message and, on "listening", the address.
type Line struct {
	Msg  string
	Addr string
}

// StartHello runs hello with args and env (KEY=VALUE, over the test's own environment)
// and returns at once. Unless args give --addr, hello listens on a free port of
// 127.0.0.1 it picks itself: Addr says which once it listens. At the test's end the
// process gets SIGTERM, then SIGKILL if it still runs stopGrace later, and its log goes
// to the test's output when the test failed.
func StartHello(t testing.TB, env []string, args ...string) *Process {
	t.Helper()
	bin := Build(t, Hello)
	if !slices.ContainsFunc(args, func(a string) bool { return a == "--addr" || strings.HasPrefix(a, "--addr=") }) {
		args = append([]string{"--addr", "127.0.0.1:0"}, args...)
	}
	p := &Process{done: make(chan struct{}), logged: make(chan struct{}, 1)}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = append(os.Environ(), env...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.Pid = p.cmd.Process.Pid
	go p.read(stderr)
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("hello %v, pid %d, logged:\n%s", args, p.Pid, p.Log())
		}
	})
	return p
}

// read keeps hello's log to its end (so that hello never blocks writing it), then reaps
// the process.
func (p *Process) read(stderr io.Reader) {
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		var l Line
		isJSON := json.Unmarshal(sc.Bytes(), &l) == nil
		p.mu.Lock()
		p.log.Write(sc.Bytes())
		p.log.WriteByte('\n')
		if isJSON {
			p.lines = append(p.lines, l)
		}
		p.mu.Unlock()
		select {
		case p.logged <- struct{}{}:
		default:
		}
	}
	p.cmd.Wait()
	close(p.done)
}

// stopGrace is how long stop waits after SIGTERM before it sends SIGKILL.
const stopGrace = 10 * time.Second

// stop ends the process by its pid: SIGTERM, then SIGKILL if it still runs stopGrace later.
func (p *Process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Log is what hello has written on its stderr so far.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// WaitLog waits until hello has logged a message that starts with msg and returns that
// line; it fails the test if hello exits first or Patience runs out.
func (p *Process) WaitLog(t testing.TB, msg string) Line {
	t.Helper()
	timeout := time.After(Patience)
	for seen := 0; ; {
		p.mu.Lock()
		for _, l := range p.lines[seen:] {
			if strings.HasPrefix(l.Msg, msg) {
				p.mu.Unlock()
				return l
			}
		}
		seen = len(p.lines)
		p.mu.Unlock()
		select {
		case <-p.logged:
		case <-p.done:
			if p.hasLogged(msg) {
				continue
			}
			t.Fatalf("hello exited before logging %q; it logged:\n%s", msg, p.Log())
		case <-timeout:
			t.Fatalf("hello did not log %q within %s; it logged:\n%s", msg, Patience, p.Log())
		}
	}
}

func (p *Process) hasLogged(msg string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.ContainsFunc(p.lines, func(l Line) bool { return strings.HasPrefix(l.Msg, msg) })
}

// Addr waits until hello listens and returns its address, host:port.
func (p *Process) Addr(t testing.TB) string {
	t.Helper()
	return p.WaitLog(t, "listening").Addr
}

// Signal sends sig to the process.
func (p *Process) Signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// Exit waits at most within for the process to end and returns its exit status.
func (p *Process) Exit(t testing.TB, within time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(within):
		t.Fatalf("hello still running after %s; it logged:\n%s", within, p.Log())
		return -1
	}
}
