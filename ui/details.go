// The browser's details view of one object, in three tabs: Info (every
// header and metadata entry, and the CloudFront URL it signs to), Preview
// (its first bytes) and Versions.
package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
)

type detailsTab int

const (
	tabInfo detailsTab = iota
	tabPreview
	tabVersions
)

var tabNames = [...]string{"Info", "Preview", "Versions"}

// detailsState is what the details view shows beside the object's
// metadata (browserView.details): the tab, its scroll, the preview and the
// versions, each loaded in a command when the details open.
type detailsState struct {
	tab    detailsTab
	scroll int // the first line shown (info, preview)

	preview     *preview
	previewErr  string
	previewBusy bool

	versions     []aws.Version
	versionsMore bool
	versionsErr  string
	versionsBusy bool
	vcur         int // the chosen version

	cancel context.CancelFunc
}

// brVersionsMsg carries the versions of key.
type brVersionsMsg struct {
	gen, req int
	key      string
	versions []aws.Version
	more     bool
	err      error
}

// loadDetailsExtras starts reading the preview and the versions of the
// object whose details just arrived.
func (b *browserView) loadDetailsExtras(info aws.ObjectInfo) tea.Cmd {
	r := b.deps.Objects
	if r == nil {
		return nil
	}
	ctx, cancel := b.ctx()
	b.det.cancel = cancel
	b.det.previewBusy, b.det.versionsBusy = true, true
	gen, req, bucket, k, st := b.gen, b.headReq, b.bucket, info.Key, b.st
	return tea.Batch(
		previewCmd(ctx, r, st, gen, req, bucket, k, info.ContentType),
		func() tea.Msg {
			vs, more, err := r.Versions(ctx, bucket, k)
			return brVersionsMsg{gen: gen, req: req, key: k, versions: vs, more: more, err: err}
		},
		b.startSpin(),
	)
}

// detailsMsg installs a preview or versions still wanted.
func (b *browserView) detailsMsg(msg tea.Msg) {
	switch msg := msg.(type) {
	case brPreviewMsg:
		if msg.gen != b.gen || msg.req != b.headReq || b.details == nil {
			return
		}
		b.det.previewBusy = false
		if msg.err != nil {
			b.det.previewErr = msg.err.Error()
			return
		}
		p := msg.preview
		b.det.preview = &p
	case brVersionsMsg:
		if msg.gen != b.gen || msg.req != b.headReq || b.details == nil {
			return
		}
		b.det.versionsBusy = false
		if msg.err != nil {
			b.det.versionsErr = msg.err.Error()
			return
		}
		b.det.versions, b.det.versionsMore = msg.versions, msg.more
	}
}

// versioned reports whether the object has versions to choose from: the
// bucket has (or had) versioning.
func (d *detailsState) versioned() bool {
	for _, v := range d.versions {
		if v.ID != "" && v.ID != "null" {
			return true
		}
	}
	return false
}

// chosen is the version under the cursor, nil for none.
func (d *detailsState) chosen() *aws.Version {
	if d.tab != tabVersions || !d.versioned() || d.vcur >= len(d.versions) {
		return nil
	}
	return &d.versions[d.vcur]
}

// detailsKey handles a key while the details are open.
func (b *browserView) detailsKey(msg tea.KeyMsg) tea.Cmd {
	km := &b.km
	d := &b.det
	page := max(b.detailsBodyHeight()-1, 1)
	switch {
	case key.Matches(msg, km.Back), key.Matches(msg, km.Open), key.Matches(msg, km.Parent):
		b.closeDetails()
	case key.Matches(msg, km.Tab):
		d.tab, d.scroll = (d.tab+1)%3, 0
	case key.Matches(msg, km.BackTab):
		d.tab, d.scroll = (d.tab+2)%3, 0
	case key.Matches(msg, km.Up):
		b.detailsMove(-1)
	case key.Matches(msg, km.Down):
		b.detailsMove(1)
	case key.Matches(msg, km.PageUp):
		b.detailsMove(-page)
	case key.Matches(msg, km.PageDown):
		b.detailsMove(page)
	case key.Matches(msg, km.Top):
		b.detailsMove(-1 << 30)
	case key.Matches(msg, km.Bottom):
		b.detailsMove(1 << 30)
	case key.Matches(msg, km.Sign):
		info := b.details
		if info == nil {
			return nil
		}
		if v := d.chosen(); v != nil && !v.Latest {
			if v.DeleteMarker {
				return status("a delete marker has nothing to sign", true)
			}
			cmd := b.navigate(openSignMsg{bucket: b.bucket, keys: []string{info.Key}, version: v.ID})
			b.closeDetails()
			return cmd
		}
		b.closeDetails()
		return b.navigate(openSignMsg{bucket: b.bucket, keys: []string{info.Key}})
	case key.Matches(msg, km.Download):
		info := b.details
		if info == nil || b.deps.Downloader == nil {
			return nil
		}
		m := openDownloadMsg{bucket: b.bucket, keys: []string{info.Key}}
		if v := d.chosen(); v != nil {
			if v.DeleteMarker {
				return status("a delete marker has nothing to download", true)
			}
			m.versions = []string{v.ID}
		}
		return b.navigate(m)
	case key.Matches(msg, km.CopyURI), key.Matches(msg, km.CopyKey), key.Matches(msg, km.CopyURL):
		if b.details != nil {
			return b.copyName(msg, b.details.Key)
		}
	}
	return nil
}

