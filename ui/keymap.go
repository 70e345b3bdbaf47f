package ui

import "github.com/charmbracelet/bubbles/key"

// keyMap is cfsign's one key map. The keys docs/app.md names are the
// contract users learn: keep them. Views enable or disable bindings so help
// never shows a key that does nothing in the current state.
type keyMap struct {
	// Global.
	Quit      key.Binding // q, ctrl+c
	ForceQuit key.Binding // ctrl+c: the quit key help shows while a text input has focus
	Help      key.Binding // ? or f1
	HelpAny   key.Binding // f1: help even while a text input has focus
	Back      key.Binding // esc
	Setup     key.Binding // K
	Log       key.Binding // L: the sandbox's log (on the sandbox)
	// Lists.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Top      key.Binding
	Bottom   key.Binding
	// Browser.
	Open      key.Binding // enter
	Parent    key.Binding // backspace, h
	Refresh   key.Binding // r
	ShowError key.Binding // E: the last error in full
	NewFolder key.Binding // n: make a folder
	Filter    key.Binding // /
	Sort      key.Binding // S cycles name/size/date
	Mark      key.Binding // space
	Delete    key.Binding // d
	Upload    key.Binding // u
	Sign      key.Binding // s
	// Forms and dialogs.
	Confirm  key.Binding // enter
	Next     key.Binding // tab
	Prev     key.Binding // shift+tab
	Left     key.Binding
	Right    key.Binding
	Yes      key.Binding // y (in a confirmation)
	No       key.Binding // n
	Copy     key.Binding // c, y (sign view)
	OpenURL  key.Binding // o
	Generate key.Binding // ctrl+g (setup: generate key pair)
	Save     key.Binding // ctrl+s (setup)
	// upload/sign/setup: setup's CloudFront actions.
	Register key.Binding // ctrl+r (setup: register public key)
	PickDist key.Binding // ctrl+p (setup: pick distribution)
	TestLink key.Binding // ctrl+t (setup: test link)
	// setup: keys kept in AWS and key groups.
	KeySource  key.Binding // ctrl+o (setup: next private key source)
	AddToGroup key.Binding // ctrl+x (setup: add the key to the key group)
	Rotate     key.Binding // ctrl+y (setup: rotate the signing key)
	KeyGroup   key.Binding // ctrl+l (setup: show the key group's keys)
	// Browser: what is done with an object without leaving the app.
	Download    key.Binding // D: download the object or the marked ones
	MarkAll     key.Binding // a: mark every object shown
	InvertMarks key.Binding // i
	ClearMarks  key.Binding // x
	CopyURI     key.Binding // c: copy s3://bucket/key
	CopyKey     key.Binding // C: copy the key
	CopyURL     key.Binding // U: copy the CloudFront URL (unsigned)
	Buckets     key.Binding // B: switch buckets
	Tab         key.Binding // tab: the details' next tab
	BackTab     key.Binding // shift+tab: the details' previous tab
}

// keyBindings is the shared key map.
var keyBindings = keyMap{
	Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	Help:      key.NewBinding(key.WithKeys("?", "f1"), key.WithHelp("?", "help")),
	HelpAny:   key.NewBinding(key.WithKeys("f1"), key.WithHelp("f1", "help")),
	Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	Setup:     key.NewBinding(key.WithKeys("K"), key.WithHelp("K", "setup")),
	Log:       key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "sandbox log")),
	Up:        key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:      key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
	PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
	Top:       key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
	Bottom:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
	Open:      key.NewBinding(key.WithKeys("enter", "l"), key.WithHelp("enter", "open")),
	Parent:    key.NewBinding(key.WithKeys("backspace", "h"), key.WithHelp("h", "up a folder")),
	Refresh:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh")),
	ShowError: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "last error in full")),
	NewFolder: key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new folder")),
	Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Sort:      key.NewBinding(key.WithKeys("S"), key.WithHelp("S", "sort")),
	Mark:      key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "mark")),
	Delete:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "delete")),
	Upload:    key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "upload")),
	Sign:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sign")),
	Confirm:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
	Next:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next")),
	Prev:      key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous")),
	Left:      key.NewBinding(key.WithKeys("left"), key.WithHelp("←", "left")),
	Right:     key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "right")),
	Yes:       key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
	No:        key.NewBinding(key.WithKeys("n", "q"), key.WithHelp("n", "no")),
	Copy:      key.NewBinding(key.WithKeys("c", "y"), key.WithHelp("c/y", "copy")),
	OpenURL:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open in browser")),
	Generate:  key.NewBinding(key.WithKeys("ctrl+g"), key.WithHelp("ctrl+g", "generate key pair")),
	Save:      key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
	Register:  key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "register public key")),
	PickDist:  key.NewBinding(key.WithKeys("ctrl+p"), key.WithHelp("ctrl+p", "pick distribution")),
	TestLink:  key.NewBinding(key.WithKeys("ctrl+t"), key.WithHelp("ctrl+t", "test link")),

	KeySource:  key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "key source")),
	AddToGroup: key.NewBinding(key.WithKeys("ctrl+x"), key.WithHelp("ctrl+x", "add to key group")),
	Rotate:     key.NewBinding(key.WithKeys("ctrl+y"), key.WithHelp("ctrl+y", "rotate key")),
	KeyGroup:   key.NewBinding(key.WithKeys("ctrl+l"), key.WithHelp("ctrl+l", "key group")),

	Download:    key.NewBinding(key.WithKeys("D"), key.WithHelp("D", "download")),
	MarkAll:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "mark all")),
	InvertMarks: key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "invert marks")),
	ClearMarks:  key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "clear marks")),
	CopyURI:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy s3:// URI")),
	CopyKey:     key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "copy key")),
	CopyURL:     key.NewBinding(key.WithKeys("U"), key.WithHelp("U", "copy CloudFront URL")),
	Buckets:     key.NewBinding(key.WithKeys("B"), key.WithHelp("B", "buckets")),
	Tab:         key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
	BackTab:     key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),

	// Only ctrl+c quits while a text input has focus; help then shows this.
	ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
}
