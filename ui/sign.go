package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/cfsign/cfsign/aws/signedurl"
	"github.com/cfsign/cfsign/internal/app"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// presignLimit is the longest an S3 presigned URL (SigV4) can live.
const presignLimit = 7 * 24 * time.Hour

// signTimeout bounds a presign call (it may load credentials).
const signTimeout = 30 * time.Second

// expiryPresets are the expiry choices; one more index means "custom".
var expiryPresets = []struct {
	label string
	d     time.Duration
}{
	{"15m", 15 * time.Minute}, {"1h", time.Hour}, {"1d", 24 * time.Hour},
	{"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour},
}

// customPreset is the index of the custom expiry choice.
var customPreset = len(expiryPresets)

type signMode int

const (
	modeURL signMode = iota
	modeCookies
	modePresigned
)

var modeNames = []string{"signed URL", "signed cookies", "S3 presigned URL"}

type signFocus int

const (
	sfExpiry signFocus = iota
	sfCustom
	sfMode
	sfHash
	sfStart
	sfIP
	sfResource
	sfCookieDomain // signed cookies only: their Domain attribute
	sfResult       // the result: c/y copy, o opens; no text input takes keys
)

// signedItem is one signed object.
type signedItem struct {
	key     string
	url     string
	cookies []*http.Cookie
}

// signedMsg carries the result of sign request id.
type signedMsg struct {
	id      int
	items   []signedItem
	expires time.Time
	warning string
	err     error
}

// signView signs one object or a marked set.
type signView struct {
	deps    Deps
	st      *Styles
	keys    keyMap
	bucket  string
	objKeys []string
	// target is how the bucket signs; targetErr what is wrong with its
	// settings (a bad hash, sha1 with a KMS key).
	target    app.Target
	targetErr error
	// cloudFront is false when no CloudFront domain is configured: presigned
	// S3 URLs are the only choice then.
	cloudFront bool
	// version is the one version of the object to presign: a CloudFront
	// URL always serves the current version, so only S3 can name it.
	version string

	focus                       signFocus
	preset                      int
	custom, start, ip, resource textinput.Model
	cookieDomain                textinput.Model
	mode                        signMode
	hash                        signedurl.Hash

	reqID   int
	cancel  context.CancelFunc
	signing bool
	// pending are the inputs (the output kind among them) of the last
	// request; a result is kept only while the inputs are still those, and
	// goes as soon as one changes: a result is never shown under other
	// inputs.
	pending string
	result  []signedItem
	expires time.Time
	warning string
	err     string
	printed bool // the result is queued to print on exit (p)
	// noBrowser: this machine cannot open URLs in a browser, so o is not
	// offered.
	noBrowser bool

	clip   clipboardWriter
	opener urlOpener
	now    func() time.Time
	loc    *time.Location

	width, height int
}

// newSignView opens the sign screen for keys in bucket, signing as that
// bucket's settings say (its [buckets.NAME] section, as 'cfsign sign
// s3://bucket/key' does).
func newSignView(deps Deps, st *Styles, bucket string, keys []string) *signView {
	s := deps.Settings.ForBucket(bucket)
	t, terr := s.Target()
	v := &signView{
		deps: deps, st: st, keys: keyBindings, bucket: bucket,
		objKeys:    append([]string(nil), keys...),
		target:     t,
		targetErr:  terr,
		cloudFront: t.Domain != "" || deps.Sandbox,
		preset:     1,
		hash:       t.Hash,
		clip:       defaultClipboard(),
		opener:     defaultOpener(),
		now:        time.Now,
		loc:        time.Local,
		width:      80, height: 20,
	}
	mk := func(ph string) textinput.Model {
		ti := newFormInput(st)
		ti.Prompt = ""
		ti.Placeholder = ph
		return ti
	}
	v.custom = mk("2h, 2w, 2026-12-31, RFC 3339 or Unix seconds")
	v.start = mk("optional: not valid before (same forms)")
	v.ip = mk("optional: 203.0.113.0/24 or one address")
	v.resource = mk("optional: https://host/path/* (wildcards * and ?)")
	v.cookieDomain = mk("optional: example.com, to set them from your site for its CDN's host")
	if d := strings.TrimSpace(s.DefaultExpiry); d != "" {
		v.preset = customPreset
		for i, p := range expiryPresets {
			if p.label == d {
				v.preset = i
			}
		}
		if v.preset == customPreset {
			v.custom.SetValue(d)
		}
	}
	if !v.cloudFront {
		v.mode = modePresigned
	}
	v.SetSize(v.width, v.height)
	return v
}

// forVersion makes the view presign one version of its object ("" leaves
// it as it is).
func (v *signView) forVersion(id string) *signView {
	if id != "" {
		v.version, v.cloudFront, v.mode = id, false, modePresigned
	}
	return v
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Init finds out whether a browser can open URLs here (o is offered only
// then); otherwise the sign view waits for the user.
func (v *signView) Init() tea.Cmd { return browserCheckCmd(v.opener) }

// InputFocused reports whether keys go to a text input.
func (v *signView) InputFocused() bool {
	switch v.focus {
	case sfCustom, sfStart, sfIP, sfResource, sfCookieDomain:
		return true
	}
	return false
}

// SetSize sets the view's size.
func (v *signView) SetSize(w, h int) {
	v.width, v.height = max(w, 20), max(h, 5)
	for _, ti := range []*textinput.Model{&v.custom, &v.start, &v.ip, &v.resource, &v.cookieDomain} {
		ti.Width = max(v.width-14, 10)
	}
}

func (v *signView) inputFor(f signFocus) *textinput.Model {
	switch f {
	case sfCustom:
		return &v.custom
	case sfStart:
		return &v.start
	case sfIP:
		return &v.ip
	case sfResource:
		return &v.resource
	case sfCookieDomain:
		return &v.cookieDomain
	}
	return nil
}

// focusOrder lists the stops that mean something in the current mode.
func (v *signView) focusOrder() []signFocus {
	order := []signFocus{sfExpiry, sfCustom, sfMode}
	if v.mode != modePresigned {
		order = append(order, sfHash, sfStart, sfIP, sfResource)
	}
	if v.mode == modeCookies {
		order = append(order, sfCookieDomain)
	}
	if len(v.result) > 0 {
		order = append(order, sfResult)
	}
	return order
}

func (v *signView) move(d int) tea.Cmd {
	order := v.focusOrder()
	next := order[0]
	for i, f := range order {
		if f == v.focus {
			next = order[(i+d+len(order))%len(order)]
		}
	}
	return v.setFocus(next)
}

func (v *signView) setFocus(f signFocus) tea.Cmd {
	v.focus = f
	for _, ti := range []*textinput.Model{&v.custom, &v.start, &v.ip, &v.resource, &v.cookieDomain} {
		ti.Blur()
	}
	if ti := v.inputFor(f); ti != nil {
		ti.CursorEnd()
		return ti.Focus()
	}
	return nil
}

// Update handles keys and signing results.
func (v *signView) Update(msg tea.Msg) (view, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		cmd := v.handleKey(msg)
		v.dropStale()
		return v, cmd
	case urlOpenedMsg:
		v.noBrowser = v.noBrowser || msg.noBrowser
		if msg.status.text != "" {
			return v, asCmd(msg.status)
		}
		return v, nil
	case signedMsg:
		if msg.id != v.reqID || !v.signing {
			return v, nil // stale: cancelled, or a newer request is out
		}
		v.signing = false
		v.cancel = nil
		if msg.err != nil {
			// An error is the answer to these inputs: nothing older stays.
			v.err, v.result = msg.err.Error(), nil
			return v, nil
		}
		v.result, v.expires, v.warning, v.err = msg.items, msg.expires, msg.warning, ""
		v.printed = false
		if v.inputs() != v.pending {
			v.result = nil // the inputs changed while it was signing
			return v, nil
		}
		return v, v.setFocus(sfResult)
	}
	var cmd tea.Cmd
	if ti := v.inputFor(v.focus); ti != nil {
		*ti, cmd = ti.Update(msg)
	}
	v.dropStale()
	return v, cmd
}

// inputs are what a result depends on, as one comparable string.
func (v *signView) inputs() string {
	return fmt.Sprintf("%d\x00%s\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s", v.mode, v.hash, v.preset,
		v.custom.Value(), v.start.Value(), v.ip.Value(), v.resource.Value(), v.cookieDomain.Value())
}

// dropStale clears a result whose inputs changed: it no longer says what
// the form asks for.
func (v *signView) dropStale() {
	if len(v.result) > 0 && v.inputs() != v.pending {
		v.result, v.warning, v.printed = nil, "", false
		if v.focus == sfResult {
			v.focus = sfExpiry
		}
	}
}

func (v *signView) handleKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, v.keys.Back):
		if v.signing {
			v.cancelSign()
			return asCmd(statusMsg{text: "Signing cancelled", err: true})
		}
		return asCmd(backMsg{})
	// Arrows move between fields too, as in setup (j/k would type).
	case key.Matches(msg, v.keys.Next), msg.Type == tea.KeyDown:
		return v.move(+1)
	case key.Matches(msg, v.keys.Prev), msg.Type == tea.KeyUp:
		return v.move(-1)
	case key.Matches(msg, v.keys.Confirm):
		return v.sign()
	}
	switch v.focus {
	case sfExpiry:
		switch {
		case key.Matches(msg, v.keys.Left):
			v.preset = max(v.preset-1, 0)
		case key.Matches(msg, v.keys.Right):
			v.preset = min(v.preset+1, customPreset)
			if v.preset == customPreset {
				// Choosing custom is choosing to type it.
				return v.setFocus(sfCustom)
			}
		}
		return nil
	case sfMode:
		if !v.cloudFront {
			return nil
		}
		switch {
		case key.Matches(msg, v.keys.Left):
			v.mode = signMode(max(int(v.mode)-1, 0))
		case key.Matches(msg, v.keys.Right):
			v.mode = signMode(min(int(v.mode)+1, int(modePresigned)))
		}
		return nil
	case sfHash:
		if v.target.KMS {
			return nil // KMS signs SHA-256 only
		}
		if key.Matches(msg, v.keys.Left) || key.Matches(msg, v.keys.Right) {
			if v.hash == signedurl.SHA1 {
				v.hash = signedurl.SHA256
			} else {
				v.hash = signedurl.SHA1
			}
		}
		return nil
	case sfResult:
		switch {
		case key.Matches(msg, v.keys.Copy) && len(v.result) > 0:
			return copyCmd(v.clip, v.copyText(), v.copyWhat(), v.canPrint())
		case key.Matches(msg, printOnExitKey) && v.canPrint() && !v.printed:
			v.printed = true
			v.deps.exitPrint.add(strings.Split(v.copyText(), "\n")...)
			return asCmd(statusMsg{text: fmt.Sprintf("%s will be printed when you quit", upperFirst(v.copyWhat()))})
		case key.Matches(msg, v.keys.OpenURL) && v.canOpen():
			return openURLCmd(v.opener, v.result[0].url)
		case key.Matches(msg, showFullKey) && len(v.result) > 0:
			return tea.Exec(&fullView{lines: strings.Split(v.copyText(), "\n")}, nil)
		}
		return nil
	}
	ti := v.inputFor(v.focus)
	if ti == nil {
		return nil
	}
	var cmd tea.Cmd
	*ti, cmd = ti.Update(msg)
	if v.focus == sfCustom && v.custom.Value() != "" {
		v.preset = customPreset // typing a time chooses it
	}
	return cmd
}

