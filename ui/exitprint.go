package ui

import (
	"io"
	"os"
	"strings"
	"sync"

	"github.com/charmbracelet/bubbles/key"
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
