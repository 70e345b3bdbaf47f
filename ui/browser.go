package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// uiEnv holds what tests replace: the clock, the time zone, timers and the
// request timeout.
type uiEnv struct {
	now     func() time.Time
	loc     *time.Location
	after   func(d time.Duration, msg tea.Msg) tea.Cmd
	timeout time.Duration
}

func defaultEnv() uiEnv {
	return uiEnv{
		now: time.Now,
		loc: time.Local,
		after: func(d time.Duration, msg tea.Msg) tea.Cmd {
			return tea.Tick(d, func(time.Time) tea.Msg { return msg })
		},
		timeout: 30 * time.Second,
	}
}

// Results of the browser's commands. Each carries the listing generation it
// was asked for (bumped on every navigation or refresh) and its request
// number, so a late reply never overwrites a newer view.
type (
	brListedMsg struct {
		gen, req       int
		bucket, prefix string
		page           aws.Page
		err            error
	}
	brBucketsMsg struct {
		gen     int
		buckets []aws.Bucket
		err     error
	}
	brHeadMsg struct {
		gen, req int
		key      string
		info     aws.ObjectInfo
		err      error
	}
	brDeletedMsg struct {
		gen  int
		keys []string
		err  error
	}
	brFilteredMsg struct {
		gen, req, orderVer int
		pattern            string
		refs               []int32
	}
	brFoundMsg struct {
		gen, req int
		pattern  string
		page     aws.Page
		err      error
	}
	brSortedMsg struct {
		gen, req int
		n        int
		objects  []int32
	}
	brSpinMsg struct{}
)

const (
	inlineSortLimit = 20000 // larger lists sort in a command
	loadAhead       = 50    // load the next page when the cursor is this close to the end
)

// browserView lists buckets, folders and objects. Its listing holds what is
// shown; the view runs the commands that fill it and draws it. It renders only
// the rows on screen and never does O(n) work per keystroke: moves and pages
// are O(1), filtering and big sorts run in commands.
type browserView struct {
	deps Deps
	st   *Styles
	env  uiEnv
	km   keyMap

	width, height int

	bucket, prefix string
	gen            int
	list           listing
	loading        bool // the first page is on its way
	more           bool // a further page is on its way
	lastErr        string
	stale          bool // the listing on screen is the one before a refresh
	showErr        bool // the last error is shown in full
	toEnd          bool // G: loading every page, then the cursor goes to the last row
	stopped        bool // esc stopped the loading: a size or date order covers what is loaded
	sortedN        int  // how many entries the last size or date sort covered
	naming         bool // n: the new folder's name is being typed
	nameInput      textinput.Model
	counting       bool          // d on a folder: counting what it holds
	folderConfirm  *folderDelete // a folder delete waiting for y/n
	spin           spinner.Model
	spinning       bool
	sorting        bool // a sort runs in a command

	input      textinput.Model
	filtering  bool // the filter input has focus
	filterBusy bool // a match runs in a command

	details     *aws.ObjectInfo
	detailsBusy bool
	det         detailsState // the details' tabs, preview and versions
	clip        clipboardWriter
	confirm     []string     // keys awaiting a delete confirmation
	selectKey   string       // select this key once it is loaded
	typedAhead  []tea.KeyMsg // keys that came before the filter's answer

	seq                                  int
	listReq, headReq, filterReq, sortReq int
	foundReq                             int
	cancelList, cancelHead, cancelFilter context.CancelFunc
	cancelFound                          context.CancelFunc
}

func newBrowserView(deps Deps, st *Styles, env uiEnv) *browserView {
	in := textinput.New()
	in.Prompt = "/"
	in.Placeholder = "filter"
	in.CharLimit = 1024
	in.Cursor.SetMode(cursor.CursorStatic)
	in.PromptStyle = st.InputFocus
	in.TextStyle = st.Input
	in.PlaceholderStyle = st.Muted
	in.Cursor.Style = st.Cursor
	sp := spinner.New(spinner.WithSpinner(spinner.Dot), spinner.WithStyle(st.Spinner))
	b := &browserView{
		deps: deps, st: st, env: env, km: keyBindings,
		width: 80, height: 20,
		bucket: deps.Settings.Bucket,
		input:  in, spin: sp,
		prefix: deps.Prefix,
		clip:   defaultClipboard(),
	}
	if p := deps.Prefix; p != "" && !strings.HasSuffix(p, "/") {
		// A name, not a folder: its folder, with it selected.
		b.prefix, b.selectKey = p[:strings.LastIndexByte(p, '/')+1], p
	}
	b.nameInput = newFormInput(st)
	b.nameInput.Placeholder = "folder name"
	b.nameInput.CharLimit = 1024
	b.syncKeys()
	return b
}

