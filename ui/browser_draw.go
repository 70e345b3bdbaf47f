// The browser's drawing: the header, the rows and their columns, the
// info line and the details panel.
package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
)

type columns struct{ name, size, date, class int }

func (b *browserView) columns() columns {
	w := b.width
	c := columns{size: sizeW, date: dateW, class: classW}
	if b.bucket == "" {
		c.size, c.class = 0, 0
	}
	if w < 64 {
		c.class = 0
	}
	if w < 48 {
		c.date = 0
	}
	if w < 28 {
		c.size = 0
	}
	used := markW
	for _, x := range []int{c.size, c.date, c.class} {
		if x > 0 {
			used += x + gap
		}
	}
	c.name = max(w-used, 1)
	return c
}

// listHeight is how many rows fit under the column header and above the info line.
func (b *browserView) listHeight() int { return b.heightFor(b.list.pattern) }

// heightFor is listHeight once pattern is the filter in force: the filter
// line shows while typing or while a filter is in force.
func (b *browserView) heightFor(pattern string) int {
	h := b.height - 2 // column header, info line
	if b.filtering || pattern != "" {
		h--
	}
	if b.confirm != nil || b.naming || b.folderConfirm != nil {
		h--
	}
	if b.lastErr != "" {
		h-- // the error banner
	}
	return max(h, 1)
}

// View draws the browser into width x height.
func (b *browserView) View() string {
	var s strings.Builder
	if b.filtering || b.list.pattern != "" {
		if b.filtering {
			s.WriteString(b.input.View())
		} else {
			s.WriteString(b.st.Muted.Render("filter: ") + app.Escape(b.list.pattern))
		}
		s.WriteByte('\n')
	}
	if b.lastErr != "" {
		hint := "  (E: the whole error)"
		if len(b.lastErr)+len(hint) <= b.width || b.showErr {
			hint = ""
		}
		s.WriteString(b.st.Error.Render(truncate("✗ "+b.lastErr, b.width-len(hint))) + b.st.Muted.Render(hint))
		s.WriteByte('\n')
	}
	switch {
	case b.showErr && b.lastErr != "":
		s.WriteString(b.st.Title.Render("The last error") + "\n")
		s.WriteString(ansi.Wrap(app.Escape(b.lastErr), max(b.width, 10), " /:"))
		s.WriteString("\n" + b.st.Muted.Render("esc closes · r tries again"))
	case b.details != nil || b.detailsBusy:
		s.WriteString(b.detailsView())
	case b.loading && len(b.list.rows) == 0:
		where := "buckets"
		if b.bucket != "" {
			where = "s3://" + b.bucket + "/" + b.prefix
		}
		s.WriteString(b.spin.View() + " listing " + app.Escape(where) + "…")
	default:
		b.writeList(&s)
	}
	if b.naming {
		s.WriteByte('\n')
		s.WriteString(b.st.Label.Render("New folder in s3://"+app.Escape(b.bucket+"/"+b.prefix)+": ") + b.nameInput.View())
	}
	if b.folderConfirm != nil {
		s.WriteByte('\n')
		s.WriteString(b.st.Warning.Render(truncate(b.folderPrompt(), b.width)))
	}
	if b.confirm != nil {
		// What goes, by name: the marked rows may be filtered out of view,
		// and the highlighted one is not among them.
		q := app.Deletion{Bucket: b.bucket, Keys: b.confirm, Count: len(b.confirm)}.Question()
		s.WriteByte('\n')
		s.WriteString(b.st.Warning.Render(truncate(q+" y/n", b.width)))
	}
	return s.String()
}

func (b *browserView) writeList(s *strings.Builder) {
	c := b.columns()
	head := pad("", markW) + pad("Name"+b.arrow(sortName), c.name)
	if c.size > 0 {
		head += pad("", gap) + padLeft("Size"+b.arrow(sortSize), c.size)
	}
	if c.date > 0 {
		head += pad("", gap) + pad("Modified"+b.arrow(sortDate), c.date)
	}
	if c.class > 0 {
		head += pad("", gap) + pad("Class", c.class)
	}
	s.WriteString(b.st.ColumnHead.Render(truncate(head, b.width)))
	h := b.listHeight()
	end := min(b.list.offset+h, len(b.list.rows))
	for i := b.list.offset; i < end; i++ {
		s.WriteByte('\n')
		if e := b.list.at(b.list.rows[i]); e != nil {
			s.WriteString(b.row(e, c, i == b.list.cursor))
		}
	}
	if len(b.list.rows) == 0 {
		s.WriteByte('\n')
		msg := "(empty)"
		if b.list.pattern != "" {
			msg = "no match"
			if b.filterBusy {
				msg = "filtering…"
			}
		}
		s.WriteString(b.st.Muted.Render(msg))
		end++
	}
	for i := end - b.list.offset; i < h; i++ {
		s.WriteByte('\n')
	}
	s.WriteByte('\n')
	s.WriteString(b.infoLine())
}