// detailsMove scrolls the tab on screen, or moves the version cursor.
func (b *browserView) detailsMove(n int) {
	d := &b.det
	if d.tab == tabVersions {
		d.vcur = max(0, min(d.vcur+n, len(d.versions)-1))
		// Keep the chosen version in view, the note above the first.
		row, h := b.versionsHeader()+d.vcur, b.detailsBodyHeight()
		switch {
		case d.vcur == 0:
			d.scroll = 0
		case row >= d.scroll+h:
			d.scroll = row - h + 1
		case row < d.scroll:
			d.scroll = row
		}
		return
	}
	total := len(b.detailsLines())
	d.scroll = max(0, min(d.scroll+n, total-b.detailsBodyHeight()))
}

// detailsBodyHeight is the lines a tab has inside the border, under the
// title and the tab bar.
func (b *browserView) detailsBodyHeight() int {
	h := b.height - 4 // border, title, tabs
	if b.lastErr != "" {
		h--
	}
	return max(h, 1)
}

// detailsHelp is the footer's help while the details are open.
func (b *browserView) detailsHelp() []key.Binding {
	km := b.km
	back := km.Back
	back.SetHelp("esc", "close")
	tab := km.Tab
	tab.SetHelp("tab", "preview")
	switch b.det.tab {
	case tabPreview:
		tab.SetHelp("tab", "versions")
	case tabVersions:
		tab.SetHelp("tab", "info")
	}
	sign, dl := km.Sign, km.Download
	if v := b.det.chosen(); v != nil {
		if !v.Latest {
			sign.SetHelp("s", "presign version")
		}
		dl.SetHelp("D", "download version")
		sign.SetEnabled(!v.DeleteMarker)
		dl.SetEnabled(!v.DeleteMarker && b.deps.Downloader != nil)
	}
	move := km.Down
	move.SetHelp("↓/j", "scroll")
	if b.det.tab == tabVersions {
		move.SetHelp("↓/j", "choose")
	}
	return []key.Binding{back, tab, sign, dl, km.CopyURI, km.CopyKey, km.CopyURL, move}
}

// detailsView draws the details: the name, the tab bar and the tab.
func (b *browserView) detailsView() string {
	if b.details == nil {
		return b.spin.View() + " loading details…"
	}
	d := b.details
	w := max(b.width-4, 1) // border and padding
	title := b.st.Title.Render(truncate(app.Escape(d.Key[min(len(b.prefix), len(d.Key)):]), w))
	var tabs []string
	for i, n := range tabNames {
		if detailsTab(i) == b.det.tab {
			tabs = append(tabs, b.st.OptionOn.UnsetPadding().Render("["+n+"]"))
		} else {
			tabs = append(tabs, b.st.Muted.Render(" "+n+" "))
		}
	}
	lines := []string{title, truncate(strings.Join(tabs, " "), w)}
	body := b.detailsLines()
	h := b.detailsBodyHeight()
	from := min(b.det.scroll, max(len(body)-1, 0))
	for i := from; i < len(body) && i < from+h; i++ {
		lines = append(lines, truncate(body[i], w))
	}
	return b.st.Border.Width(max(b.width-2, 1)).Render(strings.Join(lines, "\n"))
}

// detailsLines are the lines of the tab on screen.
func (b *browserView) detailsLines() []string {
	switch b.det.tab {
	case tabPreview:
		return b.previewLines()
	case tabVersions:
		return b.versionLines()
	}
	return b.infoLines()
}

func (b *browserView) label(l string) string { return b.st.Label.Render(pad(l, 20)) }

// infoLines are every header S3 keeps for the object, every metadata
// entry, and the CloudFront URL it signs to under the current settings.
func (b *browserView) infoLines() []string {
	d := b.details
	line := func(label, value string) string {
		if value == "" {
			return b.label(label) + b.st.Muted.Render("(none)")
		}
		return b.label(label) + app.Escape(value)
	}
	lines := []string{
		line("Key", d.Key),
		line("Size", fmt.Sprintf("%s (%s bytes)", app.Size(d.Size), humanize.Comma(d.Size))),
		line("Content type", d.ContentType),
		line("ETag", d.ETag),
	}
	if !d.LastModified.IsZero() {
		lines = append(lines, line("Modified", d.LastModified.In(b.env.loc).Format("2006-01-02 15:04:05 MST")))
	}
	lines = append(lines,
		line("Storage class", d.StorageClass),
		line("Cache-Control", d.CacheControl),
		line("Content-Disposition", d.ContentDisposition),
		line("Content-Encoding", d.ContentEncoding),
		line("Checksum", d.Checksum),
	)
	if d.VersionID != "" && d.VersionID != "null" {
		lines = append(lines, line("Version", d.VersionID))
	}
	lines = append(lines, b.cloudFrontLines(d.Key)...)
	names := make([]string, 0, len(d.Metadata))
	for k := range d.Metadata {
		names = append(names, k)
	}
	slices.Sort(names)
	if len(names) == 0 {
		lines = append(lines, line("Metadata", ""))
	} else {
		lines = append(lines, b.st.Label.Render(fmt.Sprintf("Metadata (%d)", len(names))))
		for _, k := range names {
			lines = append(lines, "  "+app.Escape(k)+": "+app.Escape(d.Metadata[k]))
		}
	}
	return lines
}

