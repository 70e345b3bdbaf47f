package ui

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/filepicker"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// maxCandidates is how many path completions are listed under the input.
const maxCandidates = 6

type uploadFocus int

const (
	upFocusPath uploadFocus = iota
	upFocusPicker
	upFocusDest
	upFocusList // the upload list: r retries, no text input takes keys
)

type itemState int

const (
	itemPending itemState = iota
	itemRunning
	itemDone
	itemFailed
	itemCancelled // stopped, and the server holds nothing of it (or never started)
	itemStopping  // esc pressed: waiting for the abort and the server's answer
)

// uploadStopLimit bounds the wait for stopped uploads to report what the
// server holds; the aws layer's own bounds (abort, HEAD) are shorter.
const uploadStopLimit = 30 * time.Second

// uploadItem is one file of the session and how its transfer goes.
type uploadItem struct {
	req      aws.UploadRequest
	state    itemState
	sent     int64 // bytes sent, never decreasing
	total    int64
	started  time.Time // first progress event
	lastSent time.Time // the event that last moved sent forward
	finished time.Time
	err      error
	batch    int // the batch (start command) it last ran in

	landed     bool // stopped, but S3 had completed it: the object exists
	skipped    bool // itemDone: an object had the key and the user kept it
	notStarted bool // itemCancelled: the stop came before it ran
	deleted    bool // itemCancelled: it landed and the user deleted it
}

// uploadBatch is one start command's uploads: cancel reaches their context.
type uploadBatch struct {
	cancel   context.CancelFunc
	gone     chan struct{}          // closed when the view stops reading (quit)
	items    []int                  // the items, by their index in the batch
	events   <-chan app.UploadEvent // nil until the start command answers
	stopping bool                   // esc cancelled it: its last events say what the server holds
}

type (
	// uploadPlannedMsg carries the uploads one path expanded to.
	uploadPlannedMsg struct {
		seq   int
		path  string
		reqs  []aws.UploadRequest
		sizes []int64 // file sizes by request, -1 when unknown
		err   error
	}
	// uploadStartedMsg says batch id runs and streams its events.
	uploadStartedMsg struct {
		id     int
		events <-chan app.UploadEvent
	}
	// uploadEventMsg is one event of batch id.
	uploadEventMsg struct {
		id int
		ev app.UploadEvent
	}
	// uploadClosedMsg says batch id has no more events.
	uploadClosedMsg struct{ id int }
	// uploadLandedDeletedMsg answers the delete of uploads that landed
	// although they were stopped.
	uploadLandedDeletedMsg struct {
		keys []string
		err  error
	}
	// pathCompletionMsg carries the completions of input (request seq).
	pathCompletionMsg struct {
		seq     int
		input   string
		matches []string // names in the input's directory; directories end in "/"
		err     error
	}
)

// uploadView uploads local files into bucket/prefix.
type uploadView struct {
	deps   Deps
	st     *Styles
	keys   keyMap
	bucket string
	prefix string

	focus      uploadFocus
	path       textinput.Model
	dest       textinput.Model
	destEdited bool // the user typed a destination: stop deriving it from the path
	picker     filepicker.Model
	sizesDir   string                   // the directory sizes are for
	sizes      map[string]int64         // the picker's file sizes (see pickerLine)
	escaped    map[string][]pickerEntry // picker rows drawn escaped (see pickerLine)
	bar        progress.Model
	inited     bool

	completeSeq int
	candidates  []string
	note        string // one line under the inputs: completion or planning result
	noteErr     bool

	planSeq int
	items   []uploadItem
	batches map[int]*uploadBatch // running batches by id
	clobber *clobberQuestion     // a batch held back by the replace question
	batchID int

	now           func() time.Time
	width, height int
}

