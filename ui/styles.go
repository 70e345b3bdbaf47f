package ui

import (
	"os"

	"github.com/charmbracelet/bubbles/filepicker"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles holds every lipgloss style the app uses. It is built once by
// NewStyles and shared by all views, so no view creates styles of its own.
type Styles struct {
	// Chrome.
	Header     lipgloss.Style // the header bar
	AppName    lipgloss.Style // "cfsign" in the header
	Badge      lipgloss.Style // SANDBOX badge
	Profile    lipgloss.Style // profile name in the header
	Crumb      lipgloss.Style // a breadcrumb segment
	CrumbSep   lipgloss.Style // the separator between segments
	Footer     lipgloss.Style
	StatusOK   lipgloss.Style // a notice on the status line
	StatusErr  lipgloss.Style // an error on the status line
	HelpKey    lipgloss.Style
	HelpDesc   lipgloss.Style
	HelpSep    lipgloss.Style
	Title      lipgloss.Style // a view or pane title
	Subtitle   lipgloss.Style
	Border     lipgloss.Style // a bordered pane or overlay
	Dialog     lipgloss.Style // a confirmation box
	Label      lipgloss.Style // a form label
	Value      lipgloss.Style // a value next to a label
	Input      lipgloss.Style // a text input's text
	InputFocus lipgloss.Style // a focused text input's prompt
	Prompt     lipgloss.Style // a text input's prompt
	Cursor     lipgloss.Style // a text input's cursor
	Muted      lipgloss.Style // secondary text
	Error      lipgloss.Style // inline errors
	Warning    lipgloss.Style
	OK         lipgloss.Style // success
	URL        lipgloss.Style // a signed URL
	Code       lipgloss.Style // PEM blocks, fingerprints
	Key        lipgloss.Style // an object key
	Option     lipgloss.Style // an unselected choice (expiry preset, mode)
	OptionOn   lipgloss.Style // the selected choice
	Button     lipgloss.Style
	ButtonOn   lipgloss.Style // the focused button
	// Lists.
	ColumnHead lipgloss.Style // the list's column header
	Row        lipgloss.Style
	Selected   lipgloss.Style // the cursor row
	Folder     lipgloss.Style // a folder's name
	Marked     lipgloss.Style // the mark of a marked row
	Spinner    lipgloss.Style
	// Progress bars (bubbles/progress takes colours, not styles).
	ProgressFrom  string // gradient start
	ProgressTo    string // gradient end
	ProgressEmpty string
	NoColor       bool // NO_COLOR is set: progress bars go monochrome too
	// The preview's syntax colours (none under NO_COLOR).
	SynKeyword, SynName, SynString, SynNumber, SynComment, SynTag lipgloss.Style
}

// Adaptive colours: light-background value first, dark second.
var (
	colAccent  = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#A78BFA"}
	colBadgeBg = lipgloss.AdaptiveColor{Light: "#B45309", Dark: "#F59E0B"}
	colBadgeFg = lipgloss.AdaptiveColor{Light: "#FFFFFF", Dark: "#1F2937"}
	colMuted   = lipgloss.AdaptiveColor{Light: "#6B7280", Dark: "#9CA3AF"}
	colError   = lipgloss.AdaptiveColor{Light: "#B91C1C", Dark: "#F87171"}
	colWarn    = lipgloss.AdaptiveColor{Light: "#B45309", Dark: "#FBBF24"}
	colOK      = lipgloss.AdaptiveColor{Light: "#047857", Dark: "#34D399"}
	colSelBg   = lipgloss.AdaptiveColor{Light: "#E0E7FF", Dark: "#3730A3"}
	colSelFg   = lipgloss.AdaptiveColor{Light: "#1E1B4B", Dark: "#F5F3FF"}
	colFolder  = lipgloss.AdaptiveColor{Light: "#1D4ED8", Dark: "#93C5FD"}
	colURL     = lipgloss.AdaptiveColor{Light: "#0E7490", Dark: "#67E8F9"}
	colBorder  = lipgloss.AdaptiveColor{Light: "#A1A1AA", Dark: "#52525B"}
)

// useNoColorProfile keeps text attributes under NO_COLOR. termenv reads
// NO_COLOR as "no escape sequences at all" (the Ascii profile), which also
// drops the reverse video of the cursor, focus and selection: the text
// cursor vanished. NO_COLOR is about colour, so the app renders with the
// plain ANSI profile instead, and its NO_COLOR styles carry no colour.
func useNoColorProfile(getenv func(string) string) {
	if getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.ANSI)
	}
}

// NewStyles builds the app's styles, plain when NO_COLOR is set.
func NewStyles() *Styles {
	return newStyles(os.Getenv("NO_COLOR") != "")
}