// Init starts the first listing.
func (b *browserView) Init() tea.Cmd { return b.reload() }

// location is what the header shows.
func (b *browserView) location() (bucket, prefix string) { return b.bucket, b.prefix }

// InputFocused reports whether keys go to the filter input.
func (b *browserView) InputFocused() bool { return b.filtering || b.naming }

// SetSize sets the area the browser draws in.
func (b *browserView) SetSize(w, h int) {
	b.width, b.height = max(w, 1), max(h, 1)
	b.input.Width = max(b.width-3, 1)
	b.list.scrollToCursor(b.listHeight())
}

// reset forgets the listing and cancels everything in flight.
func (b *browserView) reset() {
	b.cancelAll()
	b.gen++
	b.list.reset()
	b.loading, b.more, b.lastErr, b.sorting, b.stale, b.showErr, b.toEnd = false, false, "", false, false, false, false
	b.stopped, b.sortedN = false, 0
	b.clearFilter()
	b.closeDetails()
	b.confirm = nil
}

func (b *browserView) cancelAll() {
	for _, c := range []context.CancelFunc{b.cancelList, b.cancelHead, b.cancelFilter, b.cancelFound} {
		if c != nil {
			c()
		}
	}
	b.cancelList, b.cancelHead, b.cancelFilter, b.cancelFound = nil, nil, nil, nil
}

func (b *browserView) clearFilter() {
	if b.cancelFilter != nil {
		b.cancelFilter()
	}
	if b.cancelFound != nil {
		b.cancelFound()
	}
	b.filterReq++
	b.filtering = false
	b.input.Blur()
	b.input.SetValue("")
	b.filterBusy, b.typedAhead = false, nil
	b.list.clearFilter(b.heightFor(""))
}

// reload lists the current location from the start.
func (b *browserView) reload() tea.Cmd {
	b.reset()
	return b.relist()
}

// refresh lists the current location again, keeping the listing on screen
// until the new one arrives; if the new one fails, the old one stays under
// an error banner.
func (b *browserView) refresh() tea.Cmd {
	if len(b.list.rows) == 0 {
		return b.reload()
	}
	b.cancelAll()
	b.gen++
	b.stale = true
	b.closeDetails()
	b.confirm, b.showErr = nil, false
	return b.relist()
}

// relist starts listing the current location.
func (b *browserView) relist() tea.Cmd {
	b.loading = true
	if b.bucket == "" {
		return tea.Batch(b.listBucketsCmd(), b.startSpin())
	}
	return tea.Batch(b.listCmd(""), b.startSpin())
}

// refreshSelect reloads bucket/prefix and selects key once it is loaded.
func (b *browserView) refreshSelect(bucket, key string) tea.Cmd {
	if bucket != "" && bucket != b.bucket {
		b.bucket, b.prefix = bucket, ""
	}
	if key != "" {
		if !strings.HasPrefix(key, b.prefix) {
			b.prefix = ""
		}
		// A key deeper down shows as its folder here.
		rest := key[len(b.prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			key = b.prefix + rest[:i+1]
		}
	}
	cmd := b.refresh()
	if b.bucket != "" && b.bucket != bucket {
		cmd = b.reload()
	}
	b.selectKey = key
	return cmd
}

// openAt navigates to bucket/prefix.
func (b *browserView) openAt(bucket, prefix string) tea.Cmd {
	b.bucket, b.prefix = bucket, prefix
	b.selectKey = ""
	return b.reload()
}

func (b *browserView) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), b.env.timeout)
}

func (b *browserView) listBucketsCmd() tea.Cmd {
	ctx, cancel := b.ctx()
	b.cancelList = cancel
	lister, gen := b.deps.Lister, b.gen
	return func() tea.Msg {
		defer cancel()
		bs, err := lister.ListBuckets(ctx) // the aws layer names the operation in err
		return brBucketsMsg{gen: gen, buckets: bs, err: err}
	}
}

