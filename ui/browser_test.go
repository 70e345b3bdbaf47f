package ui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	"github.com/cfsign/cfsign/internal/app"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"github.com/sahilm/fuzzy"
)

func init() {
	// Goldens are plain text: no colours, no attributes.
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	// Another test file may declare -update too: register it once.
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata/")
	}
}

// btLister is a tiny deterministic in-memory Lister: objects per bucket, listed
// with delimiter "/" in pages of pageSize, the token being an index.
type btLister struct {
	mu       sync.Mutex
	buckets  []aws.Bucket
	objects  map[string][]aws.ObjectInfo
	pageSize int
	lists    []string // "bucket/prefix@token" per List call
	deleted  []string
	failList error
}

var btTime = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

func newBTLister(pageSize int, keys ...string) *btLister {
	l := &btLister{
		buckets:  []aws.Bucket{{Name: "media", Created: btTime}, {Name: "sandbox", Created: btTime.Add(time.Hour)}},
		objects:  map[string][]aws.ObjectInfo{},
		pageSize: pageSize,
	}
	for i, k := range keys {
		l.objects["media"] = append(l.objects["media"], aws.ObjectInfo{
			Key: k, Size: int64(1000 * (i + 1) * (i + 1)), LastModified: btTime.Add(time.Duration(i) * time.Hour),
			StorageClass: "STANDARD", ContentType: "image/jpeg", ETag: fmt.Sprintf(`"etag%d"`, i),
			Metadata: map[string]string{"owner": "ana"},
		})
	}
	return l
}

func (l *btLister) ListBuckets(ctx context.Context) ([]aws.Bucket, error) { return l.buckets, nil }

func (l *btLister) List(ctx context.Context, bucket, prefix, token string) (aws.Page, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lists = append(l.lists, bucket+"/"+prefix+"@"+token)
	if l.failList != nil {
		return aws.Page{}, l.failList
	}
	var all []aws.Entry
	seen := map[string]bool{}
	for _, o := range l.objects[bucket] {
		if !strings.HasPrefix(o.Key, prefix) {
			continue
		}
		rest := o.Key[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			f := prefix + rest[:i+1]
			if !seen[f] {
				seen[f] = true
				all = append(all, aws.Entry{Key: f, Folder: true})
			}
			continue
		}
		all = append(all, aws.Entry{Key: o.Key, Size: o.Size, LastModified: o.LastModified, StorageClass: o.StorageClass, ETag: o.ETag})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Key < all[j].Key })
	start := 0
	if token != "" {
		start, _ = strconv.Atoi(token)
	}
	end := min(start+l.pageSize, len(all))
	p := aws.Page{Entries: all[start:end]}
	if end < len(all) {
		p.NextToken = strconv.Itoa(end)
	}
	return p, nil
}

func (l *btLister) Head(ctx context.Context, bucket, key string) (aws.ObjectInfo, error) {
	for _, o := range l.objects[bucket] {
		if o.Key == key {
			return o, nil
		}
	}
	return aws.ObjectInfo{}, errors.New("not found")
}

func (l *btLister) Delete(ctx context.Context, bucket string, keys []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deleted = append(l.deleted, keys...)
	l.objects[bucket] = slices.DeleteFunc(l.objects[bucket], func(o aws.ObjectInfo) bool { return slices.Contains(keys, o.Key) })
	return nil
}

// btEnv is a fixed clock in a fixed zone, with timers that never fire.
func btEnv() uiEnv {
	return uiEnv{
		now:     func() time.Time { return btTime },
		loc:     time.FixedZone("CET", 3600),
		after:   func(time.Duration, tea.Msg) tea.Cmd { return nil },
		timeout: 5 * time.Second,
	}
}

// btRun executes cmd and every command its messages lead to, synchronously,
// feeding the results to m. It returns the messages that reached no model
// (navigation is handled by the root, so for a bare browser they are returned).
type btModel interface {
	Update(tea.Msg) (tea.Model, tea.Cmd)
}

// btDrive runs cmd to completion through update, collecting unhandled messages
// that match keep.
func btDrive(t testing.TB, update func(tea.Msg) tea.Cmd, cmd tea.Cmd) (seen []tea.Msg) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 20000 {
			t.Fatal("commands did not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := btCall(c)
		switch msg := msg.(type) {
		case nil:
			continue
		case tea.BatchMsg:
			queue = append(queue, msg...)
			continue
		}
		if btIsAnimation(msg) {
			continue
		}
		seen = append(seen, msg)
		queue = append(queue, update(msg))
	}
	return seen
}