// newUploadView opens the upload screen for bucket/prefix.
func newUploadView(deps Deps, st *Styles, bucket, prefix string) *uploadView {
	v := &uploadView{
		deps: deps, st: st, keys: keyBindings, bucket: bucket, prefix: prefix,
		batches: map[int]*uploadBatch{},
		now:     time.Now,
		width:   80, height: 20,
	}
	v.path = newFormInput(st)
	v.path.Prompt = ""
	v.path.Placeholder = "files or folders (several, quoted, *.jpg); tab completes"
	v.path.Focus()
	v.dest = newFormInput(st)
	v.dest.Prompt = ""
	v.dest.Placeholder = prefix + "<file name>"
	v.picker = filepicker.New()
	v.picker.CurrentDirectory = deps.Workdir
	if v.picker.CurrentDirectory == "" {
		v.picker.CurrentDirectory = "."
	}
	v.picker.AutoHeight = false
	v.picker.ShowPermissions = false
	v.picker.ShowSize = false // pickerLine shows them, in IEC units
	v.picker.Styles = pickerStyles(st)
	// esc belongs to the view (cancel, back); h/backspace/left go up a folder.
	v.picker.KeyMap.Back = key.NewBinding(key.WithKeys("h", "backspace", "left"), key.WithHelp("h", "up a folder"))
	// K is the global setup key; the picker pages with pgup/pgdown only.
	v.picker.KeyMap.PageUp = key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up"))
	v.picker.KeyMap.PageDown = key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdown", "page down"))
	v.bar = newProgressBar(st)
	v.SetSize(v.width, v.height)
	return v
}

// Init reads the picker's first directory.
func (v *uploadView) Init() tea.Cmd {
	v.inited = true
	return tea.Batch(v.picker.Init(), v.syncSizes())
}

// InputFocused reports whether keys go to a text input (the root then leaves
// q and other letters alone).
func (v *uploadView) InputFocused() bool {
	return v.focus == upFocusPath || v.focus == upFocusDest
}

// SetSize sets the view's size.
func (v *uploadView) SetSize(w, h int) {
	v.width, v.height = max(w, 20), max(h, 5)
	v.path.Width = max(v.width-10, 10)
	v.dest.Width = max(v.width-10, 10)
	v.bar.Width = max(min(v.width-4, 60), 10)
	v.picker.SetHeight(v.pickerHeight())
}

func (v *uploadView) running() bool { return len(v.batches) > 0 }

// cancelAll cancels every running upload (the aws layer then aborts their
// multipart uploads) and stops reading them; the root calls it before
// quitting, and Run waits for the aborts.
func (v *uploadView) cancelAll() {
	for id, b := range v.batches {
		b.cancel()
		close(b.gone)
		delete(v.batches, id)
	}
}

// stopping reports whether every running batch was stopped by esc.
func (v *uploadView) stopping() bool {
	for _, b := range v.batches {
		if !b.stopping {
			return false
		}
	}
	return len(v.batches) > 0
}

// Update handles keys, completions, plans and upload events.
func (v *uploadView) Update(msg tea.Msg) (view, tea.Cmd) {
	var first tea.Cmd
	if !v.inited {
		first = v.Init()
	}
	cmd := v.update(msg)
	return v, tea.Batch(first, cmd)
}

func (v *uploadView) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		return v.handleKey(msg)
	case pathCompletionMsg:
		return v.applyCompletion(msg)
	case pickerSizesMsg:
		if msg.dir == v.sizesDir {
			v.sizes, v.escaped = msg.sizes, msg.escaped
		}
		return nil
	case uploadPlannedMsg:
		return v.planned(msg)
	case uploadCheckedMsg:
		return v.checked(msg)
	case uploadRenamedMsg:
		return v.renamed(msg)
	case uploadStartedMsg:
		b, ok := v.batches[msg.id]
		if !ok {
			return nil // cancelled before it started: its goroutines stop on ctx
		}
		b.events = msg.events
		return waitProgress(msg.id, msg.events)
	case uploadEventMsg:
		b, ok := v.batches[msg.id]
		if !ok {
			return nil // stale: a cancelled batch; stop reading it
		}
		v.applyEvent(msg.id, b, msg.ev)
		return waitProgress(msg.id, b.events)
	case uploadClosedMsg:
		b, ok := v.batches[msg.id]
		if !ok {
			return nil
		}
		b.cancel()
		delete(v.batches, msg.id)
		return v.checkFinished()
	case uploadLandedDeletedMsg:
		return v.landedDeleted(msg)
	}
	// Anything else (directory reads, cursor blinks) goes to the parts.
	var cmds []tea.Cmd
	var c tea.Cmd
	v.picker, c = v.picker.Update(msg)
	cmds = append(cmds, c, v.syncSizes())
	v.path, c = v.path.Update(msg)
	cmds = append(cmds, c)
	v.dest, c = v.dest.Update(msg)
	cmds = append(cmds, c)
	return tea.Batch(cmds...)
}

