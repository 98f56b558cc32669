package attack

import (
	"context"
	"os"
	"os/exec"
	"syscall"
)

// shellCommand runs shell with cmd.exe (%ComSpec%) as `cmd /d /s /c "shell"`: the
// command line is written out whole, since cmd.exe does not unquote its arguments the
// way exec.Command quotes them. Windows has no process groups to kill at once:
// cancelling it kills cmd.exe alone, and what it started (kubectl) runs on to its end.
func shellCommand(ctx context.Context, shell string) *exec.Cmd {
	comspec := os.Getenv("ComSpec")
	if comspec == "" {
		comspec = "cmd.exe"
	}
	x := exec.CommandContext(ctx, comspec)
	x.SysProcAttr = &syscall.SysProcAttr{CmdLine: `"` + comspec + `" /d /s /c "` + shell + `"`}
	return x
}
