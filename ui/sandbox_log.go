package ui

import (
	"context"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/cfsign/cfsign/internal/app"
)

// SandboxLog reads the sandbox's log, whichever process runs the sandbox.
// *app.Session satisfies it; nil off the sandbox.
type SandboxLog interface {
	// SandboxLog returns the last n lines of the log.
	SandboxLog(ctx context.Context, n int) ([]string, error)
	// EdgeRefusal is why the edge refused the request it answered with
	// requestID (X-Amz-Cf-Id); ok is false when the log does not say.
	EdgeRefusal(ctx context.Context, requestID string) (reason string, ok bool)
}

// logLines is how many of the newest log lines the log view shows.
const logLines = 500

type (
	// openLogMsg opens the sandbox log view.
	openLogMsg struct{}
	// logLoadedMsg is the log's newest lines (request seq).
	logLoadedMsg struct {
		seq   int
		lines []string
		err   error
	}
)

// logView shows the sandbox's log, newest line last: why the edge refused a
// link (which check failed), from whichever process runs the sandbox.
type logView struct {
	deps          Deps
	st            *Styles
	km            keyMap
	width, height int
	lines         []string
	wrapped       []string // lines, escaped and wrapped to the width: what scrolls
	err           error
	loaded        bool
	seq           int
	top           int // the first row of wrapped shown
}

func newLogView(deps Deps, st *Styles) *logView {
	return &logView{deps: deps, st: st, km: keyBindings}
}

// Init loads the log.
func (v *logView) Init() tea.Cmd { return v.load() }

func (v *logView) load() tea.Cmd {
	v.seq++
	seq, src := v.seq, v.deps.SandboxLog
	return func() tea.Msg {
		lines, err := src.SandboxLog(context.Background(), logLines)
		return logLoadedMsg{seq: seq, lines: lines, err: err}
	}
}

func (v *logView) Update(msg tea.Msg) (view, tea.Cmd) {
	switch msg := msg.(type) {
	case logLoadedMsg:
		if msg.seq != v.seq {
			return v, nil
		}
		v.lines, v.err, v.loaded = msg.lines, msg.err, true
		v.wrap()
		v.top = v.maxTop() // the newest lines
	case tea.KeyMsg:
		km := v.km
		switch {
		case key.Matches(msg, km.Back):
			return v, asCmd(backMsg{})
		case key.Matches(msg, km.Refresh):
			return v, v.load()
		case key.Matches(msg, km.Up):
			v.scroll(-1)
		case key.Matches(msg, km.Down):
			v.scroll(1)
		case key.Matches(msg, km.PageUp):
			v.scroll(-v.rows())
		case key.Matches(msg, km.PageDown):
			v.scroll(v.rows())
		case key.Matches(msg, km.Top):
			v.top = 0
		case key.Matches(msg, km.Bottom):
			v.top = v.maxTop()
		}
	}
	return v, nil
}

// rows is how many log lines fit under the title.
func (v *logView) rows() int { return max(v.height-2, 1) }

func (v *logView) maxTop() int { return max(len(v.wrapped)-v.rows(), 0) }

// wrap breaks each line into rows of the width: a refusal's reason is at
// the end of its line.
func (v *logView) wrap() {
	v.wrapped = v.wrapped[:0]
	w := max(v.width, 10)
	for _, l := range v.lines {
		// The log quotes request paths: escape what could act on the terminal.
		v.wrapped = append(v.wrapped, strings.Split(ansi.Hardwrap(app.EscapeText(l), w, true), "\n")...)
	}
}

func (v *logView) scroll(d int) { v.top = min(max(v.top+d, 0), v.maxTop()) }

func (v *logView) View() string {
	st := v.st
	title := st.Title.Render("Sandbox log") + st.Muted.Render("  newest last · "+app.Count(len(v.lines), "line"))
	out := []string{truncate(title, v.width), ""}
	switch {
	case !v.loaded:
		out = append(out, st.Muted.Render("loading…"))
	case v.err != nil:
		out = append(out, truncLine(st.Error.Render(oneLine(v.err.Error())), v.width))
	case len(v.lines) == 0:
		out = append(out, truncLine(st.Muted.Render("Nothing yet: the edge logs here each link it refuses, with the check that failed."), v.width))
	default:
		end := min(v.top+v.rows(), len(v.wrapped))
		out = append(out, v.wrapped[v.top:end]...)
		if end-v.top < len(v.wrapped) {
			out[0] = truncate(title+st.Muted.Render(" · rows "+strconv.Itoa(v.top+1)+"-"+strconv.Itoa(end)+" of "+strconv.Itoa(len(v.wrapped))), v.width)
		}
	}
	return strings.Join(out, "\n")
}

func (v *logView) SetSize(w, h int) {
	atEnd := v.top >= v.maxTop()
	v.width, v.height = w, h
	v.wrap()
	if atEnd {
		v.top = v.maxTop()
	}
	v.scroll(0)
}

func (v *logView) ShortHelp() []key.Binding {
	return []key.Binding{v.km.Up, v.km.Down, v.km.Refresh, v.km.Back}
}

func (v *logView) FullHelp() [][]key.Binding {
	km := v.km
	return [][]key.Binding{{km.Up, km.Down, km.PageUp, km.PageDown, km.Top, km.Bottom}, {km.Refresh, km.Back}}
}
