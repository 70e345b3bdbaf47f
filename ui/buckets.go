// The bucket switcher: the account's buckets under a filter; choosing one
// opens it with its own settings (its [buckets.NAME] section of
// config.toml), so what signs there is what 'cfsign sign s3://NAME/…'
// signs with.
package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/cfsign/cfsign/aws"
	"github.com/cfsign/cfsign/internal/app"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/sahilm/fuzzy"
)

// bucketsListedMsg carries the account's buckets.
type bucketsListedMsg struct {
	buckets []aws.Bucket
	err     error
}

// bucketsView lists the account's buckets to switch to.
type bucketsView struct {
	deps    Deps
	st      *Styles
	km      keyMap
	env     uiEnv
	current string // the bucket open in the browser

	input   textinput.Model
	all     []aws.Bucket
	shown   []int // indexes into all: the filter's matches, best first
	cur     int
	offset  int
	loading bool
	err     string
	cancel  context.CancelFunc

	width, height int
}

func newBucketsView(deps Deps, st *Styles, env uiEnv, current string) *bucketsView {
	v := &bucketsView{deps: deps, st: st, km: keyBindings, env: env, current: current, width: 80, height: 20}
	v.input = newFormInput(st)
	v.input.Placeholder = "type to filter"
	v.input.CharLimit = 255
	v.input.Focus()
	return v
}

// Init lists the buckets.
func (v *bucketsView) Init() tea.Cmd {
	if v.deps.Lister == nil {
		v.err = "no S3 client: check the profile and region in setup (K)"
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), v.env.timeout)
	v.cancel, v.loading = cancel, true
	lister := v.deps.Lister
	return func() tea.Msg {
		defer cancel()
		bs, err := lister.ListBuckets(ctx)
		return bucketsListedMsg{buckets: bs, err: err}
	}
}

// InputFocused: typed letters filter (only ctrl+c quits).
func (v *bucketsView) InputFocused() bool { return true }

func (v *bucketsView) cancelAll() {
	if v.cancel != nil {
		v.cancel()
	}
}

// SetSize sets the view's size.
func (v *bucketsView) SetSize(w, h int) {
	v.width, v.height = max(w, 20), max(h, 5)
	v.input.Width = max(v.width-12, 10)
	v.scroll()
}

func (v *bucketsView) rowsHeight() int { return max(v.height-4, 1) } // title, filter, header, note

// Update handles keys and the listing.
func (v *bucketsView) Update(msg tea.Msg) (view, tea.Cmd) {
	switch msg := msg.(type) {
	case bucketsListedMsg:
		v.loading, v.cancel = false, nil
		if msg.err != nil {
			v.err = msg.err.Error()
			return v, nil
		}
		v.all = msg.buckets
		v.refilter()
		for i, n := range v.shown {
			if v.all[n].Name == v.current {
				v.cur = i
			}
		}
		v.scroll()
		return v, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, v.km.Back):
			if v.input.Value() != "" {
				v.input.SetValue("")
				v.refilter()
				return v, nil
			}
			v.cancelAll()
			return v, asCmd(backMsg{})
		case key.Matches(msg, v.km.Confirm):
			return v, v.choose()
		case msg.Type == tea.KeyUp:
			v.move(-1)
			return v, nil
		case msg.Type == tea.KeyDown:
			v.move(1)
			return v, nil
		case msg.Type == tea.KeyPgUp:
			v.move(-v.rowsHeight())
			return v, nil
		case msg.Type == tea.KeyPgDown:
			v.move(v.rowsHeight())
			return v, nil
		}
		before := v.input.Value()
		var cmd tea.Cmd
		v.input, cmd = v.input.Update(msg)
		if v.input.Value() != before {
			v.refilter()
		}
		return v, cmd
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	return v, cmd
}

// refilter matches the filter against the names, best match first.
func (v *bucketsView) refilter() {
	v.shown = v.shown[:0]
	pattern := v.input.Value()
	if pattern == "" {
		for i := range v.all {
			v.shown = append(v.shown, i)
		}
	} else {
		names := make([]string, len(v.all))
		for i, b := range v.all {
			names[i] = b.Name
		}
		for _, m := range fuzzy.Find(pattern, names) {
			v.shown = append(v.shown, m.Index)
		}
	}
	v.cur, v.offset = 0, 0
}

func (v *bucketsView) move(d int) {
	v.cur = max(0, min(v.cur+d, len(v.shown)-1))
	v.scroll()
}

func (v *bucketsView) scroll() {
	h := v.rowsHeight()
	if v.cur < v.offset {
		v.offset = v.cur
	}
	if v.cur >= v.offset+h {
		v.offset = v.cur - h + 1
	}
}

