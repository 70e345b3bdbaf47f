package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cfsign/cfsign/internal/app"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// The file picker (bubbles/filepicker) prints sizes in SI units (4.1kB), and
// a size for directories too. The upload view turns its sizes off and puts
// its own column in: IEC units as the browser and the upload list use, and no
// size for a directory. The sizes are read in a command whenever the picker
// enters a directory, so View does no I/O.

// pickerSizeWidth is the size column's width: "1023.9 KiB".
const pickerSizeWidth = 10

// pickerSizesMsg carries the sizes of the files in dir (directories, and
// links to them, are left out), and the entries whose row the picker would
// print with raw control or bidi characters (see pickerLine).
type pickerSizesMsg struct {
	dir     string
	sizes   map[string]int64
	escaped map[string][]pickerEntry
}

// pickerEntry is a directory entry whose name, or link target, escapeKey
// changes: the picker prints it raw, so pickerLine redraws its row.
type pickerEntry struct {
	name, target string // as on disk; target only for a link
	dir, link    bool
}

// pickerSizesCmd reads the sizes of the files in dir.
func pickerSizesCmd(dir string) tea.Cmd {
	return func() tea.Msg {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return pickerSizesMsg{dir: dir}
		}
		sizes := make(map[string]int64, len(entries))
		var escaped map[string][]pickerEntry
		for _, e := range entries {
			fi, err := os.Stat(filepath.Join(dir, e.Name())) // follows links, as an upload would
			pe := pickerEntry{name: e.Name(), dir: e.IsDir(), link: e.Type()&os.ModeSymlink != 0}
			if pe.link {
				// What the picker shows after the arrow.
				pe.target, _ = filepath.EvalSymlinks(filepath.Join(dir, pe.name))
			}
			if app.Escape(pe.name) != pe.name || app.Escape(pe.target) != pe.target {
				if escaped == nil {
					escaped = map[string][]pickerEntry{}
				}
				k := pickerText(pe.name)
				escaped[k] = append(escaped[k], pe)
			}
			if err != nil || fi.IsDir() {
				continue
			}
			sizes[e.Name()] = fi.Size()
		}
		return pickerSizesMsg{dir: dir, sizes: sizes, escaped: escaped}
	}
}

// pickerText is what is left of name in the picker's view once its styles
// are stripped: lipgloss turns a tab into four spaces, and ansi.Strip drops
// the escape sequences a name may hold.
func pickerText(name string) string {
	return ansi.Strip(strings.ReplaceAll(name, "\t", "    "))
}

// syncSizes asks for the sizes of the picker's directory when it changed.
func (v *uploadView) syncSizes() tea.Cmd {
	dir := v.picker.CurrentDirectory
	if dir == v.sizesDir {
		return nil
	}
	v.sizesDir, v.sizes, v.escaped = dir, nil, nil
	return pickerSizesCmd(dir)
}

// pickerLine puts the size column into one line of the picker's view: after
// the two cells of the cursor, before the name. A line that names no file
// (a directory, a blank line, "no files") gets blanks. A name (or link
// target) with control, bidi or other invisible characters, which the picker
// prints as they are, is drawn escaped as the listing draws keys; only the
// display changes, the picker still selects the file by its real name.
func (v *uploadView) pickerLine(line string) string {
	plain := ansi.Strip(line)
	if strings.TrimSpace(plain) == "" || len([]rune(plain)) < 3 {
		return line
	}
	name := string([]rune(plain)[2:])
	head, rest := ansi.Truncate(line, 2, ""), ansi.TruncateLeft(line, 2, "")
	if e, ok := v.escapedEntry(line, strings.TrimPrefix(name, " ")); ok {
		// Both halves are drawn anew: a cut keeps every escape sequence
		// of the line, the name's own included.
		name = e.name
		head, rest = v.escapedRow(e, string([]rune(plain)[0]))
	}
	size, ok := v.sizes[strings.TrimPrefix(name, " ")]
	if !ok {
		if i := strings.Index(name, " → "); i >= 0 { // a link shows its target
			size, ok = v.sizes[strings.TrimPrefix(name[:i], " ")]
		}
	}
	col := strings.Repeat(" ", pickerSizeWidth)
	if ok {
		col = fmt.Sprintf("%*s", pickerSizeWidth, app.Size(size))
	}
	return head + v.st.Muted.Render(col) + " " + rest
}

// escapedEntry finds the entry a picker line (shown is its text after the
// cursor) draws, among those whose rows must be redrawn escaped. Names that
// strip to the same text are told apart by the raw line, which holds the
// name as it is.
func (v *uploadView) escapedEntry(line, shown string) (pickerEntry, bool) {
	if len(v.escaped) == 0 {
		return pickerEntry{}, false
	}
	key := shown
	if i := strings.Index(shown, " → "); i >= 0 {
		if _, ok := v.escaped[key]; !ok {
			key = shown[:i]
		}
	}
	var found pickerEntry
	ok := false
	for _, e := range v.escaped[key] {
		raw := strings.ReplaceAll(e.name, "\t", "    ")
		if strings.Contains(line, raw) && (!ok || len(raw) > len(found.name)) {
			found, ok = e, true
		}
	}
	return found, ok
}

// escapedRow draws the row of e as the picker does, its name (and link
// target) escaped: the cursor's two cells, and the name. cursor is the
// row's first cell, the cursor on the selected row.
func (v *uploadView) escapedRow(e pickerEntry, cursor string) (head, name string) {
	text := app.Escape(e.name)
	if e.link {
		text += " → " + app.Escape(e.target)
	}
	ps := v.picker.Styles
	if cursor != " " {
		return ps.Cursor.Render(cursor) + ps.Selected.Render(" "), ps.Selected.Render(text)
	}
	head = ps.Cursor.Render(" ") + " "
	switch {
	case e.dir:
		return head, ps.Directory.Render(text)
	case e.link:
		return head, ps.Symlink.Render(text)
	}
	return head, ps.File.Render(text)
}
