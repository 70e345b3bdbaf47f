package ui

import (
	"io"
	"os"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/x/term"
)

// exitPrinter holds what the user asked to print on stdout when the app
// exits (the sign view's p): full, unbroken lines that `cfsign | …` reads
// and a terminal's selection copies whole, which a frame on the alternate
// screen (cut to the window's width) cannot give. Update only appends to it;
// Run writes it once the terminal is restored.
type exitPrinter struct {
	mu    sync.Mutex
	lines []string
}

// add queues lines to print on exit.
func (p *exitPrinter) add(lines ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, lines...)
}

// queued is what will be printed.
func (p *exitPrinter) queued() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// writeTo prints the queued lines, one a line, and forgets them.
func (p *exitPrinter) writeTo(w io.Writer) error {
	p.mu.Lock()
	lines := p.lines
	p.lines = nil
	p.mu.Unlock()
	if len(lines) == 0 {
		return nil
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// printOnExitKey queues the signed URL(s) for stdout (sign view).
var printOnExitKey = key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "print on quit"))

// ttyOutput is where the app draws when stdout is not a terminal (`cfsign |
// …`): the controlling terminal, so stdout carries only the printed lines. It
// returns nil when stdout is a terminal or there is no controlling terminal.
func ttyOutput() (*os.File, func()) {
	if stdoutIsTerminal() {
		return nil, func() {}
	}
	tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0)
	if err != nil {
		return nil, func() {}
	}
	return tty, func() { tty.Close() }
}

// showFullKey shows the signed URL(s) unbroken, for the terminal's own
// selection, until a key is pressed (sign view).
var showFullKey = key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "show in full"))

// fullView is a tea.ExecCommand: while Bubble Tea has handed the terminal
// back it prints lines as they are, each one logical line however long
// (the terminal wraps it softly, so selecting it copies it whole), then
// waits for a key. On a terminal it draws on the alternate screen of its
// own, so no signed URL is left in the scrollback once cfsign exits (p
// prints one on purpose).
type fullView struct {
	lines  []string
	stdin  io.Reader
	stdout io.Writer
}

func (f *fullView) SetStdin(r io.Reader)  { f.stdin = r }
func (f *fullView) SetStdout(w io.Writer) { f.stdout = w }
func (f *fullView) SetStderr(io.Writer)   {}

// Run prints the lines and waits for a key: any key on a terminal (read raw,
// so it is neither echoed nor left for the app), else a line (enter).
func (f *fullView) Run() error {
	out := f.stdout
	if out == nil {
		out = os.Stdout
	}
	in := f.stdin
	if in == nil {
		in = os.Stdin
	}
	tty, _ := in.(interface{ Fd() uintptr })
	raw := tty != nil && term.IsTerminal(tty.Fd())
	back := "press enter to go back"
	if raw {
		back = "press any key to go back"
	}
	text := "\n" + strings.Join(f.lines, "\n\n") + "\n\n(select it with the mouse; " + back + ")\n"
	if o, ok := out.(interface{ Fd() uintptr }); ok && term.IsTerminal(o.Fd()) {
		// The alternate screen (cleared, cursor home) keeps it out of the
		// normal screen's scrollback; leaving restores that screen.
		text = "\x1b[?1049h\x1b[H\x1b[2J" + text
		defer io.WriteString(out, "\x1b[2J\x1b[?1049l")
	}
	if _, err := io.WriteString(out, text); err != nil {
		return err
	}
	if raw {
		if st, err := term.MakeRaw(tty.Fd()); err == nil {
			defer term.Restore(tty.Fd(), st)
			// One read takes a whole key, escape sequences included.
			var b [64]byte
			in.Read(b[:])
			return nil
		}
	}
	var b [1]byte
	for {
		n, err := in.Read(b[:])
		if err != nil || (n == 1 && (b[0] == '\n' || b[0] == '\r')) {
			return nil
		}
	}
}
