package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cfsign/cfsign/internal/app"
	"github.com/cfsign/cfsign/internal/testenv"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/config"
	tea "github.com/charmbracelet/bubbletea"
)

// fakeUploader reports progress in steps and can fail or block.
type fakeUploader struct {
	mu        sync.Mutex
	calls     []aws.UploadRequest
	failures  map[string]int // key → how many attempts fail
	block     bool           // block until the context is cancelled
	started   chan string
	cancelled chan string
	steps     int
}

func newFakeUploader() *fakeUploader {
	return &fakeUploader{failures: map[string]int{}, started: make(chan string, 16), cancelled: make(chan string, 16), steps: 4}
}

func (f *fakeUploader) Upload(ctx context.Context, req aws.UploadRequest, progress func(aws.Progress)) (aws.ObjectInfo, error) {
	f.mu.Lock()
	f.calls = append(f.calls, req)
	fail := f.failures[req.Key] > 0
	if fail {
		f.failures[req.Key]--
	}
	f.mu.Unlock()
	fi, err := os.Stat(req.Path)
	if err != nil {
		return aws.ObjectInfo{}, err
	}
	size := fi.Size()
	if f.block {
		progress(aws.Progress{Key: req.Key, Sent: size / 3, Total: size})
		f.started <- req.Key
		<-ctx.Done()
		f.cancelled <- req.Key
		return aws.ObjectInfo{}, &aws.UploadError{Err: fmt.Errorf("multipart upload aborted: %w", ctx.Err()), Multipart: true, Clean: true}
	}
	if fail {
		progress(aws.Progress{Key: req.Key, Sent: size / 2, Total: size})
		return aws.ObjectInfo{}, errors.New("connection reset by peer")
	}
	for i := int64(1); i <= int64(f.steps); i++ {
		progress(aws.Progress{Key: req.Key, Sent: size * i / int64(f.steps), Total: size})
	}
	return aws.ObjectInfo{Key: req.Key, Size: size}, nil
}

type upHarness struct {
	t    *testing.T
	v    *uploadView
	up   *fakeUploader
	dir  string
	nav  []tea.Msg // navigation and status messages for the root
	sent map[string][]int64
}

// newUpHarness makes a working directory with a few files and an upload view
// into media/uploads/.
func newUpHarness(t *testing.T) *upHarness {
	t.Helper()
	dir := t.TempDir()
	for name, size := range map[string]int{"alpha.txt": 1000, "alpine.txt": 2500, "beta/one.bin": 4096, "beta/two.bin": 10} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := &upHarness{t: t, up: newFakeUploader(), dir: dir, sent: map[string][]int64{}}
	h.v = newUploadView(Deps{Uploader: h.up, Workdir: dir}, NewStyles(), "media", "uploads/")
	h.v.now = func() time.Time { return vtNow }
	vtStatic(&h.v.path, &h.v.dest)
	h.v.SetSize(80, 24)
	h.drive(h.v.picker.Init())
	return h
}

// drive runs cmd and feeds every result back until nothing is left; messages
// for the root are kept in nav. Every applied progress event is checked for
// monotonic byte counts.
func (h *upHarness) drive(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, m := range vtRun(c) {
			switch m.(type) {
			case statusMsg, uploadsDoneMsg, backMsg:
				h.nav = append(h.nav, m)
				continue
			}
			_, next := h.v.Update(m)
			if ev, ok := m.(uploadEventMsg); ok {
				h.checkMonotonic(ev)
			}
			queue = append(queue, next)
		}
	}
}

func (h *upHarness) checkMonotonic(ev uploadEventMsg) {
	for _, it := range h.v.items {
		prev := h.sent[it.req.Key]
		if len(prev) > 0 && it.sent < prev[len(prev)-1] {
			h.t.Errorf("%s: sent went from %d to %d", it.req.Key, prev[len(prev)-1], it.sent)
		}
		if it.total > 0 && it.sent > it.total {
			h.t.Errorf("%s: sent %d of %d", it.req.Key, it.sent, it.total)
		}
		h.sent[it.req.Key] = append(prev, it.sent)
	}
}

