//go:build linux

// Command pause is the bare cluster's pod sandbox: PID 1 of every pod's infrastructure
// container. It holds the pod's namespaces open by doing nothing, reaps any child that
// is re-parented to it, and exits 0 on SIGTERM or SIGINT. Built static, it is the only
// file of the pause image (cmd/image writes it), so the cluster needs no registry.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) > 0 {
		fmt.Fprintln(os.Stderr, "usage: pause (takes no arguments; stops on SIGTERM or SIGINT)")
		return 2
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		return 0
	}
	return 0
}

// reap collects every child that has exited, without blocking, and returns how many.
// Signals coalesce, so one SIGCHLD may stand for several exits.
func reap() int {
	n := 0
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return n
		}
		n++
	}
}
