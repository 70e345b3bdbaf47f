package ui

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/secret"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// inputFocuser is implemented by views with a text input: while it has
// focus, q and ? type instead of quitting or toggling help.
type inputFocuser interface{ InputFocused() bool }

// prompter is implemented by views that can wait for a y/n answer.
type prompter interface{ Prompting() bool }

// runner is implemented by views that can have uploads running.
type runner interface {
	Running() bool
	// QuitWarning says what quitting now would do, and how to do it.
	QuitWarning() string
}

// initer is implemented by views that start work when they open.
type initer interface{ Init() tea.Cmd }

// root is the root model: a router that owns screen switching, global keys,
// the window size, the header, the footer and the status line.
type root struct {
	deps    Deps
	st      *Styles
	env     uiEnv
	km      keyMap
	help    help.Model
	browser *browserView
	cur     view // the view on screen; the browser unless another is open

	width, height int
	quitArmed     bool // a quit was asked for while uploads run: the next one quits
	click         lastClick
	status        string
	statusErr     bool
	statusSeq     int
}

// New returns cfsign's root Bubble Tea model.
func New(deps Deps) tea.Model { return newApp(deps, defaultEnv()) }

func newApp(deps Deps, env uiEnv) *root {
	if deps.background == nil {
		deps.background = new(sync.WaitGroup)
	}
	st := NewStyles()
	h := help.New()
	h.Styles = help.Styles{
		Ellipsis: st.HelpSep, ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.HelpSep,
		FullKey: st.HelpKey, FullDesc: st.HelpDesc, FullSeparator: st.HelpSep,
	}
	m := &root{deps: deps, st: st, env: env, km: keyBindings, help: h, width: 80, height: 24}
	m.browser = newBrowserView(deps, st, env)
	m.cur = m.browser
	m.resize()
	return m
}

// needsSetup reports whether the first screen is setup: no key configured
// and not on the sandbox.
func (m *root) needsSetup() bool {
	return !m.deps.Sandbox && (m.deps.Settings.KeyPairID == "" || m.deps.Settings.PrivateKey == "")
}

// Init lists the bucket (or the buckets) and opens setup on first run.
func (m *root) Init() tea.Cmd {
	cmds := []tea.Cmd{m.browser.Init()}
	if m.needsSetup() {
		cmds = append(cmds, m.openView(openSetupMsg{}))
	}
	return tea.Batch(cmds...)
}

