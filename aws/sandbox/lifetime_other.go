//go:build !unix

package sandbox

import "os/exec"

func detach(*exec.Cmd) {}

// canHandOver: a child process cannot inherit the listening sockets here
// (os/exec's ExtraFiles), so a sandbox stops with the process that runs it.
const canHandOver = false
