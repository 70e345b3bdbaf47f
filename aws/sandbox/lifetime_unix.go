//go:build unix

package sandbox

import (
	"os/exec"
	"syscall"
)

// detach starts cmd in a session of its own, so the terminal's signals (a
// Ctrl-C, a hang-up) that end its parent do not reach it.
func detach(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} }

// canHandOver: sockets pass to a child process as file descriptors.
const canHandOver = true
