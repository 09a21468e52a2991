package record

import (
	"context"
	"errors"
	"os/exec"

	"golang.org/x/sys/unix"
)

// command is the exec.Cmd that runs argv with o's stdio, environment and
// directory.
func command(ctx context.Context, argv []string, o Options) *exec.Cmd {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	cmd.Env, cmd.Dir = o.Env, o.Dir
	return cmd
}

// exitStatus records the command's exit status; a failed Wait that is not
// the command's own failure is returned.
func exitStatus(cmd *exec.Cmd, werr error, r *Recording) error {
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) {
		return werr
	}
	r.ExitCode = cmd.ProcessState.ExitCode()
	return nil
}

// waitExit waits until process pid has exited, without reaping it (so that
// exec.Cmd.Wait still gets its status).
func waitExit(pid int) error {
	for {
		var info unix.Siginfo
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if err != unix.EINTR {
			return err
		}
	}
}