func (v *bucketsView) choose() tea.Cmd {
	if v.cur >= len(v.shown) {
		return nil
	}
	return asCmd(bucketChosenMsg{bucket: v.all[v.shown[v.cur]].Name})
}

// ClickRow selects a bucket; a double click opens it.
func (v *bucketsView) ClickRow(y int, double bool) tea.Cmd {
	row := v.offset + y - 3 // title, filter, column header
	if y < 3 || row >= len(v.shown) || row-v.offset >= v.rowsHeight() {
		return nil
	}
	v.cur = row
	if double {
		return v.choose()
	}
	return nil
}

// ShortHelp lists the keys that work now.
func (v *bucketsView) ShortHelp() []key.Binding {
	c := v.km.Confirm
	c.SetHelp("enter", "open bucket")
	c.SetEnabled(len(v.shown) > 0)
	back := v.km.Back
	back.SetHelp("esc", "back")
	if v.input.Value() != "" {
		back.SetHelp("esc", "clear filter")
	}
	up, down := v.km.Up, v.km.Down
	up.SetHelp("↑", "up")
	down.SetHelp("↓", "down")
	return []key.Binding{c, back, up, down}
}

// FullHelp lists every key of the view.
func (v *bucketsView) FullHelp() [][]key.Binding { return [][]key.Binding{v.ShortHelp()} }

// View draws the filter and the buckets, each with the CloudFront domain
// its settings sign for.
func (v *bucketsView) View() string {
	st := v.st
	title := "Buckets"
	if !v.loading && v.err == "" {
		title = fmt.Sprintf("Buckets (%d)", len(v.all))
		if v.input.Value() != "" {
			title = fmt.Sprintf("Buckets (%d of %d)", len(v.shown), len(v.all))
		}
	}
	lines := []string{truncLine(st.Title.Render(title), v.width), truncLine(st.Label.Render("Filter ")+v.input.View(), v.width)}
	switch {
	case v.err != "":
		lines = append(lines, st.Error.Render(truncLine(oneLine(v.err), v.width)))
		return strings.Join(lines, "\n")
	case v.loading:
		lines = append(lines, st.Muted.Render("listing buckets…"))
		return strings.Join(lines, "\n")
	}
	nameW := 12
	for _, b := range v.all {
		nameW = max(nameW, len(app.Escape(b.Name))+len(" (open)"))
	}
	nameW = min(nameW, max(v.width/3, 12))
	lines = append(lines, st.ColumnHead.Render(truncLine("   "+pad("Name", nameW)+"  "+pad("Created", 16)+"  CloudFront domain", v.width)))
	h := v.rowsHeight()
	for i := v.offset; i < len(v.shown) && i < v.offset+h; i++ {
		b := v.all[v.shown[i]]
		created := ""
		if !b.Created.IsZero() {
			created = b.Created.In(v.env.loc).Format("2006-01-02 15:04")
		}
		name := app.Escape(b.Name)
		if b.Name == v.current {
			name += " (open)"
		}
		row := pad(truncate(name, nameW), nameW) + "  " + pad(created, 16) + "  " + v.domainOf(b.Name)
		if i == v.cur {
			lines = append(lines, st.Selected.Render(truncLine("›  "+row, v.width)))
		} else {
			lines = append(lines, truncLine("   "+row, v.width))
		}
	}
	if len(v.shown) == 0 {
		lines = append(lines, st.Muted.Render("no match"))
	}
	return clipLines(strings.Join(lines, "\n"), v.height)
}

// domainOf is the CloudFront domain bucket signs for, and whether it comes
// from the bucket's own section.
func (v *bucketsView) domainOf(bucket string) string {
	set := v.deps.Settings.ForBucket(bucket)
	if set.Domain == "" {
		return v.st.Muted.Render("(none)")
	}
	d := app.Escape(set.Domain)
	if set.Origin(app.Domain).Layer == app.LayerBucket {
		d += v.st.Muted.Render(" [buckets." + app.Escape(bucket) + "]")
	}
	return d
}

// switchBucket opens bucket in the browser with its own settings: the
// header, the details' CloudFront URL, sign and setup follow them.
func (m *root) switchBucket(bucket string) tea.Cmd {
	set := m.deps.Settings.ForBucket(bucket)
	m.deps.Settings = set
	m.browser.deps.Settings = set
	m.cur = m.browser
	m.resize()
	note := "s3://" + bucket + "/: no CloudFront domain set for it (K sets one)"
	if set.Domain != "" {
		note = "s3://" + bucket + "/ signs for " + set.Domain + " (" + set.Origin(app.Domain).Name + ")"
	}
	return tea.Batch(m.browser.openAt(bucket, ""), m.setStatus(note, false))
}
