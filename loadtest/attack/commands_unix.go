//go:build unix

package attack

import (
	"context"
	"os/exec"
	"syscall"
)

// shellCommand runs shell with /bin/sh in a process group of its own, so that cancelling
// it kills whatever the shell started too (kubectl, a pipeline), not the shell alone.
func shellCommand(ctx context.Context, shell string) *exec.Cmd {
	x := exec.CommandContext(ctx, "/bin/sh", "-c", shell)
	x.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	x.Cancel = func() error { return syscall.Kill(-x.Process.Pid, syscall.SIGKILL) }
	return x
}