// applyEvent updates the item an event of batch b (id) is about.
func (v *uploadView) applyEvent(id int, b *uploadBatch, ev app.UploadEvent) {
	if ev.Index < 0 || ev.Index >= len(b.items) {
		return
	}
	it := &v.items[b.items[ev.Index]]
	if it.batch != id {
		return
	}
	now := v.now()
	stopAsked := it.state == itemStopping
	if ev.Total > 0 {
		it.total = ev.Total
	}
	if ev.Sent > it.sent {
		it.sent, it.lastSent = ev.Sent, now
	}
	switch ev.Kind {
	case app.Started:
		if it.state == itemPending {
			it.state, it.started = itemRunning, now
		}
	case app.Progress:
		if it.state == itemPending {
			it.state, it.started = itemRunning, now
		}
	case app.Done:
		it.finished = now
		switch ev.Outcome {
		case app.Uploaded, app.Landed:
			it.state = itemDone
			// A stop the server had beaten: the transfer saw the stop, or
			// it completed before the stop reached it.
			it.landed = (ev.Outcome == app.Landed && ev.Stopped) || stopAsked
			if ev.Info.Size > 0 {
				it.total = ev.Info.Size
			}
			it.sent = max(it.sent, it.total)
		case app.NotStarted:
			it.state, it.notStarted = itemCancelled, true
		case app.Stopped:
			if ev.Stopped {
				it.state = itemCancelled
			} else {
				it.state, it.err = itemFailed, fmt.Errorf("upload %s: %w", app.Escape(it.req.Key), ev.Err)
			}
		default:
			it.state, it.err = itemFailed, fmt.Errorf("upload %s: %w", app.Escape(it.req.Key), ev.Err)
		}
	}
}

func (v *uploadView) handleKey(msg tea.KeyMsg) tea.Cmd {
	if v.clobber != nil {
		return v.clobberKey(msg)
	}
	switch {
	case key.Matches(msg, v.keys.Back):
		return v.escape()
	case key.Matches(msg, v.keys.Prev):
		return v.setFocus(v.nextFocus(-1))
	case key.Matches(msg, v.keys.Next):
		if v.focus == upFocusPath && strings.TrimSpace(v.path.Value()) != "" {
			return v.complete()
		}
		return v.setFocus(v.nextFocus(+1))
	}
	switch v.focus {
	case upFocusPath:
		if key.Matches(msg, v.keys.Confirm) {
			return v.submit(v.path.Value())
		}
		before := v.path.Value()
		var cmd tea.Cmd
		v.path, cmd = v.path.Update(msg)
		if v.path.Value() != before {
			v.candidates, v.note, v.noteErr = nil, "", false
			v.deriveDest()
		}
		return cmd
	case upFocusDest:
		if key.Matches(msg, v.keys.Confirm) {
			return v.submit(v.path.Value())
		}
		before := v.dest.Value()
		var cmd tea.Cmd
		v.dest, cmd = v.dest.Update(msg)
		if v.dest.Value() != before {
			// Once edited the destination is the user's; left empty, the
			// upload falls back to prefix + the file's name.
			v.destEdited = true
		}
		return cmd
	case upFocusPicker:
		var cmd tea.Cmd
		v.picker, cmd = v.picker.Update(msg)
		if ok, p := v.picker.DidSelectFile(msg); ok {
			v.destEdited = false
			return tea.Batch(cmd, v.submit(p))
		}
		return tea.Batch(cmd, v.syncSizes())
	case upFocusList:
		if key.Matches(msg, v.keys.Refresh) && v.retryable() > 0 && !v.running() {
			return v.retry()
		}
		if key.Matches(msg, v.keys.Delete) && len(v.landedKeys()) > 0 && !v.running() {
			return v.deleteLanded()
		}
	}
	return nil
}

