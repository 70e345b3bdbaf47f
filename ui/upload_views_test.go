package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	tea "github.com/charmbracelet/bubbletea"
)

// TestUploadFinishingState: once the bytes are sent and the upload waits for
// S3 to complete it, the item says so instead of showing ETA 0s.
func TestUploadFinishingState(t *testing.T) {
	h := newUpHarness(t)
	v := h.v
	v.items = []uploadItem{{req: aws.UploadRequest{Key: "uploads/big.bin"}, batch: 1}}
	v.batches[1] = &uploadBatch{cancel: func() {}, gone: make(chan struct{}), items: []int{0}}
	at := func(d time.Duration) { v.now = func() time.Time { return vtNow.Add(d) } }
	event := func(sent int64) {
		v.Update(uploadEventMsg{id: 1, ev: app.UploadEvent{Kind: app.Progress, Index: 0, Sent: sent, Total: 1 << 20}})
	}
	at(0)
	v.Update(uploadEventMsg{id: 1, ev: app.UploadEvent{Kind: app.Started, Index: 0, Total: -1}})

	at(4 * time.Second)
	event(1 << 19) // half way
	if view := v.View(); !strings.Contains(view, "ETA 4s") || strings.Contains(view, "finishing") {
		t.Fatalf("half way:\n%s", view)
	}
	at(8 * time.Second)
	event(1<<20 - 2000) // 99%, fast: what is left would take a moment
	if view := v.View(); strings.Contains(view, "finishing") || !strings.Contains(view, "ETA <1s") {
		t.Fatalf("99%% is still sending, not finishing, and not 0s away:\n%s", view)
	}
	at(12 * time.Second)
	event(1 << 20) // every byte sent (always reported): waiting for S3
	view := v.View()
	if !strings.Contains(view, "finishing: waiting for S3 to confirm") || strings.Contains(view, "ETA") {
		t.Fatalf("every byte sent:\n%s", view)
	}
}

// TestUploadTabOnWholeFileMovesOn: tab completes a path; once the path names
// a file, tab moves to the next field.
func TestUploadTabOnWholeFileMovesOn(t *testing.T) {
	h := newUpHarness(t)
	h.typ("al")
	h.press("tab") // alpha.txt, alpine.txt: completes to the common "alp"
	if h.v.path.Value() != "alp" || h.v.focus != upFocusPath {
		t.Fatalf("path %q focus %v", h.v.path.Value(), h.v.focus)
	}
	h.typ("h")
	h.press("tab") // completes to alpha.txt
	if h.v.path.Value() != "alpha.txt" || h.v.focus != upFocusPath {
		t.Fatalf("path %q focus %v", h.v.path.Value(), h.v.focus)
	}
	h.press("tab") // a whole file: next field
	if h.v.focus != upFocusPicker || h.v.path.Value() != "alpha.txt" {
		t.Fatalf("tab on a whole file: focus %v path %q, want the picker", h.v.focus, h.v.path.Value())
	}
	// A folder is not the end: tab still completes inside it.
	h.press("shift+tab")
	h.v.path.SetValue("")
	h.typ("beta")
	h.press("tab", "tab")
	if h.v.focus != upFocusPath || h.v.path.Value() != "beta/" {
		t.Fatalf("folder: focus %v path %q", h.v.focus, h.v.path.Value())
	}
}