// cancelAll cancels a signing request in flight; the root calls it before quitting.
func (v *signView) cancelAll() { v.cancelSign() }

func (v *signView) cancelSign() {
	if v.cancel != nil {
		v.cancel()
	}
	v.cancel = nil
	v.signing = false
}

// canPrint reports whether p can queue the result for stdout: there is one,
// and the app runs under Run, which prints it.
func (v *signView) canPrint() bool { return len(v.result) > 0 && v.deps.exitPrint != nil }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (v *signView) canOpen() bool {
	return len(v.result) > 0 && v.mode != modeCookies && v.result[0].url != "" && !v.noBrowser
}

// expiry is the expiry the form describes at now.
func (v *signView) expiry(now time.Time) (time.Time, error) {
	if v.preset < customPreset {
		return now.Add(expiryPresets[v.preset].d), nil
	}
	s := strings.TrimSpace(v.custom.Value())
	if s == "" {
		return time.Time{}, errors.New("type an expiry: 2h, 2w, 2026-12-31, RFC 3339 or Unix seconds")
	}
	t, err := signedurl.ParseWhen(s, now)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiry %q: %w", s, err)
	}
	return t, nil
}

// options builds the policy options at now, or says what is wrong.
func (v *signView) options(now time.Time) (signedurl.PolicyOptions, error) {
	exp, err := v.expiry(now)
	if err != nil {
		return signedurl.PolicyOptions{}, err
	}
	if !exp.After(now) {
		return signedurl.PolicyOptions{}, errors.New("the expiry is in the past")
	}
	opts := signedurl.PolicyOptions{Expires: exp}
	if v.mode == modePresigned {
		if exp.Sub(now) > presignLimit {
			return opts, errors.New("S3 presigned URLs live at most 7 days: choose 7d or less")
		}
		return opts, nil
	}
	if s := strings.TrimSpace(v.start.Value()); s != "" {
		t, err := signedurl.ParseWhen(s, now)
		if err != nil {
			return opts, fmt.Errorf("start %q: %w", s, err)
		}
		if !t.Before(exp) {
			return opts, errors.New("the start must be before the expiry")
		}
		opts.Starts = t
	}
	if s := strings.TrimSpace(v.ip.Value()); s != "" {
		if _, err := netip.ParsePrefix(s); err != nil {
			if _, err := netip.ParseAddr(s); err != nil {
				return opts, fmt.Errorf("IP %q is not an address or CIDR block", s)
			}
		}
		opts.IP = s
	}
	opts.Resource = strings.TrimSpace(v.resource.Value())
	if v.mode == modeCookies {
		opts.CookieDomain = strings.TrimSpace(v.cookieDomain.Value())
	}
	if v.targetErr != nil {
		return opts, v.targetErr
	}
	if _, err := v.target.WithHash(v.hash); err != nil {
		return opts, err
	}
	if v.target.Ready() != nil {
		return opts, errors.New("no CloudFront key pair configured: press K to set one up, or pick S3 presigned URL")
	}
	if v.target.Domain == "" {
		return opts, errors.New("no CloudFront domain configured: press K to set it up")
	}
	return opts, nil
}