// btCall runs a command, giving up on one that waits longer than a few
// seconds (a timer of another view): its message is then dropped.
func btCall(c tea.Cmd) tea.Msg {
	ch := make(chan tea.Msg, 1)
	go func() { ch <- c() }()
	t := time.NewTimer(3 * time.Second)
	defer t.Stop()
	select {
	case m := <-ch:
		return m
	case <-t.C:
		return nil
	}
}

// btIsAnimation reports cursor blinks, spinner ticks and progress frames:
// endless timers that Update-level tests do not follow.
func btIsAnimation(msg tea.Msg) bool {
	p := reflect.TypeOf(msg).PkgPath()
	return strings.HasSuffix(p, "bubbles/cursor") || strings.HasSuffix(p, "bubbles/spinner") ||
		strings.HasSuffix(p, "bubbles/progress")
}

// btBrowser is a browser driven without the root.
type btBrowser struct {
	t *testing.T
	b *browserView
	// nav holds navigation and status messages the browser emitted.
	nav []tea.Msg
}

func newBTBrowser(t *testing.T, l Lister, bucket string) *btBrowser {
	deps := Deps{Lister: l, Sandbox: true, Settings: app.Literal(config.Settings{Bucket: bucket})}
	bb := &btBrowser{t: t, b: newBrowserView(deps, newStyles(false), btEnv())}
	bb.b.SetSize(80, 20)
	bb.run(bb.b.Init())
	return bb
}

func (bb *btBrowser) run(cmd tea.Cmd) {
	bb.t.Helper()
	for _, m := range btDrive(bb.t, func(msg tea.Msg) tea.Cmd {
		switch msg.(type) {
		case openUploadMsg, openSignMsg, statusMsg, backMsg:
			return nil
		}
		_, c := bb.b.Update(msg)
		return c
	}, cmd) {
		switch m.(type) {
		case openUploadMsg, openSignMsg, statusMsg, backMsg:
			bb.nav = append(bb.nav, m)
		}
	}
}

// press sends keys: names like "enter", "esc", "down", or runes typed one by one.
func (bb *btBrowser) press(keys ...string) {
	bb.t.Helper()
	for _, k := range keys {
		for _, msg := range btKeys(k) {
			_, cmd := bb.b.Update(msg)
			bb.run(cmd)
		}
	}
}

func btKeys(k string) []tea.KeyMsg {
	named := map[string]tea.KeyType{
		"enter": tea.KeyEnter, "esc": tea.KeyEsc, "down": tea.KeyDown, "up": tea.KeyUp,
		"pgdown": tea.KeyPgDown, "pgup": tea.KeyPgUp, "backspace": tea.KeyBackspace,
		"space": tea.KeySpace, "ctrl+c": tea.KeyCtrlC, "tab": tea.KeyTab, "end": tea.KeyEnd, "home": tea.KeyHome,
		"f1": tea.KeyF1,
	}
	if t, ok := named[k]; ok {
		return []tea.KeyMsg{{Type: t}}
	}
	var out []tea.KeyMsg
	for _, r := range k {
		out = append(out, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	return out
}

func (bb *btBrowser) names() []string {
	var out []string
	for _, r := range bb.b.list.rows {
		e := bb.b.list.at(r)
		out = append(out, strings.TrimPrefix(e.key, bb.b.prefix))
	}
	return out
}

func (bb *btBrowser) selected() string { return bb.b.list.selectedKey() }

// btGolden compares got with testdata/name.golden; -update rewrites it.
func btGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./ui -update): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from View():\n--- want\n%s\n--- got\n%s", path, want, got)
	}
}

// btCheckFrame asserts a frame is exactly w x h cells at most, with no
// control bytes that could drive the terminal.
func btCheckFrame(t *testing.T, frame string, w, h int) {
	t.Helper()
	lines := strings.Split(frame, "\n")
	if len(lines) > h {
		t.Errorf("frame has %d lines, want at most %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, want at most %d: %q", i, n, w, l)
		}
		for _, c := range []byte(l) {
			if c < 0x20 || c == 0x7f {
				t.Fatalf("line %d holds control byte %#x: %q", i, c, l)
			}
		}
		if strings.ContainsAny(l, "\u202e\u2066\u0085\u009b") {
			t.Fatalf("line %d holds a raw bidi/C1 character: %q", i, l)
		}
	}
}

var btKeysSample = []string{
	"a.txt", "b/x.jpg", "b/y.jpg", "clip.mp4", "docs/readme.md", "zeta.bin",
}

