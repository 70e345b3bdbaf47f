package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/filepicker"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// uploadWorkers is how many files upload at once; each may itself send
// several multipart parts in parallel.
const uploadWorkers = 3

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

// landedKeys are the uploads that were stopped but had landed: the objects
// exist, and the view offers to delete them.
func (v *uploadView) landedKeys() []string {
	var keys []string
	for _, it := range v.items {
		if it.state == itemDone && it.landed {
			keys = append(keys, it.req.Key)
		}
	}
	return keys
}

// deleteLanded deletes the objects of uploads that landed although stopped.
func (v *uploadView) deleteLanded() tea.Cmd {
	if v.deps.Lister == nil {
		return asCmd(statusMsg{text: "No S3 client to delete with", err: true})
	}
	keys := v.landedKeys()
	lister, bucket := v.deps.Lister, v.bucket
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), uploadStopLimit)
		defer cancel()
		return uploadLandedDeletedMsg{keys: keys, err: lister.Delete(ctx, bucket, keys)}
	}
}

func (v *uploadView) landedDeleted(msg uploadLandedDeletedMsg) tea.Cmd {
	if msg.err != nil {
		return asCmd(statusMsg{text: oneLine(msg.err.Error()), err: true})
	}
	gone := map[string]bool{}
	for _, k := range msg.keys {
		gone[k] = true
	}
	for i := range v.items {
		if it := &v.items[i]; it.state == itemDone && it.landed && gone[it.req.Key] {
			it.state, it.landed, it.deleted = itemCancelled, false, true
		}
	}
	names := make([]string, len(msg.keys))
	for i, k := range msg.keys {
		names[i] = app.Escape(k)
	}
	return asCmd(statusMsg{text: "Deleted " + listNames(names, 3)})
}

func (v *uploadView) doneKeys() []string {
	var keys []string
	for _, it := range v.items {
		if it.state == itemDone {
			keys = append(keys, it.req.Key)
		}
	}
	return keys
}

func (v *uploadView) retryable() int {
	n := 0
	for _, it := range v.items {
		if it.state == itemFailed || it.state == itemCancelled {
			n++
		}
	}
	return n
}

// complete asks for the completions of the path input.
func (v *uploadView) complete() tea.Cmd {
	v.completeSeq++
	return completePathCmd(v.completeSeq, v.path.Value(), v.deps.Workdir)
}

// completePathCmd lists the directory of input (relative to workdir) for names
// that extend its last element.
func completePathCmd(seq int, input, workdir string) tea.Cmd {
	return func() tea.Msg {
		dir, base := splitPathInput(input)
		entries, err := os.ReadDir(resolvePath(dir, workdir))
		if err != nil {
			return pathCompletionMsg{seq: seq, input: input, err: err}
		}
		var matches []string
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
				continue
			}
			isDir := e.IsDir()
			if e.Type()&os.ModeSymlink != 0 {
				if fi, err := os.Stat(filepath.Join(resolvePath(dir, workdir), name)); err == nil {
					isDir = fi.IsDir()
				}
			}
			if isDir {
				name += "/"
			}
			matches = append(matches, name)
		}
		sort.Strings(matches)
		return pathCompletionMsg{seq: seq, input: input, matches: matches}
	}
}

// splitPathInput splits "a/b/c" into "a/b/" and "c"; "c" into "" and "c".
func splitPathInput(input string) (dir, base string) {
	i := strings.LastIndex(input, "/")
	return input[:i+1], input[i+1:]
}

// resolvePath expands ~ and makes p absolute against workdir.
func resolvePath(p, workdir string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	if p == "" {
		p = "."
	}
	if !filepath.IsAbs(p) && workdir != "" {
		p = filepath.Join(workdir, p)
	}
	return p
}