// sign starts signing in a command.
func (v *signView) sign() tea.Cmd {
	if v.signing {
		return nil
	}
	now := v.now()
	opts, err := v.options(now)
	if err != nil {
		v.err = err.Error()
		return nil
	}
	if len(v.objKeys) == 0 {
		v.err = "nothing to sign: mark objects in the browser first"
		return nil
	}
	v.reqID++
	v.signing, v.err = true, ""
	v.pending = v.inputs()
	ctx, cancel := context.WithTimeout(context.Background(), signTimeout)
	v.cancel = cancel
	keys := append([]string(nil), v.objKeys...)
	if v.mode == modePresigned {
		return presignCmd(ctx, v.reqID, v.deps.Presigner, v.bucket, keys, v.version, opts.Expires, now)
	}
	t, _ := v.target.WithHash(v.hash) // options checked the hash
	return signCmd(ctx, v.reqID, v.deps.Signers, t, v.mode == modeCookies, keys, opts, now)
}

// signCmd loads the key and signs every key's CloudFront URL (or cookies).
func signCmd(ctx context.Context, id int, signers Signers, t app.Target, cookies bool, keys []string, opts signedurl.PolicyOptions, now time.Time) tea.Cmd {
	return func() tea.Msg {
		fail := func(err error) tea.Msg { return signedMsg{id: id, err: err} }
		if signers == nil {
			return fail(errors.New("signing is not available in this build"))
		}
		signer, err := signers.Signer(ctx, t)
		if err != nil {
			return fail(fmt.Errorf("load signing key: %w", err))
		}
		items := make([]signedItem, 0, len(keys))
		for _, k := range keys {
			if err := ctx.Err(); err != nil {
				return fail(err)
			}
			raw, err := t.ObjectURL(k)
			if err != nil {
				return fail(fmt.Errorf("URL of %s: %w", app.Escape(k), err))
			}
			it := signedItem{key: k}
			if cookies {
				it.url = raw
				it.cookies, err = signer.SignCookies(raw, opts, now)
			} else {
				it.url, err = signer.SignURL(raw, opts, now)
			}
			if err != nil {
				return fail(fmt.Errorf("sign %s: %w", app.Escape(k), err))
			}
			items = append(items, it)
		}
		return signedMsg{id: id, items: items, expires: opts.Expires}
	}
}