func (h *upHarness) press(keys ...string) {
	for _, k := range keys {
		_, cmd := h.v.Update(vtKey(k))
		h.drive(cmd)
	}
}

func (h *upHarness) typ(s string) {
	for _, c := range vtType(h.v, s) {
		h.drive(c)
	}
}

func TestUploadTypedPathUploadsAndFinishes(t *testing.T) {
	h := newUpHarness(t)
	if !h.v.InputFocused() || h.v.focus != upFocusPath {
		t.Fatal("the path input should have focus first")
	}
	h.typ("alpha.txt")
	if got := h.v.dest.Value(); got != "uploads/alpha.txt" {
		t.Fatalf("derived destination %q", got)
	}
	h.press("enter")
	done, ok := vtFind[uploadsDoneMsg](h.nav)
	if !ok {
		t.Fatalf("no uploadsDoneMsg; nav %v; items %+v", h.nav, h.v.items)
	}
	if done.bucket != "media" || !slices.Equal(done.keys, []string{"uploads/alpha.txt"}) {
		t.Fatalf("done %+v", done)
	}
	if got := h.sent["uploads/alpha.txt"]; len(got) < 4 || got[len(got)-1] != 1000 {
		t.Fatalf("progress seen %v, want several steps ending at 1000", got)
	}
	if c := h.up.calls[0]; c.Path != filepath.Join(h.dir, "alpha.txt") || c.Bucket != "media" {
		t.Fatalf("upload request %+v", c)
	}
}

func TestUploadEditedDestination(t *testing.T) {
	h := newUpHarness(t)
	h.typ("alpine.txt")
	h.press("shift+tab") // path → destination
	if h.v.focus != upFocusDest {
		t.Fatalf("focus %v, want the destination", h.v.focus)
	}
	h.press("ctrl+u")
	h.typ("x/renamed.txt")
	h.press("enter")
	done, _ := vtFind[uploadsDoneMsg](h.nav)
	if !slices.Equal(done.keys, []string{"x/renamed.txt"}) {
		t.Fatalf("done %+v, calls %+v", done, h.up.calls)
	}
}

func TestUploadFolder(t *testing.T) {
	h := newUpHarness(t)
	h.typ("beta")
	h.press("enter")
	done, ok := vtFind[uploadsDoneMsg](h.nav)
	if !ok || len(done.keys) != 2 {
		t.Fatalf("done %+v ok %v note %q items %+v", done, ok, h.v.note, h.v.items)
	}
	for _, k := range done.keys {
		if !strings.HasPrefix(k, "uploads/") || !(strings.HasSuffix(k, "one.bin") || strings.HasSuffix(k, "two.bin")) {
			t.Errorf("key %q", k)
		}
	}
}

func TestUploadMissingPath(t *testing.T) {
	h := newUpHarness(t)
	h.typ("nope.txt")
	h.press("enter")
	if !h.v.noteErr || !strings.Contains(h.v.note, "nope.txt") || len(h.up.calls) != 0 {
		t.Fatalf("note %q err %v calls %d", h.v.note, h.v.noteErr, len(h.up.calls))
	}
}

func TestUploadTabCompletes(t *testing.T) {
	h := newUpHarness(t)
	h.typ("al")
	h.press("tab")
	if got := h.v.path.Value(); got != "alp" {
		t.Fatalf("after tab %q, want the common prefix alp", got)
	}
	if !slices.Equal(h.v.candidates, []string{"alpha.txt", "alpine.txt"}) {
		t.Fatalf("candidates %v", h.v.candidates)
	}
	h.typ("h")
	h.press("tab")
	if got := h.v.path.Value(); got != "alpha.txt" {
		t.Fatalf("completed %q", got)
	}
	h.press("ctrl+u")
	h.typ("be")
	h.press("tab")
	if got := h.v.path.Value(); got != "beta/" {
		t.Fatalf("completed %q, want beta/", got)
	}
	h.press("tab")
	if got := h.v.path.Value(); got != "beta/" || len(h.v.candidates) != 2 {
		t.Fatalf("inside beta/: %q %v", got, h.v.candidates)
	}
	// An answer for an input that has changed since is dropped.
	h.v.Update(pathCompletionMsg{seq: h.v.completeSeq, input: "zzz", matches: []string{"zzzz"}})
	if h.v.path.Value() != "beta/" {
		t.Fatal("stale completion applied")
	}
}