// applyCompletion completes the path; when there is nothing left to complete
// and the path names a file, tab moves on to the next field.
func (v *uploadView) applyCompletion(msg pathCompletionMsg) tea.Cmd {
	if msg.seq != v.completeSeq || msg.input != v.path.Value() {
		return nil // the input changed since: a stale answer
	}
	v.candidates = nil
	if msg.err != nil {
		v.note, v.noteErr = "Cannot complete: "+msg.err.Error(), true
		return nil
	}
	dir, base := splitPathInput(msg.input)
	switch len(msg.matches) {
	case 0:
		v.note, v.noteErr = "No match for "+app.Escape(base), true
		return nil
	case 1:
		v.path.SetValue(dir + msg.matches[0])
		v.note, v.noteErr = "", false
	default:
		common := msg.matches[0]
		for _, m := range msg.matches[1:] {
			for !strings.HasPrefix(m, common) {
				common = common[:len(common)-1]
			}
		}
		v.path.SetValue(dir + common)
		v.candidates = msg.matches
		v.note, v.noteErr = fmt.Sprintf("%d matches", len(msg.matches)), false
	}
	v.path.CursorEnd()
	v.deriveDest()
	if v.path.Value() == msg.input && base != "" && slices.Contains(msg.matches, base) && v.focus == upFocusPath {
		return v.setFocus(v.nextFocus(+1))
	}
	return nil
}

// submit plans the upload of path (a file or a folder) and then starts it.
func (v *uploadView) submit(path string) tea.Cmd {
	path = strings.TrimSpace(path)
	if path == "" {
		v.note, v.noteErr = "Type a path or pick a file first", true
		return nil
	}
	dest := ""
	if v.destEdited {
		dest = strings.TrimSpace(v.dest.Value())
	}
	v.planSeq++
	v.note, v.noteErr = "Reading "+app.Escape(path)+"…", false
	v.candidates = nil
	v.path.SetValue("")
	v.dest.SetValue("")
	v.destEdited = false
	return planUploadCmd(v.planSeq, path, v.deps.Workdir, v.bucket, v.prefix, dest)
}

// planUploadCmd stats path: a file uploads to dest (or prefix + its name), a
// folder expands through aws.PlanUploads under dest (or prefix).
func planUploadCmd(seq int, text, workdir, bucket, prefix, dest string) tea.Cmd {
	return func() tea.Msg {
		paths, err := uploadPaths(text, workdir)
		if err != nil {
			return uploadPlannedMsg{seq: seq, path: text, err: err}
		}
		if len(paths) > 1 && dest != "" {
			// Several paths go into a folder: the edited destination is it.
			prefix, dest = strings.TrimSuffix(dest, "/")+"/", ""
		}
		var msg uploadPlannedMsg
		for _, path := range paths {
			m := planOne(path, workdir, bucket, prefix, dest)
			if m.err != nil {
				return uploadPlannedMsg{seq: seq, path: text, err: m.err}
			}
			msg.reqs = append(msg.reqs, m.reqs...)
			msg.sizes = append(msg.sizes, m.sizes...)
		}
		msg.seq, msg.path = seq, text
		return msg
	}
}