func TestBrowserListsFoldersFirst(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
	want := []string{"b/", "docs/", "a.txt", "clip.mp4", "zeta.bin"}
	if got := bb.names(); !slices.Equal(got, want) {
		t.Fatalf("rows = %v, want %v", got, want)
	}
	if !bb.b.list.complete || bb.b.loading {
		t.Fatalf("complete=%v loading=%v after the only page", bb.b.list.complete, bb.b.loading)
	}
}

func TestBrowserSpinnerBeforeFirstPage(t *testing.T) {
	deps := Deps{Lister: newBTLister(10, btKeysSample...), Sandbox: true, Settings: app.Literal(config.Settings{Bucket: "media"})}
	b := newBrowserView(deps, newStyles(false), btEnv())
	b.SetSize(80, 10)
	cmd := b.Init()
	if cmd == nil || !b.loading {
		t.Fatal("Init returned no command or is not loading")
	}
	if v := b.View(); !strings.Contains(v, "listing s3://media/") {
		t.Fatalf("before the first page View() = %q, want a listing notice", v)
	}
}

func TestBrowserOpenFolderAndUp(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
	bb.press("enter") // b/
	if bb.b.prefix != "b/" {
		t.Fatalf("prefix = %q after enter on b/", bb.b.prefix)
	}
	if got := bb.names(); !slices.Equal(got, []string{"x.jpg", "y.jpg"}) {
		t.Fatalf("rows in b/ = %v", got)
	}
	bb.press("h")
	if bb.b.prefix != "" || bb.selected() != "b/" {
		t.Fatalf("after h: prefix %q selected %q, want root with b/ selected", bb.b.prefix, bb.selected())
	}
	bb.press("down", "enter", "backspace")
	if bb.selected() != "docs/" {
		t.Fatalf("after backspace from docs/ selected %q", bb.selected())
	}
}

func TestBrowserBucketList(t *testing.T) {
	l := newBTLister(1000, btKeysSample...)
	bb := newBTBrowser(t, l, "")
	if got := bb.names(); !slices.Equal(got, []string{"media", "sandbox"}) {
		t.Fatalf("bucket rows = %v", got)
	}
	bb.press("enter")
	if bb.b.bucket != "media" || len(bb.b.list.rows) != 5 {
		t.Fatalf("after enter: bucket %q with %d rows", bb.b.bucket, len(bb.b.list.rows))
	}
	bb.press("h")
	if bb.b.bucket != "" || bb.selected() != "media" {
		t.Fatalf("after h at the bucket root: bucket %q selected %q", bb.b.bucket, bb.selected())
	}
}

func TestBrowserPagesLoadNearEnd(t *testing.T) {
	var keys []string
	for i := range 250 {
		keys = append(keys, fmt.Sprintf("f%04d", i))
	}
	l := newBTLister(100, keys...)
	bb := newBTBrowser(t, l, "media")
	if len(bb.b.list.entries) != 100 || bb.b.list.complete {
		t.Fatalf("after Init: %d entries complete=%v, want the first page only", len(bb.b.list.entries), bb.b.list.complete)
	}
	if !strings.Contains(bb.b.View(), "more…") || !strings.Contains(bb.b.View(), "100 loaded") {
		t.Fatalf("info line lacks the loaded count or more…: %q", bb.b.infoLine())
	}
	bb.press("down") // far from the end: no new page
	if len(l.lists) != 1 {
		t.Fatalf("a move far from the end listed again: %v", l.lists)
	}
	bb.press("G") // loads the rest, not just the next page
	if len(bb.b.list.entries) != 250 || !bb.b.list.complete {
		t.Fatalf("after G: %d entries complete=%v", len(bb.b.list.entries), bb.b.list.complete)
	}
	if got := bb.b.infoLine(); !strings.Contains(got, "250 items") || strings.Contains(got, "more") {
		t.Fatalf("info line = %q", got)
	}
}