// cloudFrontLines are the CloudFront URL key signs to, with the domain and
// origin path that made it and where each came from: the target that
// signs, so a wrong origin path shows before a link is sent.
func (b *browserView) cloudFrontLines(k string) []string {
	set := b.deps.Settings.ForBucket(b.bucket)
	t, err := set.Target()
	if err != nil {
		return []string{b.label("CloudFront URL") + b.st.Error.Render(oneLine(err.Error()))}
	}
	u, err := t.ObjectURL(k)
	switch {
	case errors.Is(err, signedurl.ErrOutsideOrigin):
		why := "✗ not under the origin path " + app.Escape("/"+strings.Trim(t.OriginPath, "/")) + ": no CloudFront URL reaches it"
		return []string{b.label("CloudFront URL") + b.st.Error.Render(why),
			b.label("  origin path") + app.Escape(t.OriginPath) + b.st.Muted.Render(" from "+app.EscapeText(set.Origin(app.OriginPath).Name))}
	case err != nil:
		return []string{b.label("CloudFront URL") + b.st.Error.Render("✗ "+oneLine(err.Error()))}
	}
	from := func(key app.Key, v string) string {
		if v == "" {
			return b.st.Muted.Render("(none)")
		}
		o := set.Origin(key).Name
		if o == "" {
			return app.Escape(v)
		}
		return app.Escape(v) + b.st.Muted.Render(" from "+app.EscapeText(o))
	}
	return []string{
		b.label("CloudFront URL") + b.st.URL.Render(app.Escape(u)),
		b.label("  domain") + from(app.Domain, t.Domain),
		b.label("  origin path") + from(app.OriginPath, t.OriginPath),
	}
}

// previewLines are the preview tab: a note on what it shows, then the
// first bytes of the object.
func (b *browserView) previewLines() []string {
	d := &b.det
	switch {
	case b.deps.Objects == nil:
		return []string{b.st.Muted.Render("no preview here")}
	case d.previewBusy:
		return []string{b.spin.View() + " reading the first " + app.Size(previewBytes) + "…"}
	case d.previewErr != "":
		return []string{b.st.Error.Render(oneLine(d.previewErr))}
	case d.preview == nil:
		return nil
	}
	lines := d.preview.lines
	if d.preview.hex != nil {
		lines = hexDump(b.st, d.preview.hex, b.width-4)
	}
	return append([]string{b.st.Muted.Render(d.preview.note)}, lines...)
}

// versionsNote is what the versions tab says above its rows, wrapped to
// the window.
func (b *browserView) versionsNote() []string {
	note := "A CloudFront signed URL always serves the current version. s presigns the chosen version (an S3 URL with its versionId), D downloads it."
	if b.det.versionsMore {
		note = "The newest 1,000 versions. " + note
	}
	return strings.Split(ansi.Wordwrap(note, max(b.width-4, 10), " "), "\n")
}

// versionsHeader is how many lines the versions tab has above its rows.
func (b *browserView) versionsHeader() int { return len(b.versionsNote()) + 1 }

// versionLines are the versions tab: each version with the current one
// named, and what a chosen one can do.
func (b *browserView) versionLines() []string {
	d := &b.det
	switch {
	case b.deps.Objects == nil:
		return []string{b.st.Muted.Render("no versions here")}
	case d.versionsBusy:
		return []string{b.spin.View() + " listing versions…"}
	case d.versionsErr != "":
		return []string{b.st.Error.Render(oneLine(d.versionsErr))}
	case !d.versioned():
		return strings.Split(b.st.Muted.Render(ansi.Wordwrap("This bucket keeps no versions (versioning is off): there is only the current object.", max(b.width-4, 10), " ")), "\n")
	}
	var lines []string
	for _, l := range b.versionsNote() {
		lines = append(lines, b.st.Warning.Render(l))
	}
	lines = append(lines, b.st.ColumnHead.Render("   "+pad("Modified", 20)+padLeft("Size", 9)+"  "+pad("", 8)+"  Version ID"))
	for i, v := range d.versions {
		size, state := app.Size(v.Size), ""
		if v.DeleteMarker {
			size, state = "–", "deleted"
		}
		if v.Latest {
			state = "current"
		}
		row := pad(v.LastModified.In(b.env.loc).Format("2006-01-02 15:04:05"), 20) + padLeft(size, 9) + "  " + pad(state, 8) + "  " + app.Escape(v.ID)
		if i == d.vcur {
			lines = append(lines, b.st.Selected.Render("›  "+row))
		} else {
			lines = append(lines, "   "+row)
		}
	}
	return lines
}