func TestUploadPickerSelects(t *testing.T) {
	h := newUpHarness(t)
	h.press("tab") // empty input: tab moves to the picker
	if h.v.focus != upFocusPicker || h.v.InputFocused() {
		t.Fatalf("focus %v", h.v.focus)
	}
	h.press("down", "enter") // beta/ is first; alpha.txt second
	done, ok := vtFind[uploadsDoneMsg](h.nav)
	if !ok || !slices.Equal(done.keys, []string{"uploads/alpha.txt"}) {
		t.Fatalf("done %+v, note %q", done, h.v.note)
	}
}

func TestUploadEscCancelsInFlight(t *testing.T) {
	h := newUpHarness(t)
	h.up.block = true
	h.typ("alpha.txt")
	_, cmd := h.v.Update(vtKey("enter"))
	// Plan, start, then read events until the upload runs; the fake blocks.
	var wait tea.Cmd
	for _, m := range vtRun(cmd) {
		_, c := h.v.Update(m)
		for _, m2 := range vtRun(c) {
			_, wait = h.v.Update(m2) // uploadStartedMsg → waitProgress
		}
	}
	select {
	case <-h.up.started:
	case <-time.After(10 * time.Second):
		t.Fatal("upload never started")
	}
	for h.v.items[0].state != itemRunning {
		_, wait = h.v.Update(wait())
	}
	if !h.v.running() {
		t.Fatal("not running")
	}
	_, esc := h.v.Update(vtKey("esc"))
	st, _ := vtFind[statusMsg](vtRun(esc))
	if !strings.Contains(st.text, "Stopping upload of uploads/alpha.txt") {
		t.Fatalf("status %+v", st)
	}
	select {
	case k := <-h.up.cancelled:
		if k != "uploads/alpha.txt" {
			t.Fatalf("cancelled %q", k)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the uploader's context was not cancelled")
	}
	// The stop is waited for: the view reads the batch to its end.
	if h.v.items[0].state != itemStopping || !h.v.running() {
		t.Fatalf("state %v running %v before the upload said how it ended", h.v.items[0].state, h.v.running())
	}
	h.drive(wait)
	if h.v.items[0].state != itemCancelled || h.v.running() {
		t.Fatalf("state %v running %v", h.v.items[0].state, h.v.running())
	}
	if !strings.Contains(h.v.View(), "cancelled: aborted, nothing left on the server") {
		t.Fatalf("view does not say it was aborted:\n%s", h.v.View())
	}
	// esc again leaves the view; nothing was uploaded.
	_, back := h.v.Update(vtKey("esc"))
	if _, ok := vtFind[backMsg](vtRun(back)); !ok {
		t.Fatal("second esc did not go back")
	}
}

func TestUploadErrorAndRetry(t *testing.T) {
	h := newUpHarness(t)
	h.up.failures["uploads/beta/two.bin"] = 1
	h.up.failures["uploads/two.bin"] = 1
	h.typ("beta")
	h.press("enter")
	if _, ok := vtFind[uploadsDoneMsg](h.nav); ok {
		t.Fatal("finished despite a failure")
	}
	st, _ := vtFind[statusMsg](h.nav)
	if !st.err || !strings.Contains(st.text, "r retries") {
		t.Fatalf("status %+v", st)
	}
	if h.v.focus != upFocusList || h.v.InputFocused() {
		t.Fatal("the list should take keys after a failure")
	}
	if v := h.v.View(); !strings.Contains(v, "connection reset by peer") {
		t.Fatalf("error not shown:\n%s", v)
	}
	calls := len(h.up.calls)
	h.sent = map[string][]int64{} // a retry starts its files again from zero
	h.press("r")
	if len(h.up.calls) != calls+1 {
		t.Fatalf("retry made %d calls, want 1 (only the failed file)", len(h.up.calls)-calls)
	}
	done, ok := vtFind[uploadsDoneMsg](h.nav)
	if !ok || len(done.keys) != 2 {
		t.Fatalf("done %+v", done)
	}
}

func TestUploadHostileNamesEscaped(t *testing.T) {
	h := newUpHarness(t)
	name := "evil\x1b]0;title\x07\u202e.txt"
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.v.items = append(h.v.items, uploadItem{req: aws.UploadRequest{Key: "uploads/" + name}, state: itemFailed, err: errors.New("bad\r\nrow")})
	for _, size := range [][2]int{{80, 24}, {24, 6}, {200, 60}} {
		h.v.SetSize(size[0], size[1])
		btCheckFrame(t, h.v.View(), size[0], size[1])
	}
}

func TestUploadGoldens(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		w, hh := size[0], size[1]
		h := newUpHarness(t)
		h.v.SetSize(w, hh)
		btCheckFrame(t, h.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("upload_open_%dx%d", w, hh), h.v.View())

		h.typ("al")
		h.press("tab")
		btGolden(t, fmt.Sprintf("upload_complete_%dx%d", w, hh), h.v.View())

		// A session in flight: one done, one running, one failed, one waiting.
		h.v.items = []uploadItem{
			{req: aws.UploadRequest{Key: "uploads/alpha.txt"}, state: itemDone, sent: 1000, total: 1000, started: vtNow.Add(-3 * time.Second), finished: vtNow.Add(-2 * time.Second)},
			{req: aws.UploadRequest{Key: "uploads/video.mp4"}, state: itemRunning, sent: 30 << 20, total: 100 << 20, started: vtNow.Add(-3 * time.Second)},
			{req: aws.UploadRequest{Key: "uploads/notes.md"}, state: itemFailed, sent: 10, total: 20, err: errors.New("upload uploads/notes.md: connection reset by peer")},
			{req: aws.UploadRequest{Key: "uploads/zeta.bin"}, state: itemPending, total: 5 << 20},
		}
		h.v.batches[99] = &uploadBatch{cancel: func() {}}
		h.v.SetSize(w, hh)
		btCheckFrame(t, h.v.View(), w, hh)
		btGolden(t, fmt.Sprintf("upload_progress_%dx%d", w, hh), h.v.View())
	}
}