func TestBrowserDropsStaleResults(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
	// A page for an older listing (other prefix, older generation) arrives late.
	stale := brListedMsg{gen: bb.b.gen - 1, req: bb.b.listReq, bucket: "media", prefix: "",
		page: aws.Page{Entries: []aws.Entry{{Key: "ghost"}}}}
	bb.b.Update(stale)
	wrongPrefix := brListedMsg{gen: bb.b.gen, req: bb.b.listReq, bucket: "media", prefix: "b/",
		page: aws.Page{Entries: []aws.Entry{{Key: "b/ghost"}}}}
	bb.b.Update(wrongPrefix)
	if slices.Contains(bb.names(), "ghost") || len(bb.b.list.entries) != 5 {
		t.Fatalf("a stale page was applied: %v", bb.names())
	}
	// Two filters typed quickly: the first result arrives after the second.
	bb.press("/")
	_, first := bb.b.Update(btKeys("c")[0])
	_, second := bb.b.Update(btKeys("l")[0])
	bb.run(second)
	bb.run(first)
	if bb.b.list.pattern != "cl" || !slices.Equal(bb.names(), []string{"clip.mp4"}) {
		t.Fatalf("pattern %q rows %v, want cl -> clip.mp4", bb.b.list.pattern, bb.names())
	}
}

func TestBrowserFilter(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
	bb.press("/")
	if !bb.b.InputFocused() {
		t.Fatal("/ did not focus the filter")
	}
	bb.press("zb") // fuzzy: z..b in zeta.bin
	if got := bb.names(); !slices.Equal(got, []string{"zeta.bin"}) {
		t.Fatalf("filter zb rows = %v", got)
	}
	bb.press("enter")
	if bb.b.InputFocused() || bb.b.list.pattern != "zb" {
		t.Fatalf("enter: focused=%v pattern=%q, want the filter kept", bb.b.InputFocused(), bb.b.list.pattern)
	}
	bb.press("j") // a move again, not typing
	if bb.b.list.pattern != "zb" {
		t.Fatalf("j typed into the filter: %q", bb.b.list.pattern)
	}
	bb.press("esc")
	if bb.b.list.pattern != "" || len(bb.b.list.rows) != 5 || bb.selected() != "zeta.bin" {
		t.Fatalf("esc: pattern %q rows %d selected %q", bb.b.list.pattern, len(bb.b.list.rows), bb.selected())
	}
	bb.press("/", "doc", "esc")
	if bb.b.list.pattern != "" || bb.b.InputFocused() || len(bb.b.list.rows) != 5 {
		t.Fatalf("esc while typing: pattern %q focused %v rows %d", bb.b.list.pattern, bb.b.InputFocused(), len(bb.b.list.rows))
	}
}

func TestBrowserFilterSearchesServerBeyondLoaded(t *testing.T) {
	var keys []string
	for i := range 300 {
		keys = append(keys, fmt.Sprintf("img%04d.jpg", i))
	}
	keys = append(keys, "zz-report.pdf")
	l := newBTLister(100, keys...)
	bb := newBTBrowser(t, l, "media")
	bb.press("/", "zz-r")
	if got := bb.names(); !slices.Equal(got, []string{"zz-report.pdf"}) {
		t.Fatalf("filter for a key not loaded yet: rows %v (lists %v)", got, l.lists)
	}
	if !slices.Contains(l.lists, "media/zz-r@") {
		t.Fatalf("no server-side prefix listing: %v", l.lists)
	}
}

func TestBrowserSort(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
	// Sizes grow with the key's index: zeta.bin is the largest, a.txt the smallest.
	bb.press("S")
	if got := bb.names(); !slices.Equal(got, []string{"b/", "docs/", "zeta.bin", "clip.mp4", "a.txt"}) {
		t.Fatalf("by size: %v", got)
	}
	bb.press("S") // date: newest first, same order as size here
	if bb.b.list.sort != sortDate || !slices.Equal(bb.names()[2:], []string{"zeta.bin", "clip.mp4", "a.txt"}) {
		t.Fatalf("by date: %v", bb.names())
	}
	bb.press("S")
	if got := bb.names(); bb.b.list.sort != sortName || !slices.Equal(got, []string{"b/", "docs/", "a.txt", "clip.mp4", "zeta.bin"}) {
		t.Fatalf("by name: %v", got)
	}
}

func TestBrowserBigSortRunsInCommand(t *testing.T) {
	b := btLoaded(inlineSortLimit+10, 1000)
	cmd := b.setSort(sortSize)
	if !b.sorting || cmd == nil {
		t.Fatal("a big sort ran inside Update")
	}
	btDrive(t, func(msg tea.Msg) tea.Cmd { _, c := b.Update(msg); return c }, cmd)
	if b.sorting || b.list.at(b.list.rows[0]).size < b.list.at(b.list.rows[1]).size {
		t.Fatalf("sorted result not installed: sorting=%v", b.sorting)
	}
}