func (b *browserView) listCmd(token string) tea.Cmd {
	ctx, cancel := b.ctx()
	b.cancelList = cancel
	b.seq++
	b.listReq = b.seq
	lister, gen, req, bucket, prefix := b.deps.Lister, b.gen, b.seq, b.bucket, b.prefix
	return func() tea.Msg {
		defer cancel()
		page, err := lister.List(ctx, bucket, prefix, token) // err names the operation
		return brListedMsg{gen: gen, req: req, bucket: bucket, prefix: prefix, page: page, err: err}
	}
}

func (b *browserView) headCmd(k string) tea.Cmd {
	if b.cancelHead != nil {
		b.cancelHead()
	}
	ctx, cancel := b.ctx()
	b.cancelHead = cancel
	b.seq++
	b.headReq = b.seq
	lister, objects, gen, req, bucket := b.deps.Lister, b.deps.Objects, b.gen, b.seq, b.bucket
	return func() tea.Msg {
		defer cancel()
		head := lister.Head
		if objects != nil {
			// With the checksum the details show.
			head = func(ctx context.Context, bucket, key string) (aws.ObjectInfo, error) {
				return objects.HeadVersion(ctx, bucket, key, "")
			}
		}
		info, err := head(ctx, bucket, k) // err names the operation
		return brHeadMsg{gen: gen, req: req, key: k, info: info, err: err}
	}
}

func (b *browserView) deleteCmd(keys []string) tea.Cmd {
	ctx, cancel := b.ctx()
	lister, gen, bucket := b.deps.Lister, b.gen, b.bucket
	return func() tea.Msg {
		defer cancel()
		err := lister.Delete(ctx, bucket, keys) // err names the operation
		return brDeletedMsg{gen: gen, keys: keys, err: err}
	}
}

func (b *browserView) startSpin() tea.Cmd {
	if b.spinning {
		return nil
	}
	b.spinning = true
	return b.env.after(b.spin.Spinner.FPS, brSpinMsg{})
}

func (b *browserView) busy() bool {
	return b.loading || b.more || b.detailsBusy || b.filterBusy || b.sorting || b.det.previewBusy || b.det.versionsBusy
}

func status(text string, err bool) tea.Cmd {
	return func() tea.Msg { return statusMsg{text: text, err: err} }
}

// Update handles keys and the results of the browser's commands.
func (b *browserView) Update(msg tea.Msg) (view, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.KeyMsg:
		if b.filterBusy && !b.filtering && msg.Type != tea.KeyEsc && msg.Type != tea.KeyCtrlC {
			// Typed ahead of the filter's answer (/name enter s in one
			// write): the key waits for the rows it is meant for.
			b.typedAhead = append(b.typedAhead, msg)
			return b, nil
		}
		b.syncKeys() // commands may have changed the state since the last key
		cmd = b.handleKey(msg)
	case brFolderMadeMsg, brCountedMsg, brFolderDeletedMsg:
		cmd, _ = b.folderMsg(msg)
	case brSpinMsg:
		if b.busy() {
			b.spin, _ = b.spin.Update(b.spin.Tick())
			cmd = b.env.after(b.spin.Spinner.FPS, brSpinMsg{})
		} else {
			b.spinning = false
		}
	case brBucketsMsg:
		cmd = b.gotBuckets(msg)
	case brListedMsg:
		cmd = b.gotPage(msg)
	case brHeadMsg:
		if msg.gen == b.gen && msg.req == b.headReq && b.detailsBusy {
			b.detailsBusy = false
			if msg.err != nil {
				cmd = status(msg.err.Error(), true)
				break
			}
			info := msg.info
			if info.Key == "" {
				info.Key = msg.key
			}
			b.details = &info
			cmd = b.loadDetailsExtras(info)
		}
	case brPreviewMsg, brVersionsMsg:
		b.detailsMsg(msg)
	case brDeletedMsg:
		if msg.gen != b.gen {
			break
		}
		if msg.err != nil {
			cmd = status(msg.err.Error(), true)
			break
		}
		keep := b.list.selectedKey()
		cmd = tea.Batch(b.reload(), status(fmt.Sprintf("deleted %s", app.Count(len(msg.keys), "object")), false))
		b.selectKey = keep
	case brFilteredMsg:
		if msg.gen == b.gen && msg.req == b.filterReq && b.list.setResults(msg.pattern, msg.orderVer, msg.refs, b.listHeight()) {
			b.filterBusy = false
			cmd = b.replayTypedAhead()
		}
	case brFoundMsg:
		cmd = b.gotFound(msg)
	case brSortedMsg:
		cmd = b.gotSorted(msg)
	}
	b.syncKeys()
	return b, cmd
}

