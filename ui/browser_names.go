// Copying an object's names: its s3:// URI, its key and its CloudFront URL
// (unsigned), through the clipboard path signed URLs take.
package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// copyName copies the name of k that the key pressed asks for.
func (b *browserView) copyName(msg tea.KeyMsg, k string) tea.Cmd {
	switch {
	case key.Matches(msg, b.km.CopyURI):
		return copyCmd(b.clip, "s3://"+b.bucket+"/"+k, "the s3:// URI", false)
	case key.Matches(msg, b.km.CopyKey):
		return copyCmd(b.clip, k, "the key", false)
	}
	t, err := b.deps.Settings.ForBucket(b.bucket).Target()
	if err != nil {
		return status(err.Error(), true)
	}
	u, err := t.ObjectURL(k)
	if err != nil {
		return status("No CloudFront URL: "+err.Error(), true)
	}
	return copyCmd(b.clip, u, "the CloudFront URL (unsigned)", false)
}