func TestBrowserDetails(t *testing.T) {
	bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
	bb.press("down", "down", "down", "enter") // clip.mp4
	if bb.b.details == nil || bb.b.details.ETag != `"etag3"` {
		t.Fatalf("details = %+v", bb.b.details)
	}
	v := bb.b.View()
	for _, want := range []string{"image/jpeg", `"etag3"`, "owner: ana", "16 KiB"} {
		if !strings.Contains(v, want) {
			t.Errorf("details view lacks %q:\n%s", want, v)
		}
	}
	bb.press("esc")
	if bb.b.details != nil {
		t.Fatal("esc did not close the details")
	}
}

func TestBrowserMarkSignDelete(t *testing.T) {
	l := newBTLister(1000, btKeysSample...)
	bb := newBTBrowser(t, l, "media")
	bb.press("space") // on a folder: nothing
	if bb.b.list.marked != 0 {
		t.Fatal("a folder was marked")
	}
	bb.press("down", "down", "space", "down", "space") // a.txt, zeta.bin
	if bb.b.list.marked != 2 {
		t.Fatalf("marked = %d, want 2", bb.b.list.marked)
	}
	bb.press("s")
	sign, ok := bb.nav[len(bb.nav)-1].(openSignMsg)
	if !ok || sign.bucket != "media" || !slices.Equal(sign.keys, []string{"a.txt", "zeta.bin"}) {
		t.Fatalf("s emitted %#v", bb.nav[len(bb.nav)-1])
	}
	bb.press("u")
	if up, ok := bb.nav[len(bb.nav)-1].(openUploadMsg); !ok || up.bucket != "media" || up.prefix != "" {
		t.Fatalf("u emitted %#v", bb.nav[len(bb.nav)-1])
	}
	bb.press("d")
	if !strings.Contains(bb.b.View(), "Delete 2 objects in s3://media/: a.txt, zeta.bin? y/n") {
		t.Fatalf("no confirmation:\n%s", bb.b.View())
	}
	bb.press("n")
	if len(l.deleted) != 0 || bb.b.confirm != nil {
		t.Fatal("n deleted or kept asking")
	}
	bb.press("d", "y")
	if !slices.Equal(l.deleted, []string{"a.txt", "zeta.bin"}) {
		t.Fatalf("deleted %v", l.deleted)
	}
	if got := bb.names(); !slices.Equal(got, []string{"b/", "docs/", "clip.mp4"}) || bb.b.list.marked != 0 {
		t.Fatalf("after delete rows %v marked %d", got, bb.b.list.marked)
	}
}

func TestBrowserRefreshSelectsUploadedKey(t *testing.T) {
	var keys []string
	for i := range 250 {
		keys = append(keys, fmt.Sprintf("f%04d", i))
	}
	l := newBTLister(100, keys...)
	bb := newBTBrowser(t, l, "media")
	l.objects["media"] = append(l.objects["media"], aws.ObjectInfo{Key: "f0240-new", Size: 1})
	bb.run(bb.b.refreshSelect("media", "f0240-new"))
	if bb.selected() != "f0240-new" {
		t.Fatalf("selected %q after the upload refresh, want f0240-new (loaded %d)", bb.selected(), len(bb.b.list.entries))
	}
	// A key in a subfolder selects the folder.
	bb.run(bb.b.refreshSelect("media", "deep/er/file"))
	l.objects["media"] = append(l.objects["media"], aws.ObjectInfo{Key: "deep/er/file"})
	bb.run(bb.b.refreshSelect("media", "deep/er/file"))
	if bb.selected() != "deep/" {
		t.Fatalf("selected %q, want deep/", bb.selected())
	}
}

func TestBrowserEscCancelsListing(t *testing.T) {
	deps := Deps{Lister: newBTLister(10, btKeysSample...), Sandbox: true, Settings: app.Literal(config.Settings{Bucket: "media"})}
	b := newBrowserView(deps, newStyles(false), btEnv())
	cmd := b.Init()
	b.Update(btKeys("esc")[0])
	if b.loading {
		t.Fatal("esc did not stop the listing")
	}
	// The cancelled request's answer is dropped.
	btDrive(t, func(msg tea.Msg) tea.Cmd { _, c := b.Update(msg); return c }, cmd)
	if len(b.list.entries) != 0 {
		t.Fatalf("a cancelled listing was applied: %d entries", len(b.list.entries))
	}
}

func TestBrowserListErrorShown(t *testing.T) {
	l := newBTLister(10, btKeysSample...)
	l.failList = errors.New("connection refused")
	bb := newBTBrowser(t, l, "media")
	if strings.Count(bb.b.View(), "connection refused") != 1 {
		t.Fatalf("error not shown once in the banner:\n%s", bb.b.View())
	}
	if len(bb.nav) != 0 {
		t.Fatalf("the error was repeated on the status line: %#v", bb.nav)
	}
}

