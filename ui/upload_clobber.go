// The upload view's question before it would replace an object: for each
// file whose key names one, replace it, keep both (the new one under a free
// name beside it) or skip the file; capitals answer for every file left.
package ui

import (
	"context"
	"fmt"
	"time"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// clobberChoice is an answer to the question.
type clobberChoice int

const (
	clobberAsk clobberChoice = iota
	clobberReplace
	clobberKeepBoth
	clobberSkip
)

// clobberKeys are the question's keys: lower case for this file, upper
// case for it and every one left.
var clobberKeys = struct{ Replace, KeepBoth, Skip, ReplaceAll, KeepBothAll, SkipAll key.Binding }{
	Replace:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "replace")),
	KeepBoth:    key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "keep both")),
	Skip:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip")),
	ReplaceAll:  key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "replace all")),
	KeepBothAll: key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "keep all")),
	SkipAll:     key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "skip all")),
}

// clobberQuestion is a batch held back until each file whose key names an
// object has an answer.
type clobberQuestion struct {
	idx     []int                  // the batch's items
	found   map[int]aws.ObjectInfo // item → the object its key names
	order   []int                  // the items asked about, in order
	at      int                    // the one asked about now
	answers map[int]clobberChoice  // item → answer
}

type (
	// uploadCheckedMsg says which of a planned batch's keys name objects.
	uploadCheckedMsg struct {
		idx   []int
		found map[int]aws.ObjectInfo // item → object
		err   error
	}
	// uploadRenamedMsg carries the free keys found for "keep both".
	uploadRenamedMsg struct {
		idx  []int
		keys map[int]string // item → new key
		err  error
	}
)

// checkExisting looks for objects at the items' keys before their batch
// starts; without a way to look, the batch starts at once.
func (v *uploadView) checkExisting(idx []int) tea.Cmd {
	objs, ok := v.deps.Lister.(app.Objects)
	if !ok {
		return v.start(idx)
	}
	files := make([]app.UploadFile, len(idx))
	for n, i := range idx {
		files[n] = app.UploadFile{Req: v.items[i].req}
	}
	v.note, v.noteErr = "Looking for objects these would replace…", false
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		byFile, err := app.Existing(ctx, objs, files)
		found := map[int]aws.ObjectInfo{}
		for n, info := range byFile {
			found[idx[n]] = info
		}
		return uploadCheckedMsg{idx: idx, found: found, err: err}
	}
}

// checked asks about the files whose keys name objects, or starts.
func (v *uploadView) checked(msg uploadCheckedMsg) tea.Cmd {
	if msg.err != nil {
		for _, i := range msg.idx {
			v.items[i].state, v.items[i].err = itemFailed, fmt.Errorf("look for an object at %s: %w", app.Escape(v.items[i].req.Key), msg.err)
		}
		v.note, v.noteErr = "Could not look for objects these would replace: r retries", true
		return nil
	}
	if len(msg.found) == 0 {
		return v.start(msg.idx)
	}
	q := &clobberQuestion{idx: msg.idx, found: msg.found, answers: map[int]clobberChoice{}}
	for _, i := range msg.idx {
		if _, ok := msg.found[i]; ok {
			q.order = append(q.order, i)
		}
	}
	v.clobber = q
	v.note, v.noteErr = "", false
	return nil
}

// clobberKey answers the question for the file asked about (lower case) or
// for it and every file left (upper case); esc starts nothing.
func (v *uploadView) clobberKey(msg tea.KeyMsg) tea.Cmd {
	q := v.clobber
	var c clobberChoice
	all := false
	k := clobberKeys
	switch {
	case key.Matches(msg, v.keys.Back):
		v.clobber = nil
		for _, i := range q.idx {
			v.items[i].state, v.items[i].notStarted = itemCancelled, true
		}
		v.note, v.noteErr = "Nothing uploaded", false
		return v.checkFinished()
	case key.Matches(msg, k.Replace):
		c = clobberReplace
	case key.Matches(msg, k.KeepBoth):
		c = clobberKeepBoth
	case key.Matches(msg, k.Skip):
		c = clobberSkip
	case key.Matches(msg, k.ReplaceAll):
		c, all = clobberReplace, true
	case key.Matches(msg, k.KeepBothAll):
		c, all = clobberKeepBoth, true
	case key.Matches(msg, k.SkipAll):
		c, all = clobberSkip, true
	default:
		return nil
	}
	for ; q.at < len(q.order); q.at++ {
		q.answers[q.order[q.at]] = c
		if !all {
			q.at++
			break
		}
	}
	if q.at < len(q.order) {
		return nil
	}
	v.clobber = nil
	return v.applyClobber(q)
}

// applyClobber starts the batch as answered: skipped files say so, kept
// ones go under a free name (found by looking), the rest replace.
func (v *uploadView) applyClobber(q *clobberQuestion) tea.Cmd {
	var run, keep []int
	for _, i := range q.idx {
		switch q.answers[i] {
		case clobberSkip:
			v.items[i].state, v.items[i].skipped = itemDone, true
		case clobberKeepBoth:
			keep = append(keep, i)
			run = append(run, i)
		default:
			run = append(run, i)
		}
	}
	if len(run) == 0 {
		return v.checkFinished()
	}
	if len(keep) == 0 {
		return v.start(run)
	}
	objs := v.deps.Lister.(app.Objects)
	reqs := map[int]aws.UploadRequest{}
	for _, i := range keep {
		reqs[i] = v.items[i].req
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		keys := map[int]string{}
		taken := map[string]bool{}
		for _, i := range keep {
			r := reqs[i]
			k, err := app.FreeKey(ctx, objs, r.Bucket, r.Key, func(k string) bool { return taken[k] })
			if err != nil {
				return uploadRenamedMsg{idx: run, err: err}
			}
			keys[i], taken[k] = k, true
		}
		return uploadRenamedMsg{idx: run, keys: keys}
	}
}

// renamed starts the batch once the kept files have their free names.
func (v *uploadView) renamed(msg uploadRenamedMsg) tea.Cmd {
	if msg.err != nil {
		v.note, v.noteErr = "Keep both: "+oneLine(msg.err.Error()), true
		for _, i := range msg.idx {
			v.items[i].state, v.items[i].err = itemFailed, msg.err
		}
		return nil
	}
	for i, k := range msg.keys {
		v.items[i].req.Key = k
	}
	return v.start(msg.idx)
}

// clobberPrompt is the question's line: which object, and the keys.
func (v *uploadView) clobberPrompt() string {
	q := v.clobber
	i := q.order[q.at]
	info := q.found[i]
	it := v.items[i]
	left := len(q.order) - q.at
	text := fmt.Sprintf("s3://%s/%s is there (%s, %s): r replace · k keep both · s skip",
		app.Escape(it.req.Bucket), app.Escape(it.req.Key), app.Size(info.Size), info.LastModified.Local().Format("2006-01-02 15:04"))
	if left > 1 {
		text += fmt.Sprintf(" · R/K/S all %d", left)
	}
	return text
}

// clobberHelp is the help of the question's keys.
func (v *uploadView) clobberHelp() []key.Binding {
	k := clobberKeys
	bs := []key.Binding{k.Replace, k.KeepBoth, k.Skip}
	if len(v.clobber.order)-v.clobber.at > 1 {
		bs = append(bs, k.ReplaceAll, k.KeepBothAll, k.SkipAll)
	}
	back := v.keys.Back
	back.SetHelp("esc", "upload nothing")
	return append(bs, back)
}