func newStyles(noColor bool) *Styles {
	n := lipgloss.NewStyle
	s := &Styles{
		Header:     n().PaddingLeft(1),
		AppName:    n().Bold(true).Foreground(colAccent),
		Badge:      n().Bold(true).Foreground(colBadgeFg).Background(colBadgeBg).Padding(0, 1),
		Profile:    n().Foreground(colAccent),
		Crumb:      n().Bold(true),
		CrumbSep:   n().Foreground(colMuted),
		Footer:     n().PaddingLeft(1),
		StatusOK:   n().Foreground(colOK),
		StatusErr:  n().Foreground(colError).Bold(true),
		HelpKey:    n().Foreground(colAccent),
		HelpDesc:   n().Foreground(colMuted),
		HelpSep:    n().Foreground(colBorder),
		Title:      n().Bold(true).Foreground(colAccent),
		Subtitle:   n().Foreground(colMuted),
		Border:     n().Border(lipgloss.RoundedBorder()).BorderForeground(colBorder).Padding(0, 1),
		Dialog:     n().Border(lipgloss.RoundedBorder()).BorderForeground(colWarn).Padding(0, 1),
		Label:      n().Bold(true),
		Value:      n(),
		Input:      n(),
		InputFocus: n().Foreground(colAccent).Bold(true),
		Prompt:     n().Foreground(colMuted),
		Cursor:     n().Foreground(colAccent),
		Muted:      n().Foreground(colMuted),
		Error:      n().Foreground(colError),
		Warning:    n().Foreground(colWarn),
		OK:         n().Foreground(colOK),
		URL:        n().Foreground(colURL),
		Code:       n().Foreground(colMuted),
		Key:        n(),
		Option:     n().Padding(0, 1),
		OptionOn:   n().Padding(0, 1).Bold(true).Foreground(colSelFg).Background(colSelBg),
		Button:     n().Padding(0, 1).Border(lipgloss.NormalBorder(), false, true).BorderForeground(colBorder),
		ButtonOn:   n().Padding(0, 1).Bold(true).Border(lipgloss.NormalBorder(), false, true).BorderForeground(colAccent),
		ColumnHead: n().Bold(true).Foreground(colMuted),
		Row:        n(),
		Selected:   n().Bold(true).Foreground(colSelFg).Background(colSelBg),
		Folder:     n().Foreground(colFolder).Bold(true),
		Marked:     n().Foreground(colOK).Bold(true),
		Spinner:    n().Foreground(colAccent),

		SynKeyword: n().Foreground(colAccent).Bold(true),
		SynName:    n().Foreground(colFolder),
		SynString:  n().Foreground(colOK),
		SynNumber:  n().Foreground(colWarn),
		SynComment: n().Foreground(colMuted).Italic(true),
		SynTag:     n().Foreground(colURL),

		ProgressFrom:  "#7C3AED",
		ProgressTo:    "#22D3EE",
		ProgressEmpty: "#52525B",
	}
	if noColor {
		// NO_COLOR: keep attributes (bold, reverse) that carry meaning, drop colours.
		s = &Styles{
			Header: n().PaddingLeft(1), AppName: n().Bold(true), Badge: n().Reverse(true).Padding(0, 1),
			Profile: n(), Crumb: n().Bold(true), CrumbSep: n(), Footer: n().PaddingLeft(1),
			StatusOK: n(), StatusErr: n().Bold(true), HelpKey: n().Bold(true), HelpDesc: n(), HelpSep: n(),
			Title: n().Bold(true), Subtitle: n(), Border: n().Border(lipgloss.RoundedBorder()).Padding(0, 1),
			Dialog: n().Border(lipgloss.RoundedBorder()).Padding(0, 1), Label: n().Bold(true), Value: n(),
			Input: n(), InputFocus: n().Bold(true), Prompt: n(), Cursor: n().Reverse(true), Muted: n(),
			Error: n().Bold(true), Warning: n().Bold(true), OK: n(), URL: n().Underline(true), Code: n(), Key: n(),
			Option: n().Padding(0, 1), OptionOn: n().Padding(0, 1).Reverse(true),
			Button:     n().Padding(0, 1).Border(lipgloss.NormalBorder(), false, true),
			ButtonOn:   n().Padding(0, 1).Reverse(true).Border(lipgloss.NormalBorder(), false, true),
			ColumnHead: n().Bold(true), Row: n(), Selected: n().Reverse(true), Folder: n().Bold(true),
			Marked: n().Bold(true), Spinner: n(), NoColor: true,
		}
	}
	return s
}

// pickerStyles are the file picker's styles from the app's, so it keeps no
// colours of its own under NO_COLOR.
func pickerStyles(st *Styles) filepicker.Styles {
	return filepicker.Styles{
		DisabledCursor:   st.Muted,
		Cursor:           st.Title,
		Symlink:          st.Folder,
		Directory:        st.Folder,
		File:             st.Row,
		DisabledFile:     st.Muted,
		Permission:       st.Muted,
		Selected:         st.Selected,
		DisabledSelected: st.Muted,
		FileSize:         st.Muted,
		EmptyDirectory:   st.Muted,
	}
}
