// The download view: where objects go (a prompt that starts at the working
// directory), the question before a file would be replaced, and progress.
// The batch runs through the application layer (app.Download), as 'cfsign
// download' does: the same destination rules, the same mode and symlink
// handling, and a stop that leaves no half-written file.
package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

type dlPhase int

const (
	dlDest     dlPhase = iota // typing where the objects go
	dlChecking                // looking for files they would replace
	dlAsking                  // replace or keep an existing file
	dlRunning
	dlEnded // some file did not download: the list says why
)

// dlItem is one object of the batch and how it went.
type dlItem struct {
	file     app.DownloadFile
	state    itemState
	outcome  app.DownloadOutcome
	sent     int64
	total    int64
	started  time.Time
	finished time.Time
	err      error
}

type (
	// dlPlannedMsg carries the files the destination resolved to, and
	// which of them exist.
	dlPlannedMsg struct {
		files  []app.DownloadFile
		exists map[int]bool
		err    error
	}
	// dlStartedMsg says the batch runs and streams its events.
	dlStartedMsg struct{ events <-chan app.DownloadEvent }
	dlEventMsg   struct{ ev app.DownloadEvent }
	dlClosedMsg  struct{}
)

// downloadKeys are the overwrite question's keys: the CLI's two rules,
// replace (as cp does) or keep the file (--no-clobber); capitals answer
// for every file left.
var downloadKeys = struct{ Replace, Keep, ReplaceAll, KeepAll key.Binding }{
	Replace:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "replace")),
	Keep:       key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "keep the file")),
	ReplaceAll: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "replace all")),
	KeepAll:    key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "keep all")),
}

// downloadView downloads objects of a bucket to local files.
type downloadView struct {
	deps     Deps
	st       *Styles
	km       keyMap
	bucket   string
	keys     []string
	versions []string

	phase dlPhase
	dest  textinput.Model
	note  string
	isErr bool

	items []dlItem
	ask   []int // the files that exist, asked about in order
	at    int

	cancel   context.CancelFunc
	gone     chan struct{}
	events   <-chan app.DownloadEvent
	stopping bool

	bar           progress.Model
	now           func() time.Time
	width, height int
}

func newDownloadView(deps Deps, st *Styles, m openDownloadMsg) *downloadView {
	v := &downloadView{deps: deps, st: st, km: keyBindings, bucket: m.bucket, keys: m.keys, versions: m.versions,
		bar: newProgressBar(st), now: time.Now, width: 80, height: 20}
	v.dest = newFormInput(st)
	v.dest.CharLimit = 4096
	v.dest.SetValue(deps.Workdir)
	v.dest.CursorEnd()
	v.dest.Focus()
	v.SetSize(v.width, v.height)
	return v
}

// InputFocused reports whether keys go to the destination input.
func (v *downloadView) InputFocused() bool { return v.phase == dlDest }

// Prompting reports whether the view waits for the overwrite answer.
func (v *downloadView) Prompting() bool { return v.phase == dlAsking }

// Running reports whether downloads run: quitting then asks first.
func (v *downloadView) Running() bool { return v.phase == dlRunning }

// QuitWarning says what quitting during downloads does.
func (v *downloadView) QuitWarning() string {
	return "Downloads are running: ctrl+c (or q) again stops them (nothing half-written is left) and quits; any other key keeps them going"
}

// SetSize sets the view's size.
func (v *downloadView) SetSize(w, h int) {
	v.width, v.height = max(w, 20), max(h, 5)
	v.dest.Width = max(v.width-9, 10)
	v.bar.Width = max(min(v.width-4, 60), 10)
}

// cancelAll stops the batch and stops reading it; the root calls it before
// quitting, and Run waits for the temporary files to go.
func (v *downloadView) cancelAll() {
	if v.cancel != nil {
		v.cancel()
		close(v.gone)
		v.cancel = nil
	}
}

// Update handles keys, the plan and the batch's events.
func (v *downloadView) Update(msg tea.Msg) (view, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v, v.handleKey(msg)
	case dlPlannedMsg:
		return v, v.planned(msg)
	case dlStartedMsg:
		if v.cancel == nil {
			return v, nil
		}
		v.events = msg.events
		return v, waitDownload(msg.events)
	case dlEventMsg:
		if v.events == nil {
			return v, nil
		}
		v.apply(msg.ev)
		return v, waitDownload(v.events)
	case dlClosedMsg:
		if v.cancel != nil {
			v.cancel()
			v.cancel = nil
		}
		v.events = nil
		return v, v.finished()
	}
	var cmd tea.Cmd
	if v.phase == dlDest {
		v.dest, cmd = v.dest.Update(msg)
	}
	return v, cmd
}

