package ui

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Run runs the terminal app on the alternate screen until the user quits (nil)
// or ctx ends; the terminal is restored either way.
func Run(ctx context.Context, deps Deps) error {
	if deps.background == nil {
		deps.background = new(sync.WaitGroup)
	}
	p := tea.NewProgram(New(deps), tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	waitBackground(deps.background, abortGrace)
	if err == nil {
		return nil
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("terminal ui: %w", err)
}

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