// TestUploadSignSandbox is the whole flow on the real in-process sandbox: the
// upload view sends a multipart-sized file through the real S3 client, the
// sign view signs it with the sandbox key, and the sandbox edge serves it.
func TestUploadSignSandbox(t *testing.T) {
	// Signed URLs are bearer tokens: the app keeps no history of them, so
	// nothing may land in the user's directories during the flow.
	home := t.TempDir()
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"} {
		t.Setenv(v, home)
	}
	defer func() {
		if entries, _ := os.ReadDir(home); len(entries) > 0 {
			t.Errorf("the upload and sign flow wrote %d entries under HOME (%s...)", len(entries), entries[0].Name())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sb := testenv.NewSandbox(t)
	c, err := aws.NewClient(ctx, aws.ClientOptions{EndpointURL: sb.S3Endpoint, Region: sb.Region,
		AccessKeyID: sb.AccessKeyID, SecretAccessKey: sb.SecretAccessKey})
	if err != nil {
		t.Fatal(err)
	}
	h := newUpHarness(t)
	h.v.deps.Uploader = c
	h.v.bucket = sb.Bucket
	big := make([]byte, 12<<20+123)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := os.WriteFile(filepath.Join(h.dir, "big file.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	h.typ("big file.bin")
	h.press("enter")
	done, ok := vtFind[uploadsDoneMsg](h.nav)
	if !ok || !slices.Equal(done.keys, []string{"uploads/big file.bin"}) {
		t.Fatalf("done %+v; nav %v; items %+v", done, h.nav, h.v.items)
	}
	if seen := h.sent["uploads/big file.bin"]; len(seen) < 2 || seen[len(seen)-1] != int64(len(big)) {
		t.Fatalf("progress %v", seen)
	}
	info, err := c.Head(ctx, sb.Bucket, "uploads/big file.bin")
	if err != nil || info.Size != int64(len(big)) {
		t.Fatalf("head %+v %v", info, err)
	}

	sess := testSession(t, config.Settings{}, sb, nil)
	set, err := sess.BucketSettings(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	deps := Deps{Sandbox: true, Settings: set, Signers: SessionSigners{sess}}
	sv := newSignView(deps, NewStyles(), sb.Bucket, done.keys)
	_, cmd := sv.Update(vtKey("enter"))
	for _, m := range vtRun(cmd) {
		sv.Update(m)
	}
	if len(sv.result) != 1 {
		t.Fatalf("sign: %q", sv.err)
	}
	resp, err := http.Get(sv.result[0].url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, big) {
		t.Fatalf("edge answered %d with %d bytes", resp.StatusCode, len(body))
	}
}

// Quitting with an upload in flight cancels it (so the aws layer aborts the
// multipart upload) and Run's wait covers the upload's goroutine.
func TestQuitCancelsRunningUploadAndWaits(t *testing.T) {
	h := newUpHarness(t)
	h.up.block = true
	bg := new(sync.WaitGroup)
	h.v.deps.background = bg
	m := newApp(Deps{Lister: newBTLister(10), Uploader: h.up, Sandbox: true, background: bg,
		Settings: app.Literal(config.Settings{Bucket: "media"})}, btEnv())
	m.cur = h.v
	h.typ("alpha.txt")
	_, cmd := h.v.Update(vtKey("enter"))
	for _, msg := range vtRun(cmd) {
		_, c := h.v.Update(msg)
		for _, m2 := range vtRun(c) {
			h.v.Update(m2) // uploadStartedMsg
		}
	}
	select {
	case <-h.up.started:
	case <-time.After(10 * time.Second):
		t.Fatal("upload never started")
	}
	// The first ctrl+c asks (uploads are running), the second quits.
	m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	_, quit := m.Update(tea.KeyMsg{Type: tea.KeyCtrlC})
	if _, ok := quit().(tea.QuitMsg); !ok {
		t.Fatal("a second ctrl+c did not quit")
	}
	select {
	case <-h.up.cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("quitting did not cancel the running upload")
	}
	done := make(chan struct{})
	go func() { waitBackground(bg, 10*time.Second); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("background wait did not return")
	}
}

// Several paths at once: words as a shell splits them, quotes and globs.
func TestUploadSeveralPaths(t *testing.T) {
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{`alpha.txt beta`, []string{"uploads/alpha.txt", "uploads/beta/one.bin", "uploads/beta/two.bin"}},
		{`alp*.txt`, []string{"uploads/alpha.txt", "uploads/alpine.txt"}},
		{`"beta/one.bin" 'alpine.txt'`, []string{"uploads/one.bin", "uploads/alpine.txt"}},
	} {
		h := newUpHarness(t)
		h.typ(tc.typed)
		h.press("enter")
		done, ok := vtFind[uploadsDoneMsg](h.nav)
		if !ok {
			t.Fatalf("%s: no upload; note %q", tc.typed, h.v.note)
		}
		got := slices.Clone(done.keys)
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: uploaded %q, want %q", tc.typed, got, want)
		}
	}
	for _, bad := range []string{`alpha.txt "beta`, `zz*.none`, `alpha.txt nope.txt`} {
		h := newUpHarness(t)
		h.typ(bad)
		h.press("enter")
		if !h.v.noteErr || len(h.up.calls) != 0 {
			t.Errorf("%s: note %q err %v calls %d", bad, h.v.note, h.v.noteErr, len(h.up.calls))
		}
	}
}