func (v *downloadView) handleKey(msg tea.KeyMsg) tea.Cmd {
	switch v.phase {
	case dlDest:
		switch {
		case key.Matches(msg, v.km.Back):
			return asCmd(backMsg{})
		case key.Matches(msg, v.km.Confirm):
			return v.plan()
		}
		var cmd tea.Cmd
		v.dest, cmd = v.dest.Update(msg)
		v.note, v.isErr = "", false
		return cmd
	case dlAsking:
		return v.answer(msg)
	case dlRunning:
		if key.Matches(msg, v.km.Back) && !v.stopping {
			v.stopping = true
			v.cancel()
			return asCmd(statusMsg{text: "Stopping: the files being written are removed"})
		}
	case dlEnded:
		if key.Matches(msg, v.km.Back) {
			return asCmd(backMsg{})
		}
	}
	return nil
}

// plan resolves the destination and looks for the files it would replace,
// in a command.
func (v *downloadView) plan() tea.Cmd {
	v.phase = dlChecking
	v.dest.Blur()
	typed, bucket, keys, versions, wd := strings.TrimSpace(v.dest.Value()), v.bucket, v.keys, v.versions, v.deps.Workdir
	return func() tea.Msg {
		files, err := app.DownloadTo(bucket, keys, versions, destPath(typed, wd), wd)
		if err != nil {
			return dlPlannedMsg{err: err}
		}
		return dlPlannedMsg{files: files, exists: app.ExistingFiles(files)}
	}
}

// destPath is the path the user typed, as a shell reads it: "~/" is the
// home directory, a relative path is under the working directory; a
// trailing separator stays (a directory to be).
func destPath(typed, wd string) string {
	if typed == "" {
		return ""
	}
	p := resolvePath(typed, wd)
	if sep := string(filepath.Separator); strings.HasSuffix(typed, sep) && !strings.HasSuffix(p, sep) {
		p += sep // a directory to be
	}
	return p
}

func (v *downloadView) planned(msg dlPlannedMsg) tea.Cmd {
	if v.phase != dlChecking {
		return nil
	}
	if msg.err != nil {
		v.phase, v.note, v.isErr = dlDest, msg.err.Error(), true
		return v.dest.Focus()
	}
	v.items = make([]dlItem, len(msg.files))
	v.ask = nil
	for i, f := range msg.files {
		v.items[i] = dlItem{file: f, total: -1}
		if msg.exists[i] {
			v.ask = append(v.ask, i)
		}
	}
	if len(v.ask) > 0 {
		v.phase, v.at = dlAsking, 0
		return nil
	}
	return v.start()
}

// answer takes the overwrite question's answer for the file asked about
// (capitals: for it and every one left); esc cancels the whole download.
func (v *downloadView) answer(msg tea.KeyMsg) tea.Cmd {
	k := downloadKeys
	keep, all := false, false
	switch {
	case key.Matches(msg, k.Replace):
	case key.Matches(msg, k.Keep):
		keep = true
	case key.Matches(msg, k.ReplaceAll):
		all = true
	case key.Matches(msg, k.KeepAll):
		keep, all = true, true
	case key.Matches(msg, v.km.Back), key.Matches(msg, v.km.No):
		v.phase, v.items, v.ask = dlDest, nil, nil
		v.note, v.isErr = "Nothing downloaded", false
		return v.dest.Focus()
	default:
		return nil
	}
	for ; v.at < len(v.ask); v.at++ {
		v.items[v.ask[v.at]].file.NoClobber = keep
		if !all {
			v.at++
			break
		}
	}
	if v.at < len(v.ask) {
		return nil
	}
	return v.start()
}

// start runs the batch through the application layer.
func (v *downloadView) start() tea.Cmd {
	v.phase = dlRunning
	files := make([]app.DownloadFile, len(v.items))
	for i := range v.items {
		files[i] = v.items[i].file
	}
	ctx, cancel := context.WithCancel(context.Background())
	v.cancel, v.gone = cancel, make(chan struct{})
	d, gone, bg := v.deps.Downloader, v.gone, v.deps.background
	return func() tea.Msg {
		b := app.Download(ctx, d, files, app.DownloadOptions{Abandon: gone})
		if bg != nil {
			bg.Add(1)
			go func() { <-b.Done; bg.Done() }()
		}
		return dlStartedMsg{events: b.Events}
	}
}