// presignCmd makes S3 presigned URLs valid until expires.
func presignCmd(ctx context.Context, id int, p Presigner, bucket string, keys []string, version string, expires, now time.Time) tea.Cmd {
	return func() tea.Msg {
		if p == nil {
			return signedMsg{id: id, err: errors.New("no S3 client: check the profile and region in setup (K)")}
		}
		d := expires.Sub(now)
		var items []signedItem
		var warning string
		for _, k := range keys {
			u, w, err := p.PresignVersion(ctx, bucket, k, version, d)
			if err != nil {
				return signedMsg{id: id, err: fmt.Errorf("presign %s: %w", app.Escape(k), err)}
			}
			warning = firstNonEmpty(warning, w)
			items = append(items, signedItem{key: k, url: u})
		}
		return signedMsg{id: id, items: items, expires: expires, warning: warning}
	}
}

// cookieHeader is a Cookie request header carrying the signed cookies.
func cookieHeader(cs []*http.Cookie) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Name + "=" + c.Value
	}
	return "Cookie: " + strings.Join(parts, "; ")
}

// copyText is every URL one per line; with cookies each URL is followed by its Cookie header.
func (v *signView) copyText() string {
	lines := make([]string, 0, len(v.result))
	for _, it := range v.result {
		lines = append(lines, it.url)
		if len(it.cookies) > 0 {
			lines = append(lines, cookieHeader(it.cookies))
		}
	}
	return strings.Join(lines, "\n")
}

