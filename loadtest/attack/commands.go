package attack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"scalelab/loadtest/result"
)

// Command is one --at: a shell command run at an offset from the attack's start, with
// /bin/sh on Unix and cmd.exe on Windows. When the attack ends before it does, it gets
// the grace of Options.CommandGrace and is then killed: on Unix with everything it
// started (its process group), on Windows the shell alone.
type Command struct {
	At    time.Duration
	Shell string
}

// ParseCommand reads "DURATION=COMMAND", as in --at 20s='kubectl scale ...'.
func ParseCommand(s string) (Command, error) {
	at, shell, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(shell) == "" {
		return Command{}, errors.New("want DURATION=COMMAND, e.g. 20s='kubectl rollout restart deploy/hello'")
	}
	d, err := time.ParseDuration(strings.TrimSpace(at))
	if err != nil {
		return Command{}, err
	}
	if d < 0 {
		return Command{}, fmt.Errorf("negative offset %s", d)
	}
	return Command{At: d, Shell: shell}, nil
}

// maxOutput bounds the output of a command kept on its event.
const maxOutput = 4 << 10

// commands runs the --at commands of one attack, each at its offset from log's
// start, and puts each on the log as one event when it ends. A command that fails
// is recorded, never fatal to the load; but the disruption it was to make did not
// happen, and failed says so: the run proves nothing.
type commands struct {
	log     *result.Log
	wg      sync.WaitGroup
	parent  context.Context // the attack's: done when the run is interrupted
	ctx     context.Context // cancelled: kill what still runs
	cancel  context.CancelFunc
	stopped chan struct{} // closed: start nothing more
	grace   time.Duration // set by stop, before it kills

	mu     sync.Mutex
	failed []string // why each command that failed did: failure
}

// stderrLines is how many of a failed command's last lines of stderr its failure quotes.
const stderrLines = 3

func startCommands(ctx context.Context, log *result.Log, cmds []Command) *commands {
	c := &commands{log: log, stopped: make(chan struct{}), parent: ctx}
	c.ctx, c.cancel = context.WithCancel(ctx)
	for _, cmd := range cmds {
		c.wg.Add(1)
		go c.run(cmd)
	}
	return c
}

func (c *commands) run(cmd Command) {
	defer c.wg.Done()
	timer := time.NewTimer(time.Until(c.log.Start().Add(cmd.At)))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-c.stopped:
		c.notRun(cmd)
		return
	case <-c.ctx.Done():
		c.notRun(cmd)
		return
	}
	x := shellCommand(c.ctx, cmd.Shell)
	x.WaitDelay = time.Second // then stop waiting for what the killed shell left holding its output
	out := &capped{max: maxOutput}
	errs := &tail{max: maxOutput}
	x.Stdout, x.Stderr = out, io.MultiWriter(out, errs)

	start := time.Since(c.log.Start())
	err := x.Run()
	e := result.Event{At: start, End: time.Since(c.log.Start()), Kind: result.EventCommand,
		Name: cmd.Shell, Detail: strings.TrimRight(out.String(), "\n")}
	code := 0
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		code = -1
		e.Detail = strings.TrimSpace(e.Detail + "\n" + err.Error())
	}
	killed := c.ctx.Err() != nil && err != nil
	if killed {
		e.Detail = strings.TrimSpace(e.Detail + "\nkilled: the attack ended")
	}
	e.Exit = &code
	c.log.Put(e)
	if err != nil {
		c.failure(cmd, c.why(err, code, killed), errs.lines(stderrLines))
	}
}

// why says in a few words how a command failed: its exit status and what it means, or
// why it was killed.
func (c *commands) why(err error, code int, killed bool) string {
	c.mu.Lock()
	grace := c.grace
	c.mu.Unlock()
	switch {
	case killed && c.parent.Err() != nil:
		return "killed: the run was interrupted"
	case killed:
		return fmt.Sprintf("killed: still running %s after the load ended (--command-grace)", grace)
	case code == 127:
		return "exit 127 (command not found)"
	case code == 126:
		return "exit 126 (not executable)"
	case code > 0:
		return fmt.Sprintf("exit %d", code)
	}
	return "could not run: " + err.Error()
}

// failure notes that cmd failed, why, and the last lines of its stderr.
func (c *commands) failure(cmd Command, why string, stderr []string) {
	s := fmt.Sprintf("--at %s=%q: %s", cmd.At, cmd.Shell, why)
	if len(stderr) > 0 {
		s += ": " + strings.Join(stderr, " / ")
	}
	c.mu.Lock()
	c.failed = append(c.failed, s)
	c.mu.Unlock()
}

func (c *commands) notRun(cmd Command) {
	c.log.Put(result.Event{At: cmd.At, Kind: result.EventCommand, Name: cmd.Shell,
		Detail: "not run: the load stopped first"})
	c.failure(cmd, "not run: the load stopped first", nil)
}

// failures says why each command that failed did, in the order they failed; stop first.
func (c *commands) failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.failed)
}

// stop starts nothing more, gives running commands grace (or until ctx is
// done), kills the rest, and returns once every command has been recorded.
func (c *commands) stop(ctx context.Context, grace time.Duration) {
	close(c.stopped)
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	}
	c.mu.Lock()
	c.grace = grace
	c.mu.Unlock()
	c.cancel()
	<-done
}

// capped keeps the first max bytes written to it and counts the rest.
type capped struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	max     int
	dropped int
}

func (w *capped) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := min(len(p), w.max-w.buf.Len())
	w.buf.Write(p[:keep])
	w.dropped += len(p) - keep
	return len(p), nil
}

func (w *capped) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dropped > 0 {
		return fmt.Sprintf("%s\n... (%d more bytes)", w.buf.String(), w.dropped)
	}
	return w.buf.String()
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (w *tail) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	if over := len(w.buf) - w.max; over > 0 {
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	return len(p), nil
}

// lines is its last n lines that are not blank, in order.
func (w *tail) lines(n int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, l := range strings.Split(string(w.buf), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out[max(len(out)-n, 0):]
}
