//go:build linux

package main

import (
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// cfsignInSilentPTY runs this program as cfsign with args, its stdin,
// stdout and stderr a terminal that never answers a query (as script(1),
// some IDE and serial consoles are), and returns how long it took and what
// it wrote on the terminal.
func cfsignInSilentPTY(t *testing.T, env []string, args ...string) (time.Duration, string) {
	t.Helper()
	ctl, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer ctl.Close()
	n, err := unix.IoctlGetInt(int(ctl.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetPointerInt(int(ctl.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	unix.IoctlSetWinsize(int(tty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 80})
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), asCfsign+"=1", "TERM=xterm-256color", "CI=", "COLORFGBG="), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true}
	out := make(chan string, 1)
	go func() { // read everything, answer nothing
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			k, err := ctl.Read(buf)
			b.Write(buf[:k])
			if err != nil {
				out <- b.String()
				return
			}
		}
	}()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("cfsign did not end")
	}
	took := time.Since(start)
	tty.Close()
	ctl.SetReadDeadline(time.Now().Add(time.Second))
	return took, <-out
}

// No command waits on a terminal that never answers: Bubble Tea's package
// init asks the terminal for its background and waits up to 5 s for the
// answer, unless internal/termbg has settled it first. Package inits run in
// dependency order, then by import path, so termbg (which bubbletea does
// not import) runs first only because its path sorts before
// github.com/charmbracelet/bubbletea: this test fails if a rename of the
// module, or anything else, undoes that, before users see the stall.
func TestNoTerminalQueryBeforeMain(t *testing.T) {
	took, out := cfsignInSilentPTY(t, nil, "--help")
	if !strings.Contains(out, "Usage:") {
		t.Fatalf("no usage on the terminal: %q", out)
	}
	if strings.Contains(out, "\x1b]11;?") {
		t.Errorf("cfsign --help asked the terminal for its background: %q", out)
	}
	if took > 3*time.Second {
		t.Errorf("cfsign --help took %s in a terminal that does not answer (termenv waits 5 s)", took)
	}

	// The order itself, as the runtime reports it.
	var order []string
	for _, in := range packageInits(t) {
		order = append(order, in.pkg)
	}
	termbg := slices.Index(order, "github.com/cfsign/cfsign/internal/termbg")
	tea := slices.Index(order, "github.com/charmbracelet/bubbletea")
	if termbg < 0 || tea < 0 || termbg > tea {
		t.Errorf("internal/termbg initialises at %d, bubbletea at %d: termbg must come first (inits: %v)", termbg, tea, order)
	}
}
