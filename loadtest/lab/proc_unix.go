//go:build unix && !linux

package lab

import "syscall"

// sysProcAttr puts the child in a process group (a new one when group is 0). Only Linux has
// a parent-death signal: elsewhere a harness killed by SIGKILL leaves its children running
// (Close and a handled SIGINT/SIGTERM still stop them).
func sysProcAttr(group int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: group}
}

// killGroup sends SIGKILL to the whole process group: the container's end.
func (p *process) killGroup() {
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
}

const supported = true
