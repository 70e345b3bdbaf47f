package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
// links to them, are left out).
type pickerSizesMsg struct {
	dir   string
	sizes map[string]int64
}

// pickerSizesCmd reads the sizes of the files in dir.
func pickerSizesCmd(dir string) tea.Cmd {
	return func() tea.Msg {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return pickerSizesMsg{dir: dir}
		}
		sizes := make(map[string]int64, len(entries))
		for _, e := range entries {
			fi, err := os.Stat(filepath.Join(dir, e.Name())) // follows links, as an upload would
			if err != nil || fi.IsDir() {
				continue
			}
			sizes[e.Name()] = fi.Size()
		}
		return pickerSizesMsg{dir: dir, sizes: sizes}
	}
}

// syncSizes asks for the sizes of the picker's directory when it changed.
func (v *uploadView) syncSizes() tea.Cmd {
	dir := v.picker.CurrentDirectory
	if dir == v.sizesDir {
		return nil
	}
	v.sizesDir, v.sizes = dir, nil
	return pickerSizesCmd(dir)
}

// pickerLine puts the size column into one line of the picker's view: after
// the two cells of the cursor, before the name. A line that names no file
// (a directory, a blank line, "no files") gets blanks.
func (v *uploadView) pickerLine(line string) string {
	plain := ansi.Strip(line)
	if strings.TrimSpace(plain) == "" || len([]rune(plain)) < 3 {
		return line
	}
	name := string([]rune(plain)[2:])
	size, ok := v.sizes[strings.TrimPrefix(name, " ")]
	if !ok {
		if i := strings.Index(name, " → "); i >= 0 { // a link shows its target
			size, ok = v.sizes[strings.TrimPrefix(name[:i], " ")]
		}
	}
	col := strings.Repeat(" ", pickerSizeWidth)
	if ok {
		col = fmt.Sprintf("%*s", pickerSizeWidth, humanBytes(size))
	}
	return ansi.Truncate(line, 2, "") + v.st.Muted.Render(col) + " " + ansi.TruncateLeft(line, 2, "")
}