func (b *browserView) handleKey(msg tea.KeyMsg) tea.Cmd {
	km := &b.km
	switch {
	case b.naming:
		return b.namingKey(msg)
	case b.folderConfirm != nil:
		return b.folderConfirmKey(msg)
	case b.counting:
		if key.Matches(msg, km.Back) {
			b.counting = false
			b.gen++ // drop the count when it comes
		}
		return nil
	case b.showErr:
		switch {
		case key.Matches(msg, km.Back), key.Matches(msg, km.ShowError):
			b.showErr = false
			return nil
		case key.Matches(msg, km.Refresh):
			b.showErr = false
			keep := b.list.selectedKey()
			cmd := b.refresh()
			b.selectKey = keep
			return cmd
		}
		// Any other key closes the panel and does what it does.
		b.showErr = false
		b.syncKeys()
		return b.handleKey(msg)
	case b.confirm != nil:
		switch {
		case key.Matches(msg, km.Yes):
			keys := b.confirm
			b.confirm = nil
			return tea.Batch(b.deleteCmd(keys), status(fmt.Sprintf("deleting %s…", app.Count(len(keys), "object")), false))
		case key.Matches(msg, km.No), key.Matches(msg, km.Back):
			b.confirm = nil
		}
		return nil
	case b.details != nil || b.detailsBusy:
		return b.detailsKey(msg)
	case b.filtering:
		return b.filterKey(msg)
	}

	switch {
	case key.Matches(msg, km.Up):
		b.move(-1)
	case key.Matches(msg, km.Down):
		b.move(1)
	case key.Matches(msg, km.PageUp):
		b.move(-b.listHeight())
	case key.Matches(msg, km.PageDown):
		b.move(b.listHeight())
	case key.Matches(msg, km.Top):
		b.move(-len(b.list.rows))
	case key.Matches(msg, km.Bottom):
		b.move(len(b.list.rows))
		// The end of what is loaded is not the end: load the rest first.
		if b.list.morePages() && b.bucket != "" {
			b.toEnd = true
			if !b.more && !b.loading {
				b.more = true
				return tea.Batch(b.listCmd(b.list.token), b.startSpin())
			}
		}
	case key.Matches(msg, km.Open):
		return b.open()
	case key.Matches(msg, km.Parent):
		return b.up()
	case key.Matches(msg, km.Refresh):
		keep := b.list.selectedKey()
		cmd := b.refresh()
		b.selectKey = keep
		return cmd
	case key.Matches(msg, km.ShowError):
		b.showErr = true
	case key.Matches(msg, km.Filter):
		b.filtering = true
		b.input.Focus()
		return nil
	case key.Matches(msg, km.Sort):
		return b.setSort((b.list.sort + 1) % 3)
	case key.Matches(msg, km.Mark):
		if b.list.toggleMark() {
			b.move(1)
		}
	case key.Matches(msg, km.MarkAll):
		b.list.markRows(markAll)
	case key.Matches(msg, km.InvertMarks):
		b.list.markRows(markInvert)
	case key.Matches(msg, km.ClearMarks):
		b.list.clearMarks()
	case key.Matches(msg, km.Download):
		if keys := b.targets(); len(keys) > 0 && b.deps.Downloader != nil {
			return b.navigate(openDownloadMsg{bucket: b.bucket, keys: keys})
		}
	case key.Matches(msg, km.CopyURI), key.Matches(msg, km.CopyKey), key.Matches(msg, km.CopyURL):
		if e := b.list.current(); e != nil && e.flags&flagBucket == 0 && b.bucket != "" {
			return b.copyName(msg, e.key)
		}
	case key.Matches(msg, km.Buckets):
		return b.navigate(openBucketsMsg{})
	case key.Matches(msg, km.Delete):
		if keys := b.targets(); len(keys) > 0 {
			b.confirm = keys
		} else if e := b.list.current(); e != nil && e.flags&flagFolder != 0 && b.list.marked == 0 {
			return b.countFolder(e.key)
		}
	case key.Matches(msg, km.NewFolder):
		return b.startNaming()
	case key.Matches(msg, km.Upload):
		if b.bucket != "" {
			return b.navigate(openUploadMsg{bucket: b.bucket, prefix: b.prefix})
		}
	case key.Matches(msg, km.Sign):
		if keys := b.targets(); len(keys) > 0 {
			return b.navigate(openSignMsg{bucket: b.bucket, keys: keys})
		}
	case key.Matches(msg, km.Back):
		switch {
		case b.list.pattern != "":
			b.clearFilter()
		case b.loading || b.more:
			b.cancelAll()
			b.loading, b.more, b.toEnd, b.stopped = false, false, false, true
			b.listReq = -1 // drop the answer if it still comes
			cmd := status("listing cancelled", false)
			if b.list.sort != sortName && b.sortedN != len(b.list.entries) {
				cmd = tea.Batch(cmd, b.resort()) // what is loaded, in order
			}
			return cmd
		}
	}
	return b.maybeLoadMore()
}

