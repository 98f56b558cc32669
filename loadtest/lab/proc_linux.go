package lab

import "syscall"

// sysProcAttr puts the child in a process group (a new one when group is 0) and has Linux
// kill it when the harness dies, even by SIGKILL: no hello outlives the harness.
func sysProcAttr(group int) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pgid: group, Pdeathsig: syscall.SIGKILL}
}

// killGroup sends SIGKILL to the whole process group: the container's end.
func (p *process) killGroup() {
	_ = syscall.Kill(-p.pgid, syscall.SIGKILL)
}

const supported = true