// A refresh that fails keeps the last listing on screen under one error
// banner, with the operation named once; E shows the whole error wrapped;
// the next refresh that works replaces the listing.
func TestBrowserRefreshErrorKeepsListing(t *testing.T) {
	l := newBTLister(10, btKeysSample...)
	bb := newBTBrowser(t, l, "media")
	before := bb.names()
	long := "list s3://media/: cannot connect to S3 at 127.0.0.1:38133: connection refused: is the server running? " + strings.Repeat("and more detail ", 8)
	l.failList = errors.New(long)
	bb.press("r")
	view := bb.b.View()
	if got := bb.names(); !slices.Equal(got, before) {
		t.Fatalf("the listing was replaced by a failed refresh: %q, had %q", got, before)
	}
	if strings.Count(view, "list s3://media/") != 1 || !strings.Contains(view, "E: the whole error") {
		t.Fatalf("banner:\n%s", view)
	}
	btCheckFrame(t, view, 80, 24)
	bb.press("E")
	full := bb.b.View()
	if !strings.Contains(strings.ReplaceAll(full, "\n", " "), "and more detail and more detail") {
		t.Fatalf("E did not show the whole error:\n%s", full)
	}
	for _, line := range strings.Split(full, "\n") {
		if ansi.StringWidth(line) > 80 {
			t.Fatalf("the full error is not wrapped to the width: %q", line)
		}
	}
	bb.press("esc")
	l.failList = nil
	bb.press("r")
	if strings.Contains(bb.b.View(), "connection refused") || len(bb.names()) == 0 {
		t.Fatalf("after a refresh that works:\n%s", bb.b.View())
	}
}

// btLoaded is a browser holding n objects loaded in pages of pageSize.
func btLoaded(n, pageSize int) *browserView {
	deps := Deps{Sandbox: true, Settings: app.Literal(config.Settings{Bucket: "media"})}
	b := newBrowserView(deps, newStyles(false), btEnv())
	b.SetSize(120, 36)
	b.bucket, b.prefix = "media", "photos/2024/"
	b.reset()
	page := make([]aws.Entry, 0, pageSize)
	for i := 0; i < n; i++ {
		page = append(page, aws.Entry{
			Key:  fmt.Sprintf("photos/2024/img-%07d.jpg", i),
			Size: int64(i*7919%100000 + 1), LastModified: btTime.Add(time.Duration(i*31%9973) * time.Minute),
			StorageClass: "STANDARD",
		})
		if len(page) == pageSize || i == n-1 {
			tok := "more"
			if i == n-1 {
				tok = ""
			}
			b.gotPage(brListedMsg{gen: b.gen, req: b.listReq, bucket: "media", prefix: "photos/2024/", page: aws.Page{Entries: page, NextToken: tok}})
			page = make([]aws.Entry, 0, pageSize)
		}
	}
	return b
}

func TestBrowserHostileKeys(t *testing.T) {
	hostile := []string{
		"title\x1b]0;pwned\x07.txt",
		"clear\x1b[2J\x1b[H.txt",
		"cr\rforged row.txt",
		"nl\nforged row.txt",
		"bidi\u202eexe.txt",
		"bad\xff\xfeutf8",
		"c1\u009b31m",
		strings.Repeat("long", 256),
	}
	bb := newBTBrowser(t, newBTLister(1000, hostile...), "media")
	for _, size := range [][2]int{{80, 24}, {120, 40}, {20, 5}} {
		bb.b.SetSize(size[0], size[1])
		btCheckFrame(t, bb.b.View(), size[0], size[1])
	}
	bb.b.SetSize(80, 24)
	v := bb.b.View()
	for _, want := range []string{`title\x1b]0;pwned\x07.txt`, `bidi\u202eexe.txt`, `bad\xff\xfeutf8`, `nl\nforged row.txt`} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks escaped %q:\n%s", want, v)
		}
	}
	// Details of a hostile key are escaped too.
	bb.press("G", "enter")
	btCheckFrame(t, bb.b.View(), 80, 24)
}

func TestBrowserGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, h := size[0], size[1]
		name := func(s string) string { return fmt.Sprintf("browser_%s_%dx%d", s, w, h) }
		bb := newBTBrowser(t, newBTLister(1000, btKeysSample...), "media")
		bb.b.SetSize(w, h)
		bb.press("down", "down", "down", "space")
		btGolden(t, name("list"), bb.b.View())
		bb.press("/", "ip")
		btGolden(t, name("filter"), bb.b.View())
		bb.press("esc", "up", "enter")
		btGolden(t, name("details"), bb.b.View())
		bb.press("esc", "d")
		btGolden(t, name("confirm"), bb.b.View())
	}
}

// TestMatchAgreesWithSahilm: the ASCII fast path accepts exactly the names
// sahilm/fuzzy accepts.
func TestMatchAgreesWithSahilm(t *testing.T) {
	const alphabet = "aAbB-/._1"
	rnd := uint32(7)
	next := func(n int) string {
		var sb strings.Builder
		for range n {
			rnd = rnd*1664525 + 1013904223
			sb.WriteByte(alphabet[(rnd>>16)%uint32(len(alphabet))])
		}
		return sb.String()
	}
	ents := make([]entry, 2000)
	cands := make([]int32, len(ents))
	names := make([]string, len(ents))
	for i := range ents {
		names[i] = next(1 + i%9)
		ents[i].key = names[i]
		cands[i] = int32(i)
	}
	for range 200 {
		pattern := next(1 + int(rnd>>28)%4)
		got := matchLoaded(context.Background(), 0, 0, 0, pattern, ents, cands, 0).(brFilteredMsg).refs
		slices.Sort(got) // the same names; matchRefs ranks them (TestMatchRefsRanksByMatch)
		var want []int32
		for _, m := range fuzzy.FindNoSort(pattern, names) {
			want = append(want, int32(m.Index))
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pattern %q: fast path %v, sahilm %v", pattern, got, want)
		}
	}
}

// Deps.Prefix (cfsign s3://bucket/prefix/) opens the browser in that folder.
func TestBrowserOpensAtPrefix(t *testing.T) {
	l := newBTLister(1000, "photos/2026/a.jpg", "photos/2026/b.jpg", "top.txt")
	deps := btDeps(l)
	deps.Prefix = "photos/2026/"
	a := newBTApp(t, deps, 80, 24)
	if len(l.lists) == 0 || l.lists[0] != "media/photos/2026/@" {
		t.Fatalf("first listing %q, want media/photos/2026/@", l.lists)
	}
	v := a.m.View()
	if !strings.Contains(v, "a.jpg") || strings.Contains(v, "top.txt") {
		t.Fatalf("view does not show the folder:\n%s", v)
	}
}

// G loads every page that is left and lands on the true last row; esc stops
// the loading. (At 1000 of 10,000 loaded, G used to stop at row 1000.)
func TestBrowserBottomLoadsTheRest(t *testing.T) {
	var many []string
	for i := range 10000 {
		many = append(many, fmt.Sprintf("f%05d.txt", i))
	}
	bb := newBTBrowser(t, newBTLister(1000, many...), "media")
	if len(bb.b.list.entries) != 1000 {
		t.Fatalf("first listing: %d entries", len(bb.b.list.entries))
	}
	bb.press("G")
	if n := len(bb.b.list.entries); n != 10000 || bb.b.list.morePages() {
		t.Fatalf("after G: %d entries loaded, more pages %v", n, bb.b.list.morePages())
	}
	if got := bb.selected(); got != "f09999.txt" || bb.b.toEnd {
		t.Fatalf("after G the cursor is on %q (toEnd %v), want the last object", got, bb.b.toEnd)
	}

	// esc while G loads: the loading stops where it is.
	bb = newBTBrowser(t, newBTLister(1000, many...), "media")
	cmd := bb.b.handleKey(btKeys("G")[0])
	if !bb.b.toEnd || cmd == nil {
		t.Fatal("G started no loading")
	}
	if !strings.Contains(bb.b.View(), "loading to the end") {
		t.Errorf("no progress shown while G loads:\n%s", bb.b.View())
	}
	bb.b.Update(btKeys("esc")[0])
	if bb.b.toEnd || bb.b.more {
		t.Fatal("esc did not stop G's loading")
	}
}