func (b *browserView) arrow(s sortMode) string {
	if b.bucket != "" && b.list.sort == s {
		if s == sortName {
			return " ↑"
		}
		return " ↓"
	}
	return ""
}

func (b *browserView) row(e *entry, c columns, selected bool) string {
	mark := "   "
	switch {
	case selected && e.flags&flagMarked != 0:
		mark = "›● "
	case selected:
		mark = "›  "
	case e.flags&flagMarked != 0:
		mark = " ● "
	}
	name := e.key
	if e.flags&flagBucket == 0 {
		name = name[min(len(b.prefix), len(name)):]
	}
	nameCell := pad(truncate(app.Escape(name), c.name), c.name)
	var rest strings.Builder
	if c.size > 0 {
		sz := ""
		if !e.folder() {
			sz = app.Size(e.size)
		}
		rest.WriteString(pad("", gap) + padLeft(sz, c.size))
	}
	if c.date > 0 {
		d := ""
		if e.mtime != 0 {
			d = time.Unix(e.mtime, 0).In(b.env.loc).Format("2006-01-02 15:04")
		}
		rest.WriteString(pad("", gap) + pad(d, c.date))
	}
	if c.class > 0 {
		cl := ""
		if !e.folder() {
			cl = b.list.className(e.class)
		}
		rest.WriteString(pad("", gap) + pad(truncate(app.Escape(cl), c.class), c.class))
	}
	line := mark + nameCell + rest.String()
	if selected {
		return b.st.Selected.Render(truncate(line, b.width))
	}
	if e.flags&flagMarked != 0 {
		mark = b.st.Marked.Render(mark)
	}
	if e.folder() {
		nameCell = b.st.Folder.Render(nameCell)
	}
	return truncate(mark+nameCell+rest.String(), b.width)
}

func (b *browserView) infoLine() string {
	var parts []string
	n := len(b.list.entries)
	noun := "item"
	if b.bucket == "" {
		noun = "bucket"
	}
	switch {
	case b.list.complete:
		parts = append(parts, app.Count(n, noun))
	default:
		parts = append(parts, humanize.Comma(int64(n))+" loaded")
	}
	if b.list.pattern != "" {
		parts = append(parts, app.CountOf(len(b.list.rows), "match", "matches"))
	}
	if b.list.marked > 0 {
		parts = append(parts, humanize.Comma(int64(b.list.marked))+" marked ("+app.Size(b.list.markedSize)+")")
	}
	if b.bucket != "" {
		by := "by " + b.list.sort.String()
		if b.list.sort != sortName && !b.list.complete {
			by += " (loaded rows only)"
		}
		parts = append(parts, by)
	}
	switch {
	case b.toEnd:
		parts = append(parts, "loading to the end "+b.spin.View()+" esc stops")
	case b.loadingAll():
		parts = append(parts, "loading all to sort "+b.spin.View()+" esc stops")
	case b.more || b.filterBusy || b.sorting || (b.loading && n > 0):
		parts = append(parts, b.spin.View())
	case !b.list.complete && n > 0:
		parts = append(parts, "more…")
	}
	if len(b.list.rows) > 0 {
		parts = append([]string{strconv.Itoa(b.list.cursor+1) + "/" + humanize.Comma(int64(len(b.list.rows)))}, parts...)
	}
	return b.st.Muted.Render(truncate(strings.Join(parts, " · "), b.width))
}

// printableASCII reports whether s is printable ASCII, one cell a byte.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if len(s) <= w && printableASCII(s) {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

func pad(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}

func padLeft(s string, w int) string {
	if n := w - ansi.StringWidth(s); n > 0 {
		return strings.Repeat(" ", n) + s
	}
	return s
}
