package ui

// The mouse: the wheel scrolls, a click selects a row and a double click
// opens it, and a click on a hint in the footer runs its key. Off with
// --no-mouse (or mouse = false), so the terminal's own selection works.

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// doubleClick is the longest gap between the clicks of a double click.
const doubleClick = 400 * time.Millisecond

// wheelRows is how far one wheel notch scrolls.
const wheelRows = 3

// rowClicker is implemented by views with rows to click.
type rowClicker interface {
	// ClickRow handles a click on line y of the view's area; double is the
	// second click of a double click on the same line.
	ClickRow(y int, double bool) tea.Cmd
}

// lastClick remembers the previous click, for double clicks.
type lastClick struct {
	y  int
	at time.Time
}

// mouse handles one mouse event.
func (m *root) mouse(msg tea.MouseMsg) tea.Cmd {
	switch {
	case msg.Action != tea.MouseActionPress:
		return nil
	case msg.Button == tea.MouseButtonWheelUp, msg.Button == tea.MouseButtonWheelDown:
		k := tea.KeyMsg{Type: tea.KeyDown}
		if msg.Button == tea.MouseButtonWheelUp {
			k.Type = tea.KeyUp
		}
		var cmds []tea.Cmd
		for range wheelRows {
			_, cmd := m.Update(k)
			cmds = append(cmds, cmd)
		}
		return tea.Batch(cmds...)
	case msg.Button != tea.MouseButtonLeft:
		return nil
	}
	top := lipgloss.Height(m.header())
	footer := strings.Split(m.footer(), "\n")
	hintsFrom := m.height - len(footer) + 1 // the lines after the status line
	switch {
	case msg.Y >= hintsFrom:
		return m.clickHint(ansi.Strip(footer[msg.Y-hintsFrom+1]), msg.X)
	case msg.Y >= top && msg.Y < m.height-len(footer):
		c, ok := m.cur.(rowClicker)
		if !ok {
			return nil
		}
		y := msg.Y - top
		now := time.Now()
		double := m.click.y == y && now.Sub(m.click.at) <= doubleClick
		m.click = lastClick{y: y, at: now}
		if double {
			m.click = lastClick{y: -1}
		}
		return c.ClickRow(y, double)
	}
	return nil
}

// clickHint runs the key of the footer hint under column x of line.
func (m *root) clickHint(line string, x int) tea.Cmd {
	pos := 0
	for _, part := range strings.Split(line, " • ") {
		w := ansi.StringWidth(part)
		if x >= pos && x < pos+w {
			label, _, _ := strings.Cut(strings.TrimSpace(part), " ")
			if k, ok := m.hintKey(label); ok {
				_, cmd := m.Update(k)
				return cmd
			}
			return nil
		}
		pos += w + ansi.StringWidth(" • ")
	}
	return nil
}

// hintKey is the key press a footer hint's label stands for, if the hint
// is one of the bindings on screen.
func (m *root) hintKey(label string) (tea.KeyMsg, bool) {
	bindings := append(m.cur.ShortHelp(), m.globalKeys()...)
	for _, b := range bindings {
		if !b.Enabled() || b.Help().Key != label || len(b.Keys()) == 0 {
			continue
		}
		return keyMsgFor(b)
	}
	return tea.KeyMsg{}, false
}

// keyMsgFor is the key message of a binding's first key.
func keyMsgFor(b key.Binding) (tea.KeyMsg, bool) {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
		"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
		"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
		"backspace": tea.KeyBackspace, "space": tea.KeySpace, "f1": tea.KeyF1, "ctrl+c": tea.KeyCtrlC,
		"ctrl+s": tea.KeyCtrlS, "ctrl+g": tea.KeyCtrlG, "ctrl+r": tea.KeyCtrlR, "ctrl+t": tea.KeyCtrlT, "ctrl+p": tea.KeyCtrlP,
	}
	k := b.Keys()[0]
	if t, ok := named[k]; ok {
		return tea.KeyMsg{Type: t}, true
	}
	if r := []rune(k); len(r) == 1 {
		return tea.KeyMsg{Type: tea.KeyRunes, Runes: r}, true
	}
	return tea.KeyMsg{}, false
}

// ClickRow selects the clicked row of the listing; a double click opens it.
func (b *browserView) ClickRow(y int, double bool) tea.Cmd {
	if b.details != nil || b.detailsBusy || b.naming || b.showErr || b.confirm != nil || b.folderConfirm != nil {
		return nil
	}
	first := 1 // the column header
	if b.filtering || b.list.pattern != "" {
		first++
	}
	if b.lastErr != "" {
		first++
	}
	row := b.list.offset + y - first
	if y < first || row < 0 || row >= len(b.list.rows) || row-b.list.offset >= b.listHeight() {
		return nil
	}
	b.move(row - b.list.cursor)
	if double {
		return b.open()
	}
	return b.maybeLoadMore()
}