// TestBrowserSortCoversTheFolder: S in a folder of which a page is loaded
// loads the rest before it says which file is biggest; esc stops it, and
// the info line says the order covers only the loaded rows.
func TestBrowserSortCoversTheFolder(t *testing.T) {
	var many []string
	for i := range 10000 {
		many = append(many, fmt.Sprintf("f%05d.txt", i)) // sizes grow with i
	}
	bb := newBTBrowser(t, newBTLister(1000, many...), "media")
	bb.press("S")
	if n := len(bb.b.list.entries); n != 10000 || bb.b.list.sort != sortSize {
		t.Fatalf("after S: %d entries loaded, sort %v", n, bb.b.list.sort)
	}
	if got := bb.names()[0]; got != "f09999.txt" {
		t.Fatalf("biggest file %q, want f09999.txt", got)
	}
	if v := bb.b.View(); strings.Contains(v, "loaded rows only") || !strings.Contains(v, "by size") {
		t.Errorf("a whole folder sorted:\n%s", v)
	}

	bb = newBTBrowser(t, newBTLister(1000, many...), "media")
	bb.b.Update(btKeys("S")[0])
	if !bb.b.more || !strings.Contains(bb.b.View(), "loading all to sort") {
		t.Fatalf("S started no loading:\n%s", bb.b.View())
	}
	bb.b.Update(btKeys("esc")[0])
	if bb.b.more || bb.b.list.complete {
		t.Fatal("esc did not stop the loading")
	}
	if got := bb.names()[0]; got != "f00999.txt" {
		t.Fatalf("biggest loaded file %q, want f00999.txt", got)
	}
	if v := bb.b.View(); !strings.Contains(v, "by size (loaded rows only)") {
		t.Errorf("a partial order is not said:\n%s", v)
	}
}

// The delete question names what goes: the marked objects, even when a
// filter hides them and the highlighted row is another object.
func TestBrowserDeleteNamesWhatGoes(t *testing.T) {
	l := newBTLister(1000, btKeysSample...)
	bb := newBTBrowser(t, l, "media")
	bb.press("down", "down", "space", "down", "space") // a.txt, zeta.bin
	bb.press("/", "c", "l", "i", "p", "enter")         // only clip.mp4 in view
	if got := bb.b.list.selectedKey(); got != "clip.mp4" {
		t.Fatalf("highlighted %q", got)
	}
	bb.press("d")
	v := bb.b.View()
	if !strings.Contains(v, "Delete 2 objects in s3://media/: a.txt, zeta.bin? y/n") || strings.Contains(v, "Delete 1") {
		t.Fatalf("the question does not name the marked objects:\n%s", v)
	}
	bb.press("y")
	if !slices.Equal(l.deleted, []string{"a.txt", "zeta.bin"}) {
		t.Fatalf("deleted %v", l.deleted)
	}
}

// The error panel closes as its line says: esc and E close it, and any
// other key (j) closes it and does what it does; r refreshes.
func TestBrowserErrorPanelCloses(t *testing.T) {
	l := newBTLister(1000, btKeysSample...)
	bb := newBTBrowser(t, l, "media")
	l.failList = errors.New("connection refused: " + strings.Repeat("detail ", 30))
	bb.press("r")
	for _, k := range []string{"esc", "E", "j"} {
		bb.press("E")
		if !bb.b.showErr {
			t.Fatalf("E did not open the panel")
		}
		if !strings.Contains(bb.b.View(), "esc closes") {
			t.Fatalf("the panel does not say how it closes:\n%s", bb.b.View())
		}
		at := bb.b.list.cursor
		bb.press(k)
		if bb.b.showErr {
			t.Errorf("%s left the panel open", k)
		}
		if k == "j" && bb.b.list.cursor != at+1 {
			t.Errorf("j closed the panel but did not move (cursor %d, was %d)", bb.b.list.cursor, at)
		}
	}
}

// cfsign s3://bucket/NAME opens NAME's folder with NAME selected, an object
// or a folder given without its slash; s3://bucket/FOLDER/ opens it.
func TestBrowserOpensAtAName(t *testing.T) {
	for _, tc := range []struct{ prefix, folder, selected string }{
		{"docs/readme.md", "docs/", "docs/readme.md"},
		{"docs", "", "docs/"},
		{"a.txt", "", "a.txt"},
		{"docs/", "docs/", "docs/readme.md"},
	} {
		deps := Deps{Lister: newBTLister(1000, btKeysSample...), Sandbox: true, Settings: app.Literal(config.Settings{Bucket: "media"}), Prefix: tc.prefix}
		bb := &btBrowser{t: t, b: newBrowserView(deps, newStyles(false), btEnv())}
		bb.b.SetSize(80, 20)
		bb.run(bb.b.Init())
		if bb.b.prefix != tc.folder || bb.b.list.selectedKey() != tc.selected {
			t.Errorf("s3://media/%s: folder %q selected %q, want %q %q", tc.prefix, bb.b.prefix, bb.b.list.selectedKey(), tc.folder, tc.selected)
		}
	}
}