// TestUploadPickerSizesIEC: the picker shows file sizes in IEC units, as the
// browser does, and no size for a directory.
func TestUploadPickerSizesIEC(t *testing.T) {
	h := newUpHarness(t)
	if err := os.WriteFile(filepath.Join(h.dir, "big.bin"), make([]byte, 3<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// A view opened now, on the directory with big.bin.
	h.v = newUploadView(Deps{Uploader: h.up, Workdir: h.dir}, NewStyles(), "media", "uploads/")
	vtStatic(&h.v.path, &h.v.dest)
	h.v.SetSize(80, 24)
	h.drive(h.v.Init())
	lines := map[string]string{}
	for _, l := range strings.Split(h.v.View(), "\n") {
		for _, n := range []string{"beta", "alpha.txt", "alpine.txt", "big.bin"} {
			if strings.HasSuffix(strings.TrimRight(l, " "), " "+n) {
				lines[n] = strings.TrimRight(l, " ")
			}
		}
	}
	want := map[string]string{
		"beta": ">            beta", "alpha.txt": "      1000 B alpha.txt",
		"alpine.txt": "     2.4 KiB alpine.txt", "big.bin": "     3.0 MiB big.bin",
	}
	for n, w := range want {
		if lines[n] != w {
			t.Errorf("%s: %q, want %q", n, lines[n], w)
		}
	}
}

// esc just as an upload completes: the stop never reached the transfer, and
// the object is on the server. The item says it completed before the stop
// (with d to delete it), not a plain "done" after "Stopping…"; the Path
// line no longer says "Uploading".
func TestUploadStopBeatenByCompletion(t *testing.T) {
	h := newUpHarness(t)
	v := h.v
	v.items = []uploadItem{{req: aws.UploadRequest{Key: "uploads/big.bin"}, batch: 1, state: itemRunning}}
	v.batches[1] = &uploadBatch{cancel: func() {}, gone: make(chan struct{}), items: []int{0}}
	v.note = "Uploading big.bin"
	v.Update(vtKey("esc")) // the stop
	if v.items[0].state != itemStopping {
		t.Fatalf("esc: state %v", v.items[0].state)
	}
	// The transfer had already completed: done, no error, not stopped.
	v.Update(uploadEventMsg{id: 1, ev: app.UploadEvent{Kind: app.Done, Outcome: app.Uploaded, Index: 0, Info: aws.ObjectInfo{Key: "uploads/big.bin", Size: 10}, Total: 10}})
	cmd := func() tea.Cmd { _, c := v.Update(uploadClosedMsg{id: 1}); return c }()
	var status string
	for _, m := range vtRun(cmd) {
		if s, ok := m.(statusMsg); ok {
			status = s.text
		}
		if _, ok := m.(uploadsDoneMsg); ok {
			t.Fatal("left the view as if nothing had been stopped")
		}
	}
	view := v.View()
	if !v.items[0].landed || !strings.Contains(view, "completed before the stop") || !strings.Contains(status, "d deletes") {
		t.Fatalf("landed %v, status %q:\n%s", v.items[0].landed, status, view)
	}
	if strings.Contains(view, "Uploading big.bin") {
		t.Errorf("the Path line still says Uploading:\n%s", view)
	}
}

// TestUploadEscapesLocalNames: the picker and the Path field printed a local
// file name's bidi and control characters as they are (U+202E turns the rest
// of the row around; ESC sequences act on the terminal). They are drawn
// escaped, as the listing draws keys; the upload still uses the real name.
func TestUploadEscapesLocalNames(t *testing.T) {
	h := newUpHarness(t)
	evil, esc := "evil\u202eexe.txt", "esc\x1b[2J.txt"
	for _, n := range []string{evil, esc} {
		if err := os.WriteFile(filepath.Join(h.dir, n), []byte("payload"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A view opened now, on the directory with both.
	h.v = newUploadView(Deps{Uploader: h.up, Workdir: h.dir}, NewStyles(), "media", "uploads/")
	h.v.now = func() time.Time { return vtNow }
	vtStatic(&h.v.path, &h.v.dest)
	h.v.SetSize(80, 24)
	h.drive(h.v.Init())
	raw := func(where, view string) {
		t.Helper()
		for _, bad := range []string{"\u202e", "\x1b[2J"} {
			if strings.Contains(view, bad) {
				t.Errorf("%s prints %q raw:\n%s", where, bad, view)
			}
		}
	}
	view := h.v.View()
	raw("picker", view)
	for _, want := range []string{`       7 B evil\u202eexe.txt`, `       7 B esc\x1b[2J.txt`} {
		if !strings.Contains(view, want) {
			t.Errorf("picker lacks the row %q:\n%s", want, view)
		}
	}

	// Path: tab completion fills in the real name; the field shows it escaped.
	h.typ("evi")
	h.press("tab")
	if h.v.path.Value() != evil {
		t.Fatalf("completed path %q, want %q", h.v.path.Value(), evil)
	}
	view = h.v.View()
	raw("Path field", view)
	if !strings.Contains(view, `evil\u202eexe.txt`) {
		t.Errorf("Path field lacks the escaped name:\n%s", view)
	}
	h.press("enter")
	if len(h.up.calls) != 1 || h.up.calls[0].Path != filepath.Join(h.dir, evil) || h.up.calls[0].Key != "uploads/"+evil {
		t.Fatalf("upload from Path: %+v, want the real name", h.up.calls)
	}

	// Picker: beta/, alpha.txt, alpine.txt, esc…, evil…; the selected row is
	// escaped too, and enter uploads the file by its real name.
	h.press("tab", "down", "down", "down")
	if h.v.focus != upFocusPicker {
		t.Fatalf("focus %v, want the picker", h.v.focus)
	}
	view = h.v.View()
	raw("picker, esc selected", view)
	if !strings.Contains(view, `>        7 B esc\x1b[2J.txt`) {
		t.Errorf("selected row not escaped:\n%s", view)
	}
	h.press("enter")
	if len(h.up.calls) != 2 || h.up.calls[1].Path != filepath.Join(h.dir, esc) || h.up.calls[1].Key != "uploads/"+esc {
		t.Fatalf("upload from the picker: %+v, want the real name", h.up.calls)
	}
}
