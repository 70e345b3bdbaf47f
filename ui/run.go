package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/cfsign/cfsign/internal/termbg"
	tea "github.com/charmbracelet/bubbletea"
)

// Run runs the terminal app on the alternate screen until the user quits (nil)
// or ctx ends; the terminal is restored either way.
func Run(ctx context.Context, deps Deps) error {
	if deps.background == nil {
		deps.background = new(sync.WaitGroup)
	}
	// The background decides the adaptive colours: ask the terminal, but
	// never wait long enough to delay the first frame noticeably. An answer
	// that comes later is taken out of the keys, and the app redraws in
	// its colours.
	var p *tea.Program
	input := termbg.Detect(os.Stdin, os.Stdout, bgQueryWait, func(dark bool) { p.Send(backgroundMsg{dark}) })
	useNoColorProfile(os.Getenv)
	deps.exitPrint = new(exitPrinter)
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}
	if input != nil {
		opts = append(opts, tea.WithInput(input))
	}
	if deps.Mouse {
		opts = append(opts, tea.WithMouseCellMotion())
	}
	if tty, closeTTY := ttyOutput(); tty != nil {
		defer closeTTY()
		opts = append(opts, tea.WithOutput(tty))
	}
	p = tea.NewProgram(New(deps), opts...)
	_, err := p.Run()
	waitBackground(deps.background, abortGrace)
	// Lines asked for with p in the sign view, now that the terminal is back.
	perr := deps.exitPrint.writeTo(os.Stdout)
	if err == nil && perr != nil {
		return fmt.Errorf("print the signed URLs: %w", perr)
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("terminal ui: %w", err)
}

// bgQueryWait bounds the wait for the terminal's background colour before
// the first frame: local terminals answer within a few milliseconds; over a
// slow link the first frame comes in the guessed colours, and the answer
// redraws it.
const bgQueryWait = 40 * time.Millisecond

// backgroundMsg carries the terminal's late answer: whether its background
// is dark.
type backgroundMsg struct{ dark bool }

// abortGrace bounds how long quitting waits for cancelled uploads to abort.
const abortGrace = 15 * time.Second

// waitBackground waits for wg, at most d.
func waitBackground(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