func (b *browserView) navigate(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// targets are the marked objects, or else the object under the cursor.
func (b *browserView) targets() []string {
	if b.bucket == "" {
		return nil
	}
	return b.list.targets()
}

func (b *browserView) move(d int) { b.list.move(d, b.listHeight()) }

// maybeLoadMore fetches the next page when the cursor nears the end.
func (b *browserView) maybeLoadMore() tea.Cmd {
	if !b.list.morePages() || b.loading || b.more || b.bucket == "" {
		return nil
	}
	if b.list.cursor < len(b.list.rows)-max(loadAhead, 2*b.listHeight()) {
		return nil
	}
	b.more = true
	return tea.Batch(b.listCmd(b.list.token), b.startSpin())
}

func (b *browserView) open() tea.Cmd {
	e := b.list.current()
	switch {
	case e == nil:
		return nil
	case e.flags&flagBucket != 0:
		return b.openAt(e.key, "")
	case e.flags&flagFolder != 0:
		return b.openAt(b.bucket, e.key)
	}
	b.detailsBusy = true
	return tea.Batch(b.headCmd(e.key), b.startSpin())
}

func (b *browserView) closeDetails() {
	if b.cancelHead != nil {
		b.cancelHead()
		b.cancelHead = nil
	}
	if b.det.cancel != nil {
		b.det.cancel()
	}
	b.details, b.detailsBusy, b.det = nil, false, detailsState{}
}

// up goes to the parent folder, or from a bucket's root to the bucket list
// when no bucket is configured.
func (b *browserView) up() tea.Cmd {
	switch {
	case b.prefix != "":
		child := b.prefix
		parent := strings.TrimSuffix(b.prefix, "/")
		if i := strings.LastIndexByte(parent, '/'); i >= 0 {
			parent = parent[:i+1]
		} else {
			parent = ""
		}
		cmd := b.openAt(b.bucket, parent)
		b.selectKey = child
		return cmd
	case b.bucket != "" && b.deps.Settings.Bucket == "":
		child := b.bucket
		cmd := b.openAt("", "")
		b.selectKey = child
		return cmd
	}
	return nil
}

func (b *browserView) gotBuckets(msg brBucketsMsg) tea.Cmd {
	if msg.gen != b.gen || b.bucket != "" {
		return nil
	}
	b.loading, b.cancelList = false, nil
	if msg.err != nil {
		b.lastErr = msg.err.Error() // shown in the banner, not the status line too
		return nil
	}
	b.dropStale()
	b.list.addBuckets(msg.buckets)
	return b.afterAdd()
}

func (b *browserView) gotPage(msg brListedMsg) tea.Cmd {
	if msg.gen != b.gen || msg.req != b.listReq || msg.bucket != b.bucket || msg.prefix != b.prefix {
		return nil
	}
	b.loading, b.more, b.cancelList = false, false, nil
	if msg.err != nil {
		b.lastErr = msg.err.Error() // shown in the banner, not the status line too
		return nil
	}
	b.lastErr = ""
	b.dropStale()
	b.list.addPage(msg.page, msg.prefix)
	cmd := b.afterAdd()
	switch {
	case b.loadingAll() && !b.more:
		b.more = true
		cmd = tea.Batch(cmd, b.listCmd(b.list.token))
	case b.toEnd && !b.list.morePages():
		b.toEnd = false
		b.move(len(b.list.rows))
	}
	return cmd
}

// loadingAll reports whether the browser loads every page of the folder:
// for G, which goes to the last row, and for an order by size or date, which
// is only true of the whole folder (until esc stops it).
func (b *browserView) loadingAll() bool {
	return b.list.morePages() && b.bucket != "" && (b.toEnd || b.list.sort != sortName && !b.stopped)
}

// dropStale replaces the listing a refresh kept on screen, now that the
// new one's first page is here.
func (b *browserView) dropStale() {
	if !b.stale {
		return
	}
	b.stale = false
	b.list.reset()
	b.clearFilter()
}

// afterAdd re-sorts, re-filters and selects a pending key after a page arrived.
func (b *browserView) afterAdd() tea.Cmd {
	var cmds []tea.Cmd
	// While every page loads for a sort, sorting each time the count doubles
	// keeps the order near right at a linear total cost.
	if b.list.sort != sortName && (!b.loadingAll() || len(b.list.entries) >= 2*b.sortedN) {
		cmds = append(cmds, b.resort())
	}
	if b.list.pattern != "" {
		b.seq++
		b.filterReq = b.seq
		if b.cancelFilter != nil {
			b.cancelFilter()
		}
		b.filterBusy = true
		cmds = append(cmds, b.fuzzyCmd())
	}
	b.list.rebuildRows(b.listHeight())
	if b.selectKey != "" {
		if b.list.selectKey(b.selectKey, b.listHeight()) {
			b.selectKey = ""
		} else if b.list.morePages() {
			b.more = true
			cmds = append(cmds, b.listCmd(b.list.token))
		} else if !strings.HasSuffix(b.selectKey, "/") && b.list.selectKey(b.selectKey+"/", b.listHeight()) {
			b.selectKey = "" // the name of a folder
		} else {
			b.selectKey = ""
		}
	}
	return tea.Batch(cmds...)
}

// replayTypedAhead runs the keys that waited for the filter, in order.
func (b *browserView) replayTypedAhead() tea.Cmd {
	keys := b.typedAhead
	b.typedAhead = nil
	cmds := make([]tea.Cmd, 0, len(keys))
	for _, k := range keys {
		_, c := b.Update(k)
		cmds = append(cmds, c)
	}
	return tea.Batch(cmds...)
}

// syncKeys enables the bindings that do something now, so help never lies.
func (b *browserView) syncKeys() {
	km := &b.km
	prompt := b.confirm != nil || b.folderConfirm != nil
	normal := !prompt && b.details == nil && !b.detailsBusy && !b.filtering && !b.naming && !b.counting
	has := len(b.list.rows) > 0
	e := b.list.current()
	isObj := e != nil && !e.folder()
	isFolder := e != nil && e.flags&flagFolder != 0
	details := b.details != nil
	for _, k := range []*key.Binding{&km.Up, &km.Down, &km.PageUp, &km.PageDown, &km.Top, &km.Bottom} {
		k.SetEnabled(has && (normal || b.filtering) || details)
	}
	km.Open.SetEnabled(normal && has)
	km.Parent.SetEnabled(normal && (b.prefix != "" || (b.bucket != "" && b.deps.Settings.Bucket == "")))
	km.Refresh.SetEnabled(normal || b.showErr)
	km.ShowError.SetEnabled(b.lastErr != "")
	km.Filter.SetEnabled(normal && has || normal && b.list.pattern != "")
	km.Sort.SetEnabled(normal && b.bucket != "" && has)
	km.Mark.SetEnabled(normal && isObj)
	km.Delete.SetEnabled(normal && b.bucket != "" && (isObj || isFolder || b.list.marked > 0))
	km.NewFolder.SetEnabled(normal && b.bucket != "" && b.folders() != nil)
	km.Upload.SetEnabled(normal && b.bucket != "")
	km.Sign.SetEnabled((normal && b.bucket != "" && (isObj || b.list.marked > 0)) || b.details != nil)
	km.Yes.SetEnabled(prompt)
	km.No.SetEnabled(prompt)
	km.Back.SetEnabled(!normal || b.list.pattern != "" || b.loading || b.more || b.showErr)
	km.Confirm.SetEnabled(b.filtering || b.naming)
	marks := normal && b.bucket != "" && has
	km.MarkAll.SetEnabled(marks)
	km.InvertMarks.SetEnabled(marks)
	km.ClearMarks.SetEnabled(normal && b.list.marked > 0)
	km.Download.SetEnabled(b.deps.Downloader != nil && (details || normal && b.bucket != "" && (isObj || b.list.marked > 0)))
	names := details || normal && b.bucket != "" && e != nil && e.flags&flagBucket == 0
	km.CopyURI.SetEnabled(names)
	km.CopyKey.SetEnabled(names)
	km.CopyURL.SetEnabled(names && (details || isObj))
	km.Buckets.SetEnabled(normal)
	km.Tab.SetEnabled(details)
	km.BackTab.SetEnabled(details)
}

// ShortHelp is the footer's help for the browser's current state.
func (b *browserView) ShortHelp() []key.Binding {
	km := b.km
	back := km.Back
	switch {
	case b.confirm != nil || b.folderConfirm != nil:
		return []key.Binding{km.Yes, km.No}
	case b.naming:
		c := km.Confirm
		c.SetHelp("enter", "make folder")
		back.SetHelp("esc", "cancel")
		return []key.Binding{c, back}
	case b.details != nil || b.detailsBusy:
		return b.detailsHelp()
	case b.showErr:
		back.SetHelp("esc", "close")
		e := km.ShowError
		e.SetHelp("E", "close")
		r := km.Refresh
		r.SetHelp("r", "retry")
		return []key.Binding{back, e, r}
	case b.filtering:
		back.SetHelp("esc", "clear")
		c := km.Confirm
		c.SetHelp("enter", "keep filter")
		// Only the arrows move while typing: j and k type.
		up, down := km.Up, km.Down
		up.SetHelp("↑", "up")
		down.SetHelp("↓", "down")
		return []key.Binding{c, back, up, down}
	}
	// In priority order: the footer drops hints from the end when narrow.
	if b.list.pattern != "" {
		// A kept filter hides rows: how to clear it comes first.
		back.SetHelp("esc", "clear filter")
		return []key.Binding{km.ShowError, back, km.Open, km.Filter, km.Sign, km.Mark, km.Download, km.Upload, km.Delete, km.Parent, km.Sort, km.Refresh}
	}
	return []key.Binding{km.ShowError, km.Open, km.Parent, km.Sign, km.Download, km.Upload, km.Filter, km.Mark, km.Delete, km.NewFolder, km.Buckets, km.Sort, km.Refresh, back}
}

// FullHelp is the browser's part of the full help, in three columns so
// it fits 80 columns beside the global keys.
func (b *browserView) FullHelp() [][]key.Binding {
	km := b.km
	if b.details != nil || b.detailsBusy {
		h := b.detailsHelp()
		return [][]key.Binding{{h[0], km.Tab, km.BackTab}, {h[2], h[3], km.Up, km.Down, km.PageUp, km.PageDown}, {km.CopyURI, km.CopyKey, km.CopyURL}}
	}
	return [][]key.Binding{
		{km.Up, km.Down, km.PageUp, km.PageDown, km.Top, km.Bottom, km.Open, km.Parent, km.Filter, km.Sort},
		{km.Mark, km.MarkAll, km.InvertMarks, km.ClearMarks, km.Sign, km.Download, km.Upload, km.Delete, km.NewFolder},
		{km.CopyURI, km.CopyKey, km.CopyURL, km.Buckets, km.Refresh, km.ShowError, km.Back},
	}
}

// Layout. Columns are truncated, never wrapped.
const (
	markW  = 3 // cursor, mark, space
	sizeW  = 10
	dateW  = 16
	classW = 12
	gap    = 2
)
