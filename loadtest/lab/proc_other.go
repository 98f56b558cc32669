//go:build !unix

package lab

import "syscall"

// The lab needs process groups and POSIX signals: New refuses to run without them.
const supported = false

func sysProcAttr(int) *syscall.SysProcAttr { return nil }

func (p *process) killGroup() { _ = p.cmd.Process.Kill() }
