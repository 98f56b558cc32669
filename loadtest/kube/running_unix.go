//go:build unix

package kube

import (
	"errors"
	"syscall"
)

// running says whether a process with this PID runs on this machine (signal 0 reaches it,
// or reaches something we may not signal).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
