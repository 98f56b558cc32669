package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// process is one running child: a container's main process or a preStop exec. The main
// process leads its own process group, as PID 1 of a container does of its cgroup, so that
// SIGKILL of the group takes every process of the "container" with it.
type process struct {
	cmd    *exec.Cmd
	pgid   int
	exited chan struct{} // closed once the process has been waited for
	code   int           // exit status; -1 when killed by a signal; valid after exited
}

// spawner starts every child from one goroutine locked to one OS thread for the spawner's
// whole life. Linux delivers a child's parent-death signal when the thread that forked it
// dies, not the process: starting children from arbitrary runtime threads would let a child
// be killed early, when that thread exits, or (worse) never be tied to a thread that lives.
type spawner struct {
	reqs chan spawnReq
	done chan struct{}
}

type spawnReq struct {
	cmd   *exec.Cmd
	reply chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq), done: make(chan struct{})}
	go s.loop()
	return s
}

func (s *spawner) loop() {
	runtime.LockOSThread()
	// Never unlocked: when the loop ends the thread ends with it, and so does any child
	// still tied to it by its parent-death signal.
	defer close(s.done)
	for r := range s.reqs {
		r.reply <- r.cmd.Start()
	}
}

// close stops the spawner once every child has been stopped.
func (s *spawner) close() {
	close(s.reqs)
	<-s.done
}

// start runs name with args and env (added to no inherited environment but PATH), output
// to out (nil: discarded). group 0 makes the child lead a new process group; otherwise it
// joins that group.
func (s *spawner) start(ctx context.Context, name string, args, env []string, out io.Writer, group int) (*process, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr(group)
	reply := make(chan error, 1)
	select {
	case s.reqs <- spawnReq{cmd: cmd, reply: reply}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if err := <-reply; err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{cmd: cmd, pgid: group, exited: make(chan struct{})}
	if group == 0 {
		p.pgid = cmd.Process.Pid
	}
	go func() {
		err := cmd.Wait()
		p.code = exitCode(err)
		close(p.exited)
	}()
	return p, nil
}

// exitCode is the status of a waited-for process: -1 when a signal ended it.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// pid is the process id, for the timeline's detail.
func (p *process) pid() int { return p.cmd.Process.Pid }

// signal sends sig to the process alone, as the runtime signals a container's PID 1.
func (p *process) signal(sig syscall.Signal) {
	_ = p.cmd.Process.Signal(sig) // an error means it is already gone: nothing to signal
}