// Update routes a message: global keys here, other keys to the view on
// screen, command results to the view on screen and to the browser (whose
// listings may finish while another view is open).
func (m *root) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = max(msg.Width, 1), max(msg.Height, 1)
		m.resize()
		return m, nil
	case backgroundMsg:
		// The adaptive colours follow the terminal's late answer; the
		// frame this Update ends with draws in them.
		lipgloss.SetHasDarkBackground(msg.dark)
		return m, nil
	case tea.MouseMsg:
		return m, m.mouse(msg)
	case tea.KeyMsg:
		if keys := splitBurst(msg); keys != nil {
			// Keys that arrived together (SSH, a slow link, send-keys -l)
			// come as one message: each acts as its own key press.
			cmds := make([]tea.Cmd, 0, len(keys))
			for _, k := range keys {
				_, cmd := m.Update(k)
				cmds = append(cmds, cmd)
			}
			return m, tea.Batch(cmds...)
		}
		armed := m.quitArmed
		m.quitArmed = false
		if key.Matches(msg, m.km.ForceQuit) {
			return m, m.quitOrAsk(armed)
		}
		if key.Matches(msg, m.km.HelpAny) {
			// F1 reaches help from every view, also where ? is text.
			m.help.ShowAll = !m.help.ShowAll
			m.resize()
			return m, nil
		}
		if !m.inputFocused() && !m.prompting() {
			switch {
			case key.Matches(msg, m.km.Quit):
				return m, m.quitOrAsk(armed)
			case key.Matches(msg, m.km.Help):
				m.help.ShowAll = !m.help.ShowAll
				m.resize()
				return m, nil
			case key.Matches(msg, m.km.Setup) && !m.onSetup():
				return m, m.openView(openSetupMsg{})
			case key.Matches(msg, m.km.Log) && m.deps.SandboxLog != nil && !m.onLog():
				return m, m.openView(openLogMsg{})
			}
		}
		var cmd tea.Cmd
		m.cur, cmd = m.cur.Update(msg)
		return m, cmd
	case openUploadMsg, openSignMsg, openSetupMsg, openLogMsg:
		return m, m.openView(msg)
	case openDownloadMsg, openBucketsMsg:
		return m, m.openView(msg)
	case downloadsDoneMsg:
		m.cur = m.browser
		m.resize()
		return m, m.setStatus(msg.note, false)
	case bucketChosenMsg:
		return m, m.switchBucket(msg.bucket)
	case backMsg:
		m.cur = m.browser
		m.resize()
		return m, nil
	case uploadsDoneMsg:
		if m.quitArmed {
			// "Uploads are running: ctrl+c again…" is no longer true.
			m.quitArmed, m.status = false, ""
		}
		m.cur = m.browser
		m.resize()
		first := ""
		if len(msg.keys) > 0 {
			first = msg.keys[0]
		}
		if msg.skipped > 0 {
			note := fmt.Sprintf("uploaded %s; %s skipped (an object was there, kept)", app.Count(len(msg.keys), "file"), app.Count(msg.skipped, "file"))
			return m, tea.Batch(m.browser.refreshSelect(msg.bucket, first), m.setStatus(note, false))
		}
		return m, m.browser.refreshSelect(msg.bucket, first)
	case settingsSavedMsg:
		old := m.deps.Settings
		m.deps.Settings = msg.settings
		m.browser.deps.Settings = msg.settings
		if !msg.stay {
			m.cur = m.browser
		}
		m.resize()
		note, isErr := "settings saved", false
		if len(msg.overridden) > 0 {
			note, isErr = "settings saved, but "+strings.Join(msg.overridden, "; "), true
		}
		if msg.settings.Bucket != old.Bucket && msg.settings.Bucket != "" {
			return m, tea.Batch(m.browser.openAt(msg.settings.Bucket, ""), m.setStatus(note, isErr))
		}
		return m, m.setStatus(note, isErr)
	case statusMsg:
		return m, m.setStatus(msg.text, msg.err)
	case clearStatusMsg:
		if msg.seq == m.statusSeq {
			m.status, m.statusErr = "", false
		}
		return m, nil
	}
	var cmds []tea.Cmd
	var cmd tea.Cmd
	if m.cur != view(m.browser) {
		m.cur, cmd = m.cur.Update(msg)
		cmds = append(cmds, cmd)
	}
	_, cmd = m.browser.Update(msg)
	cmds = append(cmds, cmd)
	return m, tea.Batch(cmds...)
}

// quit cancels the work of the browser and of the view on screen; Run then
// waits (briefly) for cancelled uploads to abort their multipart uploads.
func (m *root) quit() tea.Cmd {
	m.browser.cancelAll()
	if c, ok := m.cur.(interface{ cancelAll() }); ok {
		c.cancelAll()
	}
	return tea.Quit
}

// quitOrAsk quits, unless uploads are running and this is the first ask:
// then it says what quitting would do and waits for a second one.
func (m *root) quitOrAsk(armed bool) tea.Cmd {
	if r, ok := m.cur.(runner); ok && r.Running() && !armed {
		m.quitArmed = true
		return status(r.QuitWarning(), true)
	}
	return m.quit()
}

// prompting reports whether the view on screen waits for a y/n answer:
// then q means no, not quit.
func (m *root) prompting() bool {
	p, ok := m.cur.(prompter)
	return ok && p.Prompting()
}

// inputFocused reports whether the view on screen has a text input focused:
// then q, ? and K type, and only ctrl+c quits.
func (m *root) inputFocused() bool {
	f, ok := m.cur.(inputFocuser)
	return ok && f.InputFocused()
}

func (m *root) onSetup() bool {
	_, ok := m.cur.(*setupView)
	return ok
}

func (m *root) onLog() bool {
	_, ok := m.cur.(*logView)
	return ok
}

