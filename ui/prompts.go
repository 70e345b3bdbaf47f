package ui

// Which views wait for a y/n answer or run uploads: the root asks them
// before it lets q or ctrl+c quit.

// Prompting reports whether a delete waits for y/n.
func (b *browserView) Prompting() bool { return b.confirm != nil || b.folderConfirm != nil }

// Prompting reports whether replacing the key pair, or leaving with unsaved
// edits, waits for y/n.
func (v *setupView) Prompting() bool { return v.confirm || v.confirmDiscard }

// Running reports whether uploads are in flight.
func (v *uploadView) Running() bool { return v.running() }

// QuitWarning says what quitting during uploads does.
func (v *uploadView) QuitWarning() string {
	return "Uploads are running: ctrl+c (or q) again stops and aborts them and quits; any other key keeps them going"
}

// Prompting reports whether the upload waits for an answer about an object
// it would replace.
func (v *uploadView) Prompting() bool { return v.clobber != nil }
