package ui

import (
	"context"
	"errors"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"
)

// Run runs the terminal app on the alternate screen until the user quits (nil)
// or ctx ends; the terminal is restored either way.
func Run(ctx context.Context, deps Deps) error {
	p := tea.NewProgram(New(deps), tea.WithAltScreen(), tea.WithContext(ctx))
	_, err := p.Run()
	if err == nil {
		return nil
	}
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("terminal ui: %w", err)
}