// uploadPaths turns the typed text into paths: the text itself when it names
// a file or folder (spaces and all), else shell-like words (quotes and
// backslash escapes) with *, ? and [...] patterns expanded, as a shell would.
func uploadPaths(text, workdir string) ([]string, error) {
	if _, err := os.Stat(resolvePath(text, workdir)); err == nil {
		return []string{text}, nil
	}
	words, err := splitWords(text)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, w := range words {
		if !strings.ContainsAny(w, "*?[") {
			paths = append(paths, w)
			continue
		}
		matches, err := filepath.Glob(resolvePath(w, workdir))
		if err != nil {
			return nil, fmt.Errorf("pattern %s: %w", w, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("nothing matches %s", w)
		}
		paths = append(paths, matches...)
	}
	return paths, nil
}

// splitWords splits text at unquoted spaces; '...' and "..." quote, and a
// backslash escapes the next character.
func splitWords(text string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, esc := false, false
	var quote rune
	for _, r := range text {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quote != '\'':
			esc, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote in %s", quote, text)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// planOne plans one file (to dest, else prefix + its name) or folder.
func planOne(path, workdir, bucket, prefix, dest string) uploadPlannedMsg {
	abs := resolvePath(path, workdir)
	fi, err := os.Stat(abs)
	if err != nil {
		return uploadPlannedMsg{path: path, err: fmt.Errorf("read %s: %w", path, errors.Unwrap(err))}
	}
	if !fi.IsDir() {
		k := dest
		if k == "" {
			k = prefix + filepath.Base(abs)
		}
		return uploadPlannedMsg{path: path, reqs: []aws.UploadRequest{{Path: abs, Bucket: bucket, Key: k}}, sizes: []int64{fi.Size()}}
	}
	p := prefix
	if dest != "" {
		p = strings.TrimSuffix(dest, "/") + "/"
	}
	reqs, err := aws.PlanUploads([]string{abs}, bucket, p)
	if err != nil {
		return uploadPlannedMsg{path: path, err: fmt.Errorf("plan %s: %w", path, err)}
	}
	sizes := make([]int64, len(reqs))
	for i, r := range reqs {
		sizes[i] = -1
		if fi, err := os.Stat(r.Path); err == nil {
			sizes[i] = fi.Size()
		}
	}
	return uploadPlannedMsg{path: path, reqs: reqs, sizes: sizes}
}

// validKey says what is wrong with an object key, or "".
func validKey(k string) string {
	switch {
	case k == "":
		return "empty destination key"
	case len(k) > 1024:
		return fmt.Sprintf("destination key is %d bytes; S3 allows 1024", len(k))
	}
	return ""
}

func (v *uploadView) planned(msg uploadPlannedMsg) tea.Cmd {
	if msg.err != nil {
		v.note, v.noteErr = msg.err.Error(), true
		return nil
	}
	if len(msg.reqs) == 0 {
		v.note, v.noteErr = app.Escape(msg.path)+" holds no files", true
		return nil
	}
	for _, r := range msg.reqs {
		if bad := validKey(r.Key); bad != "" {
			v.note, v.noteErr = app.Escape(msg.path)+": "+bad, true
			return nil
		}
	}
	var idx []int
	for i, r := range msg.reqs {
		it := uploadItem{req: r}
		if i < len(msg.sizes) {
			it.total = msg.sizes[i]
		}
		v.items = append(v.items, it)
		idx = append(idx, len(v.items)-1)
	}
	if len(msg.reqs) == 1 {
		v.note, v.noteErr = "Uploading "+app.Escape(msg.path), false
	} else {
		v.note, v.noteErr = fmt.Sprintf("Uploading %d files from %s", len(msg.reqs), app.Escape(msg.path)), false
	}
	return v.start(idx)
}

// start runs the items at idx as a new batch.
func (v *uploadView) start(idx []int) tea.Cmd {
	if v.deps.Uploader == nil {
		v.note, v.noteErr = "No S3 client: check the profile and region in setup (K)", true
		return nil
	}
	v.batchID++
	id := v.batchID
	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan struct{})
	b := &uploadBatch{cancel: cancel, gone: gone, items: append([]int(nil), idx...)}
	v.batches[id] = b
	files := make([]app.UploadFile, 0, len(idx))
	for _, i := range idx {
		it := &v.items[i]
		it.batch, it.state, it.err = id, itemPending, nil
		it.landed, it.notStarted, it.deleted = false, false, false
		it.sent, it.started, it.finished = 0, time.Time{}, time.Time{}
		files = append(files, app.UploadFile{Req: it.req, Size: it.total})
	}
	return startUploads(ctx, id, v.transfers(), v.deps.Uploader, files, app.UploadOptions{Abandon: gone, StopLimit: uploadStopLimit}, v.deps.background)
}

// transfers runs the view's batches: the app's, shared with every other
// upload, so one multipart upload runs at a time.
func (v *uploadView) transfers() *app.Transfers {
	if v.deps.Transfers == nil {
		v.deps.Transfers = app.NewTransfers()
	}
	return v.deps.Transfers
}

// retry runs the failed and cancelled items again.
func (v *uploadView) retry() tea.Cmd {
	var idx []int
	for i, it := range v.items {
		if it.state == itemFailed || it.state == itemCancelled {
			idx = append(idx, i)
		}
	}
	v.note, v.noteErr = fmt.Sprintf("Retrying %d upload(s)", len(idx)), false
	return v.start(idx)
}

// startUploads starts the batch (through the application layer, as 'cfsign
// upload' does) and returns its events. Files whose size the plan could not
// read are measured here. bg tracks the batch until its work is over,
// aborts included, even once the view stopped reading.
func startUploads(ctx context.Context, id int, tr *app.Transfers, up Uploader, files []app.UploadFile, opts app.UploadOptions, bg *sync.WaitGroup) tea.Cmd {
	return func() tea.Msg {
		for i, f := range files {
			if f.Size < 0 {
				if fi, err := os.Stat(f.Req.Path); err == nil {
					files[i].Size = fi.Size()
				}
			}
		}
		b := tr.Upload(ctx, up, files, opts)
		if bg != nil {
			bg.Add(1)
			go func() { <-b.Done; bg.Done() }()
		}
		return uploadStartedMsg{id: id, events: b.Events}
	}
}

// waitProgress reads one event of batch id; the view issues it again after each.
func waitProgress(id int, events <-chan app.UploadEvent) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-events
		if !ok {
			return uploadClosedMsg{id: id}
		}
		return uploadEventMsg{id: id, ev: ev}
	}
}

