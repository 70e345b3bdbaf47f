// The upload view's batches: starting them through the application layer
// (app.Transfers, as 'cfsign upload' does), reading their events, and
// saying how they ended.
package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/cfsign/cfsign/internal/app"
	tea "github.com/charmbracelet/bubbletea"
)

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
		if it.state == itemDone && !it.skipped {
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
	return v.checkExisting(idx)
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
		skipped := 0
		for _, it := range v.items {
			if it.skipped {
				skipped++
			}
		}
		return asCmd(uploadsDoneMsg{bucket: v.bucket, keys: v.doneKeys(), skipped: skipped})
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
