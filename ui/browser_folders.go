package ui

// Folders in the browser: n makes one (a zero-byte "name/" object, as the S3
// console does); d on a folder counts what is under it, asks with that
// count, and deletes it all.

import (
	"context"
	"fmt"
	"strings"

	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// folderAdmin is what folder actions need; *aws.Client satisfies it.
type folderAdmin interface {
	app.Objects
	CreateFolder(ctx context.Context, bucket, key string) error
	DeletePrefix(ctx context.Context, bucket, prefix string) (int, error)
}

// folderDelete is a folder delete waiting for y/n, with what it would delete.
type folderDelete struct {
	prefix string
	plan   app.Deletion
}

type (
	brFolderMadeMsg struct {
		gen int
		key string
		err error
	}
	brCountedMsg struct {
		gen    int
		prefix string
		plan   app.Deletion
		err    error
	}
	brFolderDeletedMsg struct {
		gen     int
		prefix  string
		deleted int
		err     error
	}
)

func (b *browserView) folders() folderAdmin {
	f, _ := b.deps.Lister.(folderAdmin)
	return f
}

// startNaming opens the folder-name prompt.
func (b *browserView) startNaming() tea.Cmd {
	if b.folders() == nil || b.bucket == "" {
		return status("this storage cannot make folders", true)
	}
	b.naming = true
	b.nameInput.SetValue("")
	b.nameInput.Focus()
	return nil
}

// namingKey handles keys while the folder name is typed.
func (b *browserView) namingKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, b.km.Back):
		b.naming = false
		b.nameInput.Blur()
		return nil
	case key.Matches(msg, b.km.Confirm):
		name := strings.TrimSpace(b.nameInput.Value())
		if err := app.CheckFolderName(name); err != nil {
			return status(app.EscapeText(err.Error())+", or esc", true)
		}
		name = strings.Trim(name, "/")
		b.naming = false
		b.nameInput.Blur()
		fa, gen, bucket, k := b.folders(), b.gen, b.bucket, b.prefix+name+"/"
		ctx, cancel := b.ctx()
		return func() tea.Msg {
			defer cancel()
			return brFolderMadeMsg{gen: gen, key: k, err: fa.CreateFolder(ctx, bucket, k)}
		}
	}
	var cmd tea.Cmd
	b.nameInput, cmd = b.nameInput.Update(msg)
	return cmd
}

// countFolder counts a folder's objects before asking to delete them.
func (b *browserView) countFolder(prefix string) tea.Cmd {
	fa := b.folders()
	if fa == nil {
		return status("this storage cannot delete folders", true)
	}
	gen, bucket := b.gen, b.bucket
	ctx, cancel := b.ctx()
	b.counting = true
	return tea.Batch(func() tea.Msg {
		defer cancel()
		d, err := app.PlanPrefix(ctx, fa, bucket, prefix, nil)
		return brCountedMsg{gen: gen, prefix: prefix, plan: d, err: err}
	}, status("counting the objects in "+app.Escape(prefix)+"…", false))
}

// folderMsg handles the folder commands' results; ok is false for other messages.
func (b *browserView) folderMsg(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case brFolderMadeMsg:
		if msg.gen != b.gen {
			return nil, true
		}
		if msg.err != nil {
			return status(msg.err.Error(), true), true
		}
		return tea.Batch(b.refreshSelect(b.bucket, msg.key), status("made folder "+app.Escape(msg.key), false)), true
	case brCountedMsg:
		if msg.gen != b.gen {
			return nil, true
		}
		b.counting = false
		if msg.err != nil {
			return status(msg.err.Error(), true), true
		}
		b.folderConfirm = &folderDelete{prefix: msg.prefix, plan: msg.plan}
		// The prompt line asks now; "counting…" is over.
		return status("", false), true
	case brFolderDeletedMsg:
		if msg.gen != b.gen {
			return nil, true
		}
		if msg.err != nil {
			return tea.Batch(b.refresh(), status(fmt.Sprintf("deleted %s from %s, then: %v", app.Count(msg.deleted, "object"), app.Escape(msg.prefix), msg.err), true)), true
		}
		return tea.Batch(b.refresh(), status(fmt.Sprintf("deleted %s and the %s in it", app.Escape(msg.prefix), app.Count(msg.deleted, "object")), false)), true
	}
	return nil, false
}

// folderConfirmKey answers the folder-delete prompt.
func (b *browserView) folderConfirmKey(msg tea.KeyMsg) tea.Cmd {
	fd := b.folderConfirm
	switch {
	case key.Matches(msg, b.km.Yes):
		b.folderConfirm = nil
		fa, gen, bucket := b.folders(), b.gen, b.bucket
		ctx, cancel := context.WithCancel(context.Background())
		return tea.Batch(func() tea.Msg {
			defer cancel()
			n, err := fa.DeletePrefix(ctx, bucket, fd.prefix)
			return brFolderDeletedMsg{gen: gen, prefix: fd.prefix, deleted: n, err: err}
		}, status(fmt.Sprintf("deleting %s…", app.Count(fd.plan.Count, "object")), false))
	case key.Matches(msg, b.km.No), key.Matches(msg, b.km.Back):
		b.folderConfirm = nil
		return status("kept "+app.Escape(fd.prefix), false)
	}
	return nil
}

// folderPrompt is the prompt line of a folder delete.
func (b *browserView) folderPrompt() string {
	fd := b.folderConfirm
	if fd.plan.Count == 0 {
		return fmt.Sprintf("Delete the empty folder %s? y/n", app.Escape(fd.prefix))
	}
	return fd.plan.Question() + " y/n"
}