// waitDownload reads one event; the view issues it again after each.
func waitDownload(events <-chan app.DownloadEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return dlClosedMsg{}
		}
		return dlEventMsg{ev: ev}
	}
}

func (v *downloadView) apply(ev app.DownloadEvent) {
	if ev.Index < 0 || ev.Index >= len(v.items) {
		return
	}
	it := &v.items[ev.Index]
	if ev.Dest != "" {
		it.file.Dest = ev.Dest
	}
	if ev.Total >= 0 {
		it.total = ev.Total
	}
	it.sent = max(it.sent, ev.Sent)
	switch ev.Kind {
	case app.Started, app.Progress:
		if it.state == itemPending {
			it.state, it.started = itemRunning, v.now()
		}
	case app.Done:
		it.outcome, it.err, it.finished = ev.Outcome, ev.Err, v.now()
		switch ev.Outcome {
		case app.Downloaded, app.DownloadKept:
			it.state = itemDone
		case app.DownloadStopped, app.DownloadNotStarted:
			it.state = itemCancelled
		default:
			it.state = itemFailed
		}
	}
}

// finished returns to the browser when every file is there (or kept), or
// says how the batch ended and stays.
func (v *downloadView) finished() tea.Cmd {
	var done, kept, stopped, failed int
	var size int64
	for _, it := range v.items {
		switch it.outcome {
		case app.Downloaded:
			done++
			size += max(it.total, 0)
		case app.DownloadKept:
			kept++
		case app.DownloadFailed:
			failed++
		default:
			stopped++
		}
	}
	where := v.items[0].file.Dest
	if len(v.items) > 1 {
		where = filepath.Dir(where)
	}
	var parts []string
	if done > 0 {
		parts = append(parts, fmt.Sprintf("Downloaded %s (%s) to %s", app.Count(done, "file"), app.Size(size), app.EscapeText(where)))
	}
	if kept > 0 {
		parts = append(parts, fmt.Sprintf("%s kept: the file was there, nothing downloaded for it", app.Count(kept, "file")))
	}
	if stopped == 0 && failed == 0 {
		return asCmd(downloadsDoneMsg{note: strings.Join(parts, "; ")})
	}
	if stopped > 0 {
		parts = append(parts, fmt.Sprintf("%d stopped, nothing written for them", stopped))
	}
	if failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed, nothing written for them", failed))
	}
	v.phase = dlEnded
	return asCmd(statusMsg{text: strings.Join(parts, "; "), err: failed > 0})
}

// ShortHelp lists the keys that work now.
func (v *downloadView) ShortHelp() []key.Binding {
	back := v.km.Back
	switch v.phase {
	case dlDest:
		c := v.km.Confirm
		c.SetHelp("enter", "download")
		back.SetHelp("esc", "back")
		return []key.Binding{c, back}
	case dlAsking:
		back.SetHelp("esc", "cancel")
		k := downloadKeys
		if len(v.ask)-v.at < 2 {
			return []key.Binding{k.Replace, k.Keep, back}
		}
		return []key.Binding{k.Replace, k.Keep, k.ReplaceAll, k.KeepAll, back}
	case dlRunning:
		back.SetHelp("esc", "stop")
		if v.stopping {
			back.SetHelp("esc", "stopping…")
		}
		return []key.Binding{back}
	case dlEnded:
		return []key.Binding{back}
	}
	return nil
}

// FullHelp lists every key of the view.
func (v *downloadView) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }

// View draws the prompt, the question and the files.
func (v *downloadView) View() string {
	st := v.st
	title := fmt.Sprintf("Download %s from s3://%s/%s", app.Count(len(v.keys), "object"), app.Escape(v.bucket), app.Escape(commonFolder(v.keys)))
	if len(v.keys) == 1 {
		title = "Download s3://" + app.Escape(v.bucket) + "/" + app.Escape(v.keys[0])
		if len(v.versions) == 1 && v.versions[0] != "" {
			title += " (version " + app.Escape(v.versions[0]) + ")"
		}
	}
	lines := []string{truncLine(st.Title.Render(title), v.width)}
	label := st.Label.Render("To    ")
	if v.phase == dlDest {
		label = st.Selected.Render("To") + "    "
		lines = append(lines, truncLine(label+v.destView(), v.width))
	} else {
		lines = append(lines, truncLine(label+app.EscapeText(v.dest.Value()), v.width))
	}
	hint := "a directory, or for one object a file name; enter downloads"
	if len(v.keys) > 1 {
		hint = "a directory (each object under its own name); enter downloads"
	}
	switch {
	case v.phase == dlAsking:
		for _, q := range v.question() {
			lines = append(lines, truncLine("      "+st.Warning.Render(q), v.width))
		}
	case v.note != "" && v.isErr:
		lines = append(lines, truncLine("      "+st.Error.Render(oneLine(v.note)), v.width))
	case v.note != "":
		lines = append(lines, truncLine("      "+st.Muted.Render(v.note), v.width))
	case v.phase == dlChecking:
		lines = append(lines, truncLine("      "+st.Muted.Render("Looking for files these would replace…"), v.width))
	case v.phase == dlDest:
		lines = append(lines, truncLine("      "+st.Muted.Render(hint), v.width))
	default:
		lines = append(lines, "")
	}
	if len(v.items) > 0 && v.phase != dlAsking {
		lines = append(lines, "", v.listView())
	}
	return clipLines(strings.Join(lines, "\n"), v.height)
}

// destView is the destination field, with a path's invisible characters
// shown escaped (the field keeps the real path).
func (v *downloadView) destView() string {
	val := v.dest.Value()
	if esc := app.EscapeText(val); esc != val {
		shown := v.dest
		shown.SetValue(esc)
		return shown.View()
	}
	return v.dest.View()
}

// question asks about the file at hand, by name, and counts the rest.
func (v *downloadView) question() []string {
	it := v.items[v.ask[v.at]]
	q := "r replaces it, keeping its mode (as cp does) · k keeps it"
	if left := len(v.ask) - v.at; left > 1 {
		q += fmt.Sprintf(" · R, K: all %d", left)
	}
	return []string{app.EscapeText(it.file.Dest) + " exists.", q}
}

// listView is the total and as many files as fit.
func (v *downloadView) listView() string {
	st := v.st
	var sent, total int64
	done := 0
	for _, it := range v.items {
		sent += it.sent
		total += max(it.total, it.sent)
		if it.state == itemDone {
			done++
		}
	}
	out := []string{
		truncLine(st.Label.Render(fmt.Sprintf("Total  %d/%d files  %s / %s", done, len(v.items), app.Size(sent), app.Size(total))), v.width),
		"  " + v.bar.ViewAs(fraction(sent, total)),
	}
	room := max((v.height-len(out)-4)/2, 1)
	for n, it := range v.items {
		if n >= room {
			out = append(out, st.Muted.Render(fmt.Sprintf("  … %d more", len(v.items)-n)))
			break
		}
		out = append(out, v.itemLines(it)...)
	}
	return strings.Join(out, "\n")
}

// itemLines are two lines for a file: state, key and figures; then a bar,
// where it went, or what happened.
func (v *downloadView) itemLines(it dlItem) []string {
	st := v.st
	var mark, figures, second string
	switch it.state {
	case itemPending:
		mark, figures = "·", "waiting"
	case itemRunning:
		mark = "↓"
		figures = fmt.Sprintf("%s / %s", app.Size(it.sent), app.Size(max(it.total, it.sent)))
		if el := v.now().Sub(it.started); el > 0 && it.sent > 0 {
			figures += fmt.Sprintf("  %s/s", app.Size(int64(float64(it.sent)/el.Seconds())))
		}
		second = "  " + v.bar.ViewAs(fraction(it.sent, it.total))
	case itemDone:
		mark, figures = st.OK.Render("✓"), app.Size(max(it.total, 0))+"  done"
		second = "  " + st.Muted.Render("→ "+app.EscapeText(it.file.Dest))
		if it.outcome == app.DownloadKept {
			mark, figures = "–", "kept: the file was there"
		}
	case itemCancelled:
		mark, figures = st.Error.Render("✗"), "stopped: nothing written"
		if it.outcome == app.DownloadNotStarted {
			figures = "not started"
		}
	case itemFailed:
		mark, figures = st.Error.Render("✗"), "failed: nothing written"
		second = "  " + st.Error.Render(oneLine(errString(it.err)))
	}
	room := max(v.width-lipgloss.Width(figures)-6, 8)
	return []string{
		truncLine(fmt.Sprintf("%s %s  %s", mark, truncLine(app.Escape(it.file.Key), room), st.Muted.Render(figures)), v.width),
		truncLine(second, v.width),
	}
}