func (v *uploadView) focusOrder() []uploadFocus {
	order := []uploadFocus{upFocusPath, upFocusPicker, upFocusDest}
	if len(v.items) > 0 {
		order = append(order, upFocusList)
	}
	return order
}

func (v *uploadView) nextFocus(d int) uploadFocus {
	order := v.focusOrder()
	for i, f := range order {
		if f == v.focus {
			return order[(i+d+len(order))%len(order)]
		}
	}
	return upFocusPath
}

func (v *uploadView) setFocus(f uploadFocus) tea.Cmd {
	v.focus = f
	v.path.Blur()
	v.dest.Blur()
	switch f {
	case upFocusPath:
		v.path.CursorEnd()
		return v.path.Focus()
	case upFocusDest:
		v.dest.CursorEnd()
		return v.dest.Focus()
	}
	return nil
}

// deriveDest fills the destination with prefix + the path's base name until
// the user edits it.
func (v *uploadView) deriveDest() {
	if v.destEdited {
		return
	}
	p := strings.TrimRight(v.path.Value(), `/\`)
	if p == "" {
		v.dest.SetValue("")
		return
	}
	v.dest.SetValue(v.prefix + filepath.Base(p))
}

// escape stops running uploads: each is cancelled, and the view keeps
// reading it until it says what the server holds (aborted, or completed
// before the stop), within uploadStopLimit. With none running it leaves the
// view.
func (v *uploadView) escape() tea.Cmd {
	if v.running() {
		var names []string
		for i := range v.items {
			it := &v.items[i]
			if it.state == itemPending || it.state == itemRunning {
				it.state = itemStopping
				names = append(names, app.Escape(it.req.Key))
			}
		}
		for _, b := range v.batches {
			b.stopping = true
			b.cancel()
		}
		v.focus = upFocusList
		v.path.Blur()
		v.dest.Blur()
		text := "Stopping: waiting for the server to confirm what it holds"
		if len(names) > 0 {
			text = "Stopping upload of " + listNames(names, 3) + ": waiting for the server to confirm what it holds"
		}
		return asCmd(statusMsg{text: text})
	}
	if done := v.doneKeys(); len(done) > 0 {
		return asCmd(uploadsDoneMsg{bucket: v.bucket, keys: done})
	}
	return asCmd(backMsg{})
}

// listNames joins up to n names and counts the rest.
func listNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// ShortHelp lists the keys that work now.
func (v *uploadView) ShortHelp() []key.Binding {
	if v.clobber != nil {
		return v.clobberHelp()
	}
	k := v.keys
	k.Next.SetHelp("tab", "complete/next")
	k.Confirm.SetHelp("enter", "upload")
	k.Back.SetHelp("esc", "back")
	if v.running() {
		k.Back.SetHelp("esc", "cancel uploads")
	}
	if v.stopping() {
		k.Back.SetHelp("esc", "stopping…")
	}
	k.Refresh.SetHelp("r", "retry failed")
	k.Refresh.SetEnabled(v.focus == upFocusList && v.retryable() > 0 && !v.running())
	k.Delete.SetHelp("d", "delete what landed")
	k.Delete.SetEnabled(v.focus == upFocusList && len(v.landedKeys()) > 0 && !v.running())
	k.Confirm.SetEnabled(v.focus != upFocusList)
	return []key.Binding{k.Confirm, k.Next, k.Prev, k.Refresh, k.Delete, k.Back}
}

// FullHelp lists every key of the view.
func (v *uploadView) FullHelp() [][]key.Binding {
	return [][]key.Binding{v.ShortHelp(), {v.picker.KeyMap.Up, v.picker.KeyMap.Down, v.picker.KeyMap.Open, v.picker.KeyMap.Back}}
}

// Layout: title, path (+ note), dest, picker, uploads.
func (v *uploadView) headerLines() int { return 5 }

func (v *uploadView) listLines() int {
	if len(v.items) == 0 {
		return 0
	}
	return min(2+2*len(v.items), max(v.height/2, 5))
}

func (v *uploadView) pickerHeight() int {
	return max(v.height-v.headerLines()-v.listLines()-1, 0)
}

// View renders the view.
func (v *uploadView) View() string {
	st := v.st
	var b strings.Builder
	b.WriteString(truncLine(st.Title.Render("Upload to s3://"+app.Escape(v.bucket)+"/"+app.Escape(v.prefix)), v.width) + "\n")
	b.WriteString(v.fieldLine("Path", v.pathView(), v.focus == upFocusPath) + "\n")
	switch {
	case len(v.candidates) > 0:
		shown := v.candidates
		more := ""
		if len(shown) > maxCandidates {
			shown, more = shown[:maxCandidates], fmt.Sprintf(" +%d", len(v.candidates)-maxCandidates)
		}
		esc := make([]string, len(shown))
		for i, c := range shown {
			esc[i] = app.Escape(c)
		}
		b.WriteString(truncLine("      "+st.Muted.Render(strings.Join(esc, "  ")+more), v.width) + "\n")
	case v.clobber != nil:
		b.WriteString(truncLine("      "+st.Warning.Render(v.clobberPrompt()), v.width) + "\n")
	case v.note != "" && v.noteErr:
		b.WriteString(truncLine("      "+st.Error.Render(v.note), v.width) + "\n")
	default:
		b.WriteString(truncLine("      "+st.Muted.Render(v.note), v.width) + "\n")
	}
	dest := v.dest.View()
	if !v.destEdited && v.dest.Value() != "" && v.focus != upFocusDest {
		dest = st.Muted.Render(app.Escape(v.dest.Value()))
	}
	b.WriteString(v.fieldLine("Key", dest, v.focus == upFocusDest) + "\n")
	rel, err := filepath.Rel(v.deps.Workdir, v.picker.CurrentDirectory)
	if err != nil || v.deps.Workdir == "" {
		rel = v.picker.CurrentDirectory
	}
	pickTitle := "Files in ./" + strings.TrimPrefix(filepath.ToSlash(rel), ".")
	if v.focus == upFocusPicker {
		pickTitle = st.Selected.Render(pickTitle)
	} else {
		pickTitle = st.Label.Render(pickTitle)
	}
	b.WriteString(truncLine(pickTitle, v.width) + "\n")
	if h := v.pickerHeight(); h > 0 {
		lines := strings.Split(strings.TrimRight(v.picker.View(), "\n"), "\n")
		for i := 0; i < h; i++ {
			line := ""
			if i < len(lines) {
				line = truncLine(v.pickerLine(lines[i]), v.width)
			}
			b.WriteString(line + "\n")
		}
	}
	if len(v.items) > 0 {
		b.WriteString(v.listView())
	}
	return clipLines(strings.TrimRight(b.String(), "\n"), v.height)
}

// pathView is the Path field as drawn: a path tab completion filled in
// may hold a file name's bidi or other invisible characters, which are shown
// escaped, as the listing shows keys. The field keeps the real path to
// upload; only a copy shown here holds the escaped text.
func (v *uploadView) pathView() string {
	val := v.path.Value()
	esc := app.Escape(val)
	if esc == val {
		return v.path.View()
	}
	shown := v.path
	shown.SetValue(esc)
	shown.SetCursor(len([]rune(app.Escape(string([]rune(val)[:v.path.Position()])))))
	return shown.View()
}

func (v *uploadView) fieldLine(label, field string, focused bool) string {
	l := v.st.Label.Render(fmt.Sprintf("%-5s", label))
	if focused {
		l = v.st.Selected.Render(fmt.Sprintf("%-5s", label))
	}
	return truncLine(l+" "+field, v.width)
}

// listView renders the total bar and as many files as fit: failed and
// running ones first.
func (v *uploadView) listView() string {
	st := v.st
	var sent, total int64
	done := 0
	for _, it := range v.items {
		sent += it.sent
		total += max(it.total, 0)
		if it.state == itemDone {
			done++
		}
	}
	var b strings.Builder
	head := fmt.Sprintf("Total  %d/%d files  %s / %s", done, len(v.items), app.Size(sent), app.Size(total))
	if v.focus == upFocusList {
		head = st.Selected.Render(head)
	} else {
		head = st.Label.Render(head)
	}
	b.WriteString(truncLine(head, v.width) + "\n")
	b.WriteString("  " + v.bar.ViewAs(fraction(sent, total)) + "\n")
	order := make([]int, len(v.items))
	for i := range order {
		order[i] = i
	}
	rank := map[itemState]int{itemFailed: 0, itemStopping: 1, itemRunning: 1, itemCancelled: 2, itemPending: 3, itemDone: 4}
	sort.SliceStable(order, func(a, c int) bool { return rank[v.items[order[a]].state] < rank[v.items[order[c]].state] })
	room := (v.listLines() - 2) / 2
	for n, i := range order {
		if n >= room {
			break
		}
		if n == room-1 && len(order) > room {
			b.WriteString(st.Muted.Render(fmt.Sprintf("  … %d more", len(order)-n)) + "\n\n")
			break
		}
		b.WriteString(v.itemView(v.items[i]))
	}
	return b.String()
}

// itemView is two lines: state, key and figures; then a bar or the error.
func (v *uploadView) itemView(it uploadItem) string {
	st := v.st
	name := app.Escape(it.req.Key)
	var mark, line1, line2 string
	switch it.state {
	case itemPending:
		mark, line1, line2 = "·", "waiting", ""
	case itemRunning:
		mark = "↑"
		line1 = fmt.Sprintf("%s / %s", app.Size(it.sent), app.Size(it.total))
		switch el := v.now().Sub(it.started); {
		case it.finishing():
			line1 += "  finishing: waiting for S3 to confirm"
		case el > 0 && it.sent > 0:
			rate := float64(it.sent) / el.Seconds()
			line1 += fmt.Sprintf("  %s/s", app.Size(int64(rate)))
			if it.total > it.sent {
				eta := time.Duration(float64(it.total-it.sent) / rate * float64(time.Second))
				if eta < time.Second {
					line1 += "  ETA <1s" // bytes are still to send: not "0s"
				} else {
					line1 += "  ETA " + eta.Round(time.Second).String()
				}
			}
		}
		line2 = "  " + v.bar.ViewAs(fraction(it.sent, it.total))
	case itemDone:
		mark, line1 = st.OK.Render("✓"), app.Size(it.total)+"  done"
		if it.skipped {
			mark, line1 = "–", "skipped: an object is there, kept"
		} else if it.landed {
			line1 = app.Size(it.total) + "  completed before the stop"
			line2 = "  " + st.Muted.Render("the object exists on the server: d deletes it")
		} else if el := it.finished.Sub(it.started); el > 0 && !it.started.IsZero() {
			line1 += fmt.Sprintf(" in %s", el.Round(100*time.Millisecond))
		}
	case itemFailed:
		mark, line1 = st.Error.Render("✗"), "failed"
		line2 = "  " + st.Error.Render(oneLine(errString(it.err)))
	case itemStopping:
		mark, line1 = "…", "stopping: waiting for the server"
	case itemCancelled:
		mark, line1 = st.Error.Render("✗"), "cancelled: aborted, nothing left on the server"
		switch {
		case it.notStarted:
			line1 = "cancelled: not started"
		case it.deleted:
			line1 = "cancelled: it had landed, and was deleted"
		}
	}
	// The figures keep their place; the key gets what is left.
	room := max(v.width-lipgloss.Width(line1)-6, 8)
	return truncLine(fmt.Sprintf("%s %s  %s", mark, truncLine(name, room), st.Muted.Render(line1)), v.width) + "\n" +
		truncLine(line2, v.width) + "\n"
}

// finishing reports whether a running item has sent all its bytes and waits
// for the server to confirm the upload (the last byte sent is always
// reported, however close the report before it).
func (it uploadItem) finishing() bool {
	return it.total > 0 && it.sent >= it.total
}

// newProgressBar is a bubbles/progress bar in the app's colours; it is drawn
// with ViewAs, so one model serves every file's bar.
func newProgressBar(st *Styles) progress.Model {
	if st.NoColor {
		return progress.New(progress.WithColorProfile(termenv.Ascii), progress.WithFillCharacters('#', '.'))
	}
	b := progress.New(progress.WithGradient(st.ProgressFrom, st.ProgressTo), progress.WithColorProfile(lipgloss.ColorProfile()))
	b.EmptyColor = st.ProgressEmpty
	return b
}
