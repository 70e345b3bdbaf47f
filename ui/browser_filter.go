// The browser's filter and sort: a fuzzy match over the loaded rows, the
// server-side prefix search, and the sort orders.
package ui

import (
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
)

// filterKey handles a key while the filter input has focus: arrows still
// move, everything else edits the filter.
func (b *browserView) filterKey(msg tea.KeyMsg) tea.Cmd {
	switch msg.Type {
	case tea.KeyEsc:
		b.clearFilter()
		return nil
	case tea.KeyEnter:
		b.filtering = false
		b.input.Blur()
		if b.list.pattern == "" {
			b.input.SetValue("")
		}
		return nil
	case tea.KeyUp:
		b.move(-1)
		return b.maybeLoadMore()
	case tea.KeyDown:
		b.move(1)
		return b.maybeLoadMore()
	case tea.KeyPgUp:
		b.move(-b.listHeight())
		return nil
	case tea.KeyPgDown:
		b.move(b.listHeight())
		return b.maybeLoadMore()
	}
	var cmd tea.Cmd
	b.input, cmd = b.input.Update(msg)
	if v := b.input.Value(); v != b.list.pattern {
		return tea.Batch(cmd, b.setFilter(v))
	}
	return cmd
}

// setFilter starts matching pattern in a command; the rows shown stay as they
// are until its result arrives, so typing never waits.
func (b *browserView) setFilter(pattern string) tea.Cmd {
	if b.cancelFilter != nil {
		b.cancelFilter()
		b.cancelFilter = nil
	}
	if b.cancelFound != nil {
		b.cancelFound()
		b.cancelFound = nil
	}
	b.seq++
	b.filterReq = b.seq
	b.list.setPattern(pattern, b.heightFor(pattern))
	if pattern == "" {
		b.filterBusy = false
		return nil
	}
	cmds := []tea.Cmd{b.fuzzyCmd()}
	if lit := literalPrefix(pattern); lit != "" && !b.list.complete && b.bucket != "" {
		cmds = append(cmds, b.foundCmd(lit))
	}
	b.filterBusy = true
	cmds = append(cmds, b.startSpin())
	return tea.Batch(cmds...)
}

// fuzzyCmd matches the filter against what is loaded. When the pattern only
// grows, it searches the last result instead of everything.
func (b *browserView) fuzzyCmd() tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancelFilter = cancel
	ents, cands, cut, pattern := b.list.entries, b.list.candidates(), len(b.prefix), b.list.pattern
	gen, req, ver := b.gen, b.filterReq, b.list.orderVer
	return func() tea.Msg {
		defer cancel()
		return matchLoaded(ctx, gen, req, ver, pattern, ents, cands, cut)
	}
}

// matchLoaded is fuzzyCmd's work: the matches as a message, or nil once a
// newer filter cancelled it.
func matchLoaded(ctx context.Context, gen, req, ver int, pattern string, ents []entry, cands []int32, cut int) tea.Msg {
	refs, err := matchRefs(ctx, pattern, ents, cands, cut)
	if err != nil {
		return nil
	}
	return brFilteredMsg{gen: gen, req: req, orderVer: ver, pattern: pattern, refs: refs}
}

// foundCmd lists prefix+lit on the server, so names not yet loaded are found.
func (b *browserView) foundCmd(lit string) tea.Cmd {
	ctx, cancel := b.ctx()
	b.cancelFound = cancel
	b.foundReq = b.filterReq
	lister, gen, req, bucket, prefix, pattern := b.deps.Lister, b.gen, b.filterReq, b.bucket, b.prefix, b.list.pattern
	return func() tea.Msg {
		defer cancel()
		page, err := lister.List(ctx, bucket, prefix+lit, "")
		if ctx.Err() != nil {
			return nil
		}
		return brFoundMsg{gen: gen, req: req, pattern: pattern, page: page, err: err}
	}
}

// literalPrefix is the part of a typed filter that can be a key prefix on the
// server: up to a wildcard or a folder separator.
func literalPrefix(p string) string {
	if i := strings.IndexAny(p, "*?[/ "); i >= 0 {
		return p[:i]
	}
	return p
}

func (b *browserView) gotFound(msg brFoundMsg) tea.Cmd {
	if msg.gen != b.gen || msg.req != b.foundReq || msg.pattern != b.list.pattern {
		return nil
	}
	b.cancelFound = nil
	if msg.err != nil {
		return nil // the loaded matches still show; the server search is a bonus
	}
	b.list.setFound(msg.page.Entries, b.prefix, b.listHeight())
	return nil
}

// setSort changes the order: by name in place (a linear rebuild), by size or
// date in a command when the list is big.
func (b *browserView) setSort(s sortMode) tea.Cmd {
	b.list.setSort(s, b.listHeight())
	if s == sortName {
		b.sorting = false
		return nil
	}
	b.stopped = false // asked again: the whole folder
	cmd := b.resort()
	if b.loadingAll() && !b.loading && !b.more {
		b.more = true
		cmd = tea.Batch(cmd, b.listCmd(b.list.token), b.startSpin())
	}
	return cmd
}

func (b *browserView) resort() tea.Cmd {
	b.sortedN = len(b.list.entries)
	b.seq++
	b.sortReq = b.seq
	cmd := sortCmd(b.gen, b.seq, b.list.sort, b.list.entries)
	if len(b.list.entries) <= inlineSortLimit {
		return b.gotSorted(cmd().(brSortedMsg))
	}
	b.sorting = true
	return tea.Batch(cmd, b.startSpin())
}

func sortCmd(gen, req int, mode sortMode, ents []entry) tea.Cmd {
	return func() tea.Msg {
		return brSortedMsg{gen: gen, req: req, n: len(ents), objects: sortObjects(mode, ents)}
	}
}

func (b *browserView) gotSorted(msg brSortedMsg) tea.Cmd {
	if msg.gen != b.gen || msg.req != b.sortReq {
		return nil
	}
	if !b.list.installSorted(msg.n, msg.objects, b.listHeight()) {
		return b.resort() // pages arrived meanwhile
	}
	b.sorting = false
	if b.list.pattern != "" {
		return b.setFilter(b.list.pattern)
	}
	return nil
}