// openView switches to the upload, sign or setup view.
func (m *root) openView(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case openUploadMsg:
		m.cur = newUploadView(m.deps, m.st, msg.bucket, msg.prefix)
	case openSignMsg:
		m.cur = newSignView(m.deps, m.st, msg.bucket, msg.keys).forVersion(msg.version)
	case openSetupMsg:
		m.cur = newSetupView(m.deps, m.st)
	case openLogMsg:
		m.cur = newLogView(m.deps, m.st)
	case openDownloadMsg:
		m.cur = newDownloadView(m.deps, m.st, msg)
	case openBucketsMsg:
		bucket, _ := m.browser.location()
		m.cur = newBucketsView(m.deps, m.st, m.env, bucket)
	default:
		return nil
	}
	m.resize()
	if v, ok := m.cur.(initer); ok {
		return v.Init()
	}
	return nil
}

// setStatus shows a notice or error and schedules its removal.
func (m *root) setStatus(text string, isErr bool) tea.Cmd {
	m.statusSeq++
	m.status, m.statusErr = secret.RedactMessage(text), isErr
	return m.env.after(statusTTL, clearStatusMsg{seq: m.statusSeq})
}

// resize gives the view on screen the height left between header and footer.
func (m *root) resize() {
	m.help.Width = m.width
	h := m.height - lipgloss.Height(m.header()) - lipgloss.Height(m.footer())
	m.cur.SetSize(m.width, max(h, 1))
	if m.cur != view(m.browser) {
		m.browser.SetSize(m.width, max(h, 1))
	}
}

func (m *root) header() string {
	st := m.st
	parts := []string{st.AppName.Render("cfsign")}
	if m.deps.Sandbox {
		parts = append(parts, st.Badge.Render("SANDBOX"))
	} else {
		p := m.deps.Settings.Profile
		if p == "" {
			p = "default"
		}
		parts = append(parts, st.Profile.Render("profile "+app.Escape(p)))
	}
	if r := m.deps.Settings.Region; r != "" {
		parts = append(parts, st.Muted.Render(app.Escape(r)))
	}
	parts = append(parts, m.breadcrumb())
	return truncate(st.Header.Render(strings.Join(parts, " ")), m.width)
}

// breadcrumb is s3://bucket/a/b/ with each segment styled.
func (m *root) breadcrumb() string {
	st := m.st
	bucket, prefix := m.browser.location()
	if bucket == "" {
		return st.Crumb.Render("buckets")
	}
	sep := st.CrumbSep.Render("/")
	var b strings.Builder
	b.WriteString(st.CrumbSep.Render("s3://") + st.Crumb.Render(app.Escape(bucket)) + sep)
	for _, seg := range strings.SplitAfter(prefix, "/") {
		if seg == "" {
			continue
		}
		b.WriteString(st.Crumb.Render(app.Escape(strings.TrimSuffix(seg, "/"))))
		if strings.HasSuffix(seg, "/") {
			b.WriteString(sep)
		}
	}
	return b.String()
}

// footer is the status line above the current view's help.
func (m *root) footer() string {
	line := ""
	if m.status != "" {
		s := m.st.StatusOK
		if m.statusErr {
			s = m.st.StatusErr
		}
		line = s.Render(truncate(app.Escape(m.status), max(m.width-1, 1)))
	}
	var h string
	if m.help.ShowAll {
		global := m.globalKeys()
		if m.deps.SandboxLog != nil && !m.onLog() && !m.inputFocused() && !m.prompting() {
			// Full help only: the footer has no room to spare.
			global = append(global[:len(global)-1:len(global)-1], m.km.Log, global[len(global)-1])
		}
		groups := helpKeys{m.cur, global, m.prompting()}.FullHelp()
		whole := m.help
		whole.Width = 0 // measure unclipped
		if lipgloss.Width(whole.FullHelpView(groups)) <= m.width-1 {
			h = m.help.FullHelpView(groups)
		} else {
			// Narrow: the global keys, last, would be cut off; they get a
			// line of their own under the view's.
			h = m.help.FullHelpView(groups[:len(groups)-1]) + "\n" + m.help.ShortHelpView(global)
		}
	} else {
		// The global keys always show; the view's keys get what is left.
		keys := m.globalKeys()
		whole := m.help
		whole.Width = 0 // measure unclipped
		global := whole.ShortHelpView(keys)
		sep := m.help.Styles.ShortSeparator.Render(m.help.ShortSeparator)
		if lipgloss.Width(global)+lipgloss.Width(sep)+1 > m.width-1 && len(keys) > 2 {
			// Narrow: help and quit only, with room for the ellipsis.
			global = whole.ShortHelpView([]key.Binding{keys[0], keys[len(keys)-1]})
		}
		if own := shortHelp(m.help, m.cur.ShortHelp(), m.width-lipgloss.Width(global)-lipgloss.Width(sep)); own != "" {
			h = own + sep
		}
		h += global
	}
	lines := strings.Split(h, "\n")
	for i := range lines {
		lines[i] = truncate(lines[i], m.width)
	}
	return m.st.Footer.Render(line) + "\n" + strings.Join(lines, "\n")
}