// checkFinished leaves the view when everything uploaded, reports a stop
// (what was aborted, what had completed before it), or offers a retry.
func (v *uploadView) checkFinished() tea.Cmd {
	if v.running() {
		return nil
	}
	failed := 0
	for i := range v.items {
		switch it := &v.items[i]; it.state {
		case itemPending, itemRunning, itemStopping:
			// A batch closed without finishing an item: it never got to run.
			it.state, it.err = itemFailed, errors.New("upload did not finish")
			failed++
		case itemFailed, itemCancelled:
			failed++
		}
	}
	landed := v.landedKeys()
	if failed == 0 && len(landed) == 0 && len(v.items) > 0 {
		return asCmd(uploadsDoneMsg{bucket: v.bucket, keys: v.doneKeys()})
	}
	v.note, v.noteErr = "", false // "Uploading …" is over; the status line says how it ended
	v.focus = upFocusList
	v.path.Blur()
	v.dest.Blur()
	var aborted, notStarted, other int
	for _, it := range v.items {
		switch {
		case it.state == itemCancelled && it.notStarted:
			notStarted++
		case it.state == itemCancelled && !it.deleted:
			aborted++
		case it.state == itemFailed:
			other++
		}
	}
	var parts []string
	if aborted > 0 {
		parts = append(parts, fmt.Sprintf("%d stopped, nothing left on the server", aborted))
	}
	if notStarted > 0 {
		parts = append(parts, fmt.Sprintf("%d not started", notStarted))
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("%d did not finish", other))
	}
	if len(landed) > 0 {
		parts = append(parts, fmt.Sprintf("%d had completed before the stop and exist%s: d deletes, esc keeps", len(landed), map[bool]string{true: "s"}[len(landed) == 1]))
	}
	text := strings.Join(parts, "; ")
	if failed > 0 {
		text += "; r retries"
	}
	return asCmd(statusMsg{text: text, err: other > 0})
}

// asCmd wraps a message in a command.
func asCmd(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// ShortHelp lists the keys that work now.
func (v *uploadView) ShortHelp() []key.Binding {
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
		if it.landed {
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

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// oneLine folds a message's line breaks and escapes what could act on the
// terminal, so it cannot forge rows.
func oneLine(s string) string {
	return app.EscapeText(strings.Join(strings.Fields(s), " "))
}

func fraction(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return min(float64(a)/float64(b), 1)
}

// truncLine cuts s to w cells, keeping escape sequences intact.
func truncLine(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
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