func (v *signView) copyWhat() string {
	n := len(v.result)
	what := "URL"
	if v.mode == modeCookies {
		what = "URL and cookie header"
	}
	if n == 1 {
		return "the " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ShortHelp lists the keys that work now.
func (v *signView) ShortHelp() []key.Binding {
	k := v.keys
	k.Confirm.SetHelp("enter", "sign")
	k.Left.SetHelp("←/→", "choose")
	k.Left.SetEnabled(v.focus == sfExpiry || (v.focus == sfHash && !v.target.KMS) || (v.focus == sfMode && v.cloudFront))
	k.Copy.SetEnabled(v.focus == sfResult && len(v.result) > 0)
	k.OpenURL.SetEnabled(v.focus == sfResult && v.canOpen())
	p := printOnExitKey
	p.SetEnabled(v.focus == sfResult && v.canPrint() && !v.printed)
	f := showFullKey
	f.SetEnabled(v.focus == sfResult && len(v.result) > 0)
	if v.signing {
		k.Back.SetHelp("esc", "cancel")
	}
	if v.focus == sfResult && len(v.result) > 0 {
		// In priority order, as the footer drops hints from the end: what
		// to do with the result first.
		return []key.Binding{k.Copy, f, k.OpenURL, p, k.Back, k.Next, k.Confirm, k.Left}
	}
	return []key.Binding{k.Confirm, k.Next, k.Left, k.Copy, f, k.OpenURL, p, k.Back}
}

// FullHelp lists every key of the view.
func (v *signView) FullHelp() [][]key.Binding {
	k := v.keys
	return [][]key.Binding{v.ShortHelp(), {k.Prev, k.Right}}
}

// View renders the form and the signed result.
func (v *signView) View() string {
	st := v.st
	now := v.now()
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }
	title := "Sign s3://" + app.Escape(v.bucket) + "/"
	if len(v.objKeys) == 1 {
		title += app.Escape(v.objKeys[0])
		if v.version != "" {
			title += " (version " + app.Escape(v.version) + ")"
		}
	} else {
		title = fmt.Sprintf("Sign %d objects in s3://%s/%s", len(v.objKeys), app.Escape(v.bucket), app.Escape(commonFolder(v.objKeys)))
	}
	add(st.Title.Render(title))

	labels := make([]string, 0, customPreset+1)
	for i, p := range expiryPresets {
		on := v.mode != modePresigned || p.d <= presignLimit
		labels = append(labels, v.choice(p.label, i == v.preset, on))
	}
	labels = append(labels, v.choice("custom", v.preset == customPreset, true))
	add(v.row(sfExpiry, "Expires", strings.Join(labels, " ")))
	add(v.row(sfCustom, "Custom", v.custom.View()))
	if exp, err := v.expiry(now); err != nil {
		add(v.row(-1, "", st.Error.Render(oneLine(err.Error()))))
	} else {
		local, utc := exp.In(v.loc).Format("2006-01-02 15:04:05 MST"), exp.UTC().Format("2006-01-02 15:04:05 UTC")
		if _, off := exp.In(v.loc).Zone(); off == 0 && strings.HasSuffix(local, "UTC") {
			local = "" // local time is UTC: say it once
		} else {
			local += " · "
		}
		if exp.After(now) {
			add(v.row(-1, "", fmt.Sprintf("→ %s%s (in %s)", local, utc, humanDuration(exp.Sub(now)))))
		} else {
			// Said in full even at 80 columns: a negative duration reads as noise.
			add(v.row(-1, "", fmt.Sprintf("→ %s (that is in the past)", utc)))
		}
	}
	if v.cloudFront {
		modes := make([]string, len(modeNames))
		for i, n := range modeNames {
			modes[i] = v.choice(n, signMode(i) == v.mode, true)
		}
		add(v.row(sfMode, "Output", strings.Join(modes, " ")))
	} else {
		why := "(no CloudFront domain: K sets one)"
		if v.version != "" {
			why = "(a CloudFront signed URL always serves the current version)"
		}
		add(v.row(sfMode, "Output", v.choice(modeNames[modePresigned], true, true)+" "+st.Muted.Render(why)))
	}
	if v.mode != modePresigned {
		hashes := v.choice("SHA-1", v.hash == signedurl.SHA1, !v.target.KMS) + " " + v.choice("SHA-256", v.hash == signedurl.SHA256, true)
		if v.target.KMS {
			hashes += " " + st.Muted.Render("(KMS signs SHA-256 only)")
		}
		add(v.row(sfHash, "Hash", hashes))
		add(v.row(sfStart, "Starts", v.start.View()))
		add(v.row(sfIP, "IP/CIDR", v.ip.View()))
		add(v.row(sfResource, "Resource", v.resource.View()))
		if v.mode == modeCookies {
			add(v.row(sfCookieDomain, "Cookies", v.cookieDomain.View()))
		}
	} else {
		add(v.row(-1, "", st.Muted.Render("Presigned URLs last at most 7 days and take no policy options.")))
	}
	_, optErr := v.options(now)
	switch {
	case v.signing:
		add("", st.Muted.Render("Signing… (esc cancels)"))
	case v.err != "":
		add("", st.Error.Render(truncLine(oneLine(v.err), v.width)))
	case optErr != nil:
		add("", st.Error.Render(truncLine(oneLine(optErr.Error()), v.width)))
	case len(v.result) == 0:
		add("", st.Muted.Render("enter signs"))
	}
	if len(v.result) == 0 {
		return clipLines(strings.Join(lines, "\n"), v.height)
	}
	if v.height-len(lines) < 6 {
		// Short window: the result matters more than the form.
		lines = lines[:1]
	}
	room := v.height - len(lines)
	return clipLines(strings.Join(lines, "\n")+"\n"+v.resultView(room), v.height)
}

// commonFolder is the folder every key is in ("photos/2024/"), or "" at the
// bucket's top.
func commonFolder(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	p := keys[0][:strings.LastIndex(keys[0], "/")+1]
	for _, k := range keys[1:] {
		for !strings.HasPrefix(k, p) {
			p = p[:strings.LastIndex(p[:len(p)-1], "/")+1]
		}
	}
	return p
}

// clipLines keeps the first h lines of s.
func clipLines(s string, h int) string {
	if lines := strings.SplitN(s, "\n", h+1); len(lines) > h {
		return strings.Join(lines[:h], "\n")
	}
	return s
}

// resultView shows the signed URLs in at most room lines, each on one line
// and never broken, so selecting it copies it whole: a URL wider than the
// window is cut with "…" (the frame cannot be wider than the window), and c
// copies it or p prints it on quit.
func (v *signView) resultView(room int) string {
	st := v.st
	var out []string
	hdr := []string{"Signed URL", "Signed cookies", "S3 presigned URL"}[v.mode]
	if n := len(v.result); n > 1 {
		hdr = fmt.Sprintf("%d %s", n, []string{"signed URLs", "signed cookie sets", "S3 presigned URLs"}[v.mode])
	}
	hdr += fmt.Sprintf(", valid until %s", v.expires.In(v.loc).Format("2006-01-02 15:04 MST"))
	if v.focus == sfResult {
		// Only what works here: no o for cookies or without a browser.
		hints := []string{"c copies"}
		if v.canOpen() {
			hints = append(hints, "o opens")
		}
		switch {
		case v.printed:
			hints = append(hints, "printed on quit")
		case v.canPrint():
			hints = append(hints, "p prints on quit")
		}
		hdr = st.Selected.Render(hdr) + st.Muted.Render("  "+strings.Join(hints, " · "))
	} else {
		hdr = st.Label.Render(hdr)
	}
	out = append(out, "", truncLine(hdr, v.width))
	if v.warning != "" {
		out = append(out, truncLine(st.Error.Render(oneLine(v.warning)), v.width))
	}
	for i, it := range v.result {
		var block []string
		if len(v.result) > 1 {
			block = append(block, truncLine(st.Label.Render(app.Escape(it.key)), v.width))
		}
		block = append(block, st.URL.Render(ansi.Truncate(it.url, v.width, "…")))
		if len(it.cookies) > 0 {
			block = append(block, st.URL.Render(ansi.Truncate(cookieHeader(it.cookies), v.width, "…")))
		}
		need := len(block)
		if i < len(v.result)-1 {
			need++ // a line for "… N more", should the next not fit
		}
		if len(out)+need > room && i > 0 {
			out = append(out, st.Muted.Render(fmt.Sprintf("… %d more (c copies them all)", len(v.result)-i)))
			break
		}
		out = append(out, block...)
	}
	return strings.Join(out, "\n")
}

// choice renders one option of a row; the chosen one is bracketed so it shows
// without colour too.
func (v *signView) choice(label string, chosen, enabled bool) string {
	switch {
	case !enabled:
		return v.st.Muted.Render(" " + label + " ")
	case chosen:
		return v.st.OptionOn.UnsetPadding().Render("[" + label + "]")
	}
	return v.st.Option.UnsetPadding().Render(" " + label + " ")
}

// row is a labelled line; the focused row is marked with ›.
func (v *signView) row(f signFocus, label, content string) string {
	mark := "  "
	l := v.st.Label.Render(fmt.Sprintf("%-9s", label))
	if f >= 0 && f == v.focus {
		mark = "› "
		l = v.st.Selected.Render(fmt.Sprintf("%-9s", label))
	}
	return truncLine(mark+l+" "+content, v.width)
}

// humanDuration is a short duration: 45s, 15m, 1h30m, 7d, 30d2h.
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return d.String()
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		h, m := int(d.Hours()), int(d.Minutes())%60
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d.Hours())/24, int(d.Hours())%24
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}
