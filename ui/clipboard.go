package ui

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/atotto/clipboard"
	tea "github.com/charmbracelet/bubbletea"
)

// Clipboard methods, as the status line names them.
const (
	copiedNative    = "system clipboard"
	copiedOSC52     = "terminal clipboard by OSC 52, if your terminal takes it (not every terminal does)"
	copiedTmux      = "tmux buffer and on to your terminal's clipboard"
	copiedTmuxLocal = "tmux buffer only (tmux's set-clipboard is off: `tmux set -g set-clipboard on` passes copies on to your terminal)"
)

// errNoClipboard means neither the system clipboard nor OSC 52 can take the text.
var errNoClipboard = errors.New("no clipboard available")

// clipboardWriter copies text: the system clipboard first, OSC 52 when that
// fails or in an SSH session (where the system clipboard is the remote one).
// Every field is injectable so tests can drive the fallback order.
type clipboardWriter struct {
	native   func(string) error  // atotto/clipboard.WriteAll
	terminal io.Writer           // where the OSC 52 sequence goes
	isTTY    func() bool         // whether terminal is a terminal that can take OSC 52
	getenv   func(string) string // SSH_TTY, SSH_CONNECTION, TERM, TMUX
	// tmux loads text into tmux's paste buffer and asks tmux to pass it on
	// to the outer terminal's clipboard (load-buffer -w); forwarded says
	// whether tmux's set-clipboard lets it. Inside tmux an application's own
	// OSC 52 is dropped under tmux's default (set-clipboard external).
	tmux func(text string) (forwarded bool, err error)
}

// defaultClipboard writes to the real clipboard and the program's terminal.
func defaultClipboard() clipboardWriter {
	return clipboardWriter{
		native:   clipboard.WriteAll,
		terminal: os.Stdout,
		isTTY:    stdoutIsTerminal,
		getenv:   os.Getenv,
		tmux:     tmuxLoadBuffer,
	}
}

// tmuxLoadBuffer runs `tmux load-buffer -w -` (the tmux of $TMUX), then reads
// set-clipboard to know whether the copy went on to the outer terminal.
func tmuxLoadBuffer(text string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	load := exec.CommandContext(ctx, "tmux", "load-buffer", "-w", "-")
	load.Stdin = strings.NewReader(text)
	if out, err := load.CombinedOutput(); err != nil {
		return false, fmt.Errorf("tmux load-buffer: %v: %s", err, strings.TrimSpace(string(out)))
	}
	mode, err := exec.CommandContext(ctx, "tmux", "show-options", "-gv", "set-clipboard").Output()
	if err != nil {
		return false, nil // the buffer holds it; whether it went further is unknown
	}
	return strings.TrimSpace(string(mode)) != "off", nil
}

func stdoutIsTerminal() bool {
	fi, err := os.Stdout.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// osc52 is the escape sequence asking the terminal to put text on its clipboard.
func osc52(text string) string {
	return "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\x07"
}

// copy puts text on a clipboard and says which one took it.
func (c clipboardWriter) copy(text string) (method string, err error) {
	getenv := c.getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ssh := getenv("SSH_TTY") != "" || getenv("SSH_CONNECTION") != ""
	var nativeErr error
	if !ssh && c.native != nil {
		if nativeErr = c.native(text); nativeErr == nil {
			return copiedNative, nil
		}
	}
	if getenv("TMUX") != "" && c.tmux != nil {
		if forwarded, err := c.tmux(text); err == nil {
			if forwarded {
				return copiedTmux, nil
			}
			return copiedTmuxLocal, nil
		}
	}
	if c.terminal != nil && c.isTTY != nil && c.isTTY() && getenv("TERM") != "dumb" {
		if _, err := io.WriteString(c.terminal, osc52(text)); err == nil {
			return copiedOSC52, nil
		}
	}
	// Over SSH with X forwarding the system clipboard may still work.
	if ssh && c.native != nil {
		if nativeErr = c.native(text); nativeErr == nil {
			return copiedNative, nil
		}
	}
	return "", errNoClipboard
}

// copyCmd copies text in a command and reports on the status line; what names
// the text ("1 URL", "the public key"). When no clipboard takes it, the status
// line says how to get the whole text anyway (the screen may show it cut):
// with canPrint, p prints it when the app exits.
func copyCmd(c clipboardWriter, text, what string, canPrint bool) tea.Cmd {
	return func() tea.Msg {
		method, err := c.copy(text)
		switch {
		case err == nil:
			return statusMsg{text: fmt.Sprintf("Copied %s to the %s", what, method)}
		case canPrint:
			return statusMsg{text: fmt.Sprintf("Clipboard unavailable: p prints %s when you quit, to select by hand or pipe", what), err: true}
		}
		return statusMsg{text: fmt.Sprintf("Clipboard unavailable: copy %s from the screen by hand", what), err: true}
	}
}