// shortHelp renders bindings in at most width cells, with an ellipsis when
// some are left out. It fits the line itself: bubbles/help v1.0.0 overflows
// its width when its ellipsis does not fit either, which pushed the global
// keys off the footer.
func shortHelp(hm help.Model, bs []key.Binding, width int) string {
	hm.Width = 0
	ellipsis := hm.Styles.Ellipsis.Inline(true).Render(hm.Ellipsis)
	for n := len(bs); n >= 0; n-- {
		s := hm.ShortHelpView(bs[:n])
		if slices.ContainsFunc(bs[n:], key.Binding.Enabled) {
			if s != "" {
				s += " "
			}
			s += ellipsis
		}
		if lipgloss.Width(s) <= width {
			return s
		}
	}
	return ""
}

// globalKeys is the global keys that work in the current state, so help
// never lies: while a text input has focus q, ? and K type into it, and at a
// y/n prompt q means no and ? and K do nothing, so only F1 and ctrl+c are
// global; K does nothing on setup itself.
func (m *root) globalKeys() []key.Binding {
	if m.inputFocused() || m.prompting() {
		return []key.Binding{m.km.HelpAny, m.km.ForceQuit}
	}
	if !m.onSetup() {
		return []key.Binding{m.km.Help, m.km.Setup, m.km.Quit}
	}
	return []key.Binding{m.km.Help, m.km.Quit}
}

// helpKeys adds the global keys to a view's help. At a y/n prompt the full
// help is the prompt's keys: nothing else works there.
type helpKeys struct {
	v      view
	global []key.Binding
	prompt bool
}

func (h helpKeys) ShortHelp() []key.Binding {
	return append(slices.Clip(h.v.ShortHelp()), h.global...)
}

func (h helpKeys) FullHelp() [][]key.Binding {
	if h.prompt {
		return [][]key.Binding{h.v.ShortHelp(), h.global}
	}
	return append(slices.Clip(h.v.FullHelp()), h.global)
}

// View draws header, the current view and the footer in exactly the window.
func (m *root) View() string {
	header, footer := m.header(), m.footer()
	ch := m.height - lipgloss.Height(header) - lipgloss.Height(footer)
	if ch < 1 {
		return fit(header+"\n"+footer, m.width, m.height)
	}
	return header + "\n" + fit(m.cur.View(), m.width, ch) + "\n" + footer
}

// fit cuts or pads s to exactly h lines no wider than w, so a view can never
// push the footer off screen or wrap a row.
func fit(s string, w, h int) string {
	lines := strings.SplitN(s, "\n", h+1)
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// splitBurst splits a message holding several typed runes into one key
// message per rune; nil when msg is one key, or a bracketed paste (which
// stays one paste).
func splitBurst(msg tea.KeyMsg) []tea.KeyMsg {
	if msg.Type != tea.KeyRunes || len(msg.Runes) < 2 || msg.Paste {
		return nil
	}
	out := make([]tea.KeyMsg, len(msg.Runes))
	for i, r := range msg.Runes {
		out[i] = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}
	}
	return out
}
